using System.Globalization;
using System.Text;

namespace MLOps.Web.Shared.Catalog;

/// <summary>Human-readable explanations of how a hit was scored, the same text for both engines.</summary>
public static class SearchExplanations
{
    /// <summary>
    /// The trending blend: <c>blend = textWeight × text + Σ weight × classification score</c>, where
    /// text is BM25 divided by the best BM25 of the query (1 when there is no query text).
    /// </summary>
    public static string Blend(
        float blended, float textWeight, float text, float? bm25, float? best,
        IEnumerable<KeyValuePair<string, float>> fieldWeights, CatalogDocument doc)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"blend {blended:0.####} = {textWeight:0.####} × text {text:0.####}");
        sb.Append(bm25 is { } raw && best is { } max
            ? string.Create(CultureInfo.InvariantCulture, $" (bm25 {raw:0.####} / best {max:0.####})")
            : " (no query text: every match counts 1)");
        var weighted = fieldWeights.ToList();
        foreach (var (field, weight) in weighted)
        {
            var v = doc.Classifications.TryGetValue(field, out var x) ? x : 0f;
            sb.Append(CultureInfo.InvariantCulture, $" + {weight:0.####} × {field} {v:0.####}");
        }

        foreach (var (field, _) in weighted)
        {
            if (Parts(field, doc) is { } parts)
            {
                sb.Append("; ").Append(field).Append(": ").Append(parts);
            }
        }

        return sb.ToString();
    }

    /// <summary>A field sort: the hit's value of the field (missing counts 0), and the parts of that value when stored.</summary>
    public static string FieldSort(string field, CatalogDocument doc)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"sorted by {field} desc = {(doc.Classifications.TryGetValue(field, out var v) ? v : 0f):0.####} (missing = 0)");
        return Parts(field, doc) is { } parts ? text + "; " + parts : text;
    }

    /// <summary>
    /// The parts of a document's score for one field, e.g. "semantic z 2.1 (cosine 0.41), lexical 0.8
    /// (bm25 7.2 / median 3.1), match 1, title match 0, fused 5.9 → 0.93" (each part the fusion weighs); null when none are stored, or when the stored
    /// parts explain another value than the field holds (written by an older run).
    /// </summary>
    public static string? Parts(string field, CatalogDocument doc)
    {
        if (!doc.ClassificationParts.TryGetValue(field, out var p) || !doc.Classifications.TryGetValue(field, out var value)
            || !p.TryGetValue(ScorePartNames.Score, out var score) || score != value)
        {
            return null;
        }

        string F(float x) => x.ToString("0.###", CultureInfo.InvariantCulture);
        float Get(string name) => p.GetValueOrDefault(name);
        if (!p.ContainsKey(ScorePartNames.Fused))
        {
            return $"cosine {F(Get(ScorePartNames.Cosine))} → {F(score)} (the model's calibrated cosine)";
        }

        var items = new List<string> { $"semantic z {F(Get(ScorePartNames.SemanticZ))} (cosine {F(Get(ScorePartNames.Cosine))})" };
        if (p.ContainsKey(ScorePartNames.Bm25Saturated))
        {
            items.Add($"lexical {F(Get(ScorePartNames.Bm25Saturated))} (bm25 {F(Get(ScorePartNames.Bm25))} / median {F(Get(ScorePartNames.Bm25Median))})");
        }

        if (p.ContainsKey(ScorePartNames.Bm25ByMax))
        {
            items.Add($"lexical {F(Get(ScorePartNames.Bm25ByMax))} (bm25 {F(Get(ScorePartNames.Bm25))} / best {F(Get(ScorePartNames.Bm25Max))})");
        }

        items.Add($"match {F(Get(ScorePartNames.Match))}");
        if (p.ContainsKey(ScorePartNames.MatchIdf))
        {
            items.Add($"match idf {F(Get(ScorePartNames.MatchIdf))}");
        }

        if (p.ContainsKey(ScorePartNames.TitleMatch))
        {
            items.Add($"title match {F(Get(ScorePartNames.TitleMatch))}");
        }

        return $"{string.Join(", ", items)}, fused {F(Get(ScorePartNames.Fused))} → {F(score)}";
    }

    /// <summary>Σ weight × classification score of a document (missing scores count 0).</summary>
    public static float TagPart(IEnumerable<KeyValuePair<string, float>> fieldWeights, CatalogDocument doc) =>
        fieldWeights.Sum(kv => kv.Value * (doc.Classifications.TryGetValue(kv.Key, out var v) ? v : 0f));
}
