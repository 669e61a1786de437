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
        foreach (var (field, weight) in fieldWeights)
        {
            var v = doc.Classifications.TryGetValue(field, out var x) ? x : 0f;
            sb.Append(CultureInfo.InvariantCulture, $" + {weight:0.####} × {field} {v:0.####}");
        }

        return sb.ToString();
    }

    /// <summary>A field sort: the hit's value of the field (missing counts 0).</summary>
    public static string FieldSort(string field, CatalogDocument doc) =>
        string.Create(CultureInfo.InvariantCulture,
            $"sorted by {field} desc = {(doc.Classifications.TryGetValue(field, out var v) ? v : 0f):0.####} (missing = 0)");

    /// <summary>Σ weight × classification score of a document (missing scores count 0).</summary>
    public static float TagPart(IEnumerable<KeyValuePair<string, float>> fieldWeights, CatalogDocument doc) =>
        fieldWeights.Sum(kv => kv.Value * (doc.Classifications.TryGetValue(kv.Key, out var v) ? v : 0f));
}
