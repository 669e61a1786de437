using System.Text.Json;

namespace MLOps.Web.Shared.Catalog;

/// <summary>
/// The names of the parts a classification score is made of, as stored per field in
/// <c>classified_parts</c> and printed by <see cref="SearchExplanations"/>. The relevance pipeline's
/// features (<c>semantic_z</c>, <c>match</c>, <c>bm25_saturated</c>, ...) are stored under their own
/// names, next to the raw evidence they came from.
/// </summary>
public static class ScorePartNames
{
    /// <summary>Cosine of the document and the tag's (final) hypothesis.</summary>
    public const string Cosine = "cosine";

    /// <summary>The cosine z-scored by the tag's statistics sample.</summary>
    public const string SemanticZ = "semantic_z";

    /// <summary>1 when the document matches the tag's own words, else 0.</summary>
    public const string Match = "match";

    /// <summary>BM25 of the tag's lexical query (0 when not among its top hits).</summary>
    public const string Bm25 = "bm25";

    /// <summary>Median BM25 of the tag's hits.</summary>
    public const string Bm25Median = "bm25_median";

    /// <summary>Best BM25 of the tag's hits.</summary>
    public const string Bm25Max = "bm25_max";

    /// <summary>bm25 / (bm25 + median): 0.5 at the median hit, saturating.</summary>
    public const string Bm25Saturated = "bm25_saturated";

    /// <summary>bm25 / best bm25.</summary>
    public const string Bm25ByMax = "bm25_by_max";

    /// <summary>match × ln(documents / lexical matches): a match counts more for a rarer tag word.</summary>
    public const string MatchIdf = "match_idf";

    /// <summary>1 when the document's title matches the tag's own words, else 0.</summary>
    public const string TitleMatch = "title_match";

    /// <summary>The linear model's sum of weighted features, before the sigmoid.</summary>
    public const string Fused = "fused";

    /// <summary>The stored score: sigmoid(alpha × fused + beta).</summary>
    public const string Score = "score";
}

/// <summary>The JSON form of <c>classified_parts</c>: field -> { part name -> number }, fields in ordinal order.</summary>
public static class ScorePartsJson
{
    public static void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, IReadOnlyDictionary<string, float>> parts)
    {
        if (parts.Count == 0)
        {
            return;
        }

        writer.WriteStartObject(CatalogJson.ClassifiedParts);
        foreach (var (field, values) in parts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            writer.WriteStartObject(field);
            foreach (var (name, value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(name, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads the object into <paramref name="into"/>; a null field (an Elasticsearch removal) is skipped.</summary>
    /// <exception cref="CatalogFormatException">Not an object of objects of numbers.</exception>
    public static void Read(Dictionary<string, IReadOnlyDictionary<string, float>> into, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new CatalogFormatException($"{CatalogJson.ClassifiedParts} must be an object");
        }

        foreach (var field in element.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (field.Value.ValueKind != JsonValueKind.Object)
            {
                throw new CatalogFormatException($"{CatalogJson.ClassifiedParts}.{field.Name} must be an object");
            }

            var values = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var part in field.Value.EnumerateObject())
            {
                values[part.Name] = part.Value.ValueKind == JsonValueKind.Number
                    ? part.Value.GetSingle()
                    : throw new CatalogFormatException($"{CatalogJson.ClassifiedParts}.{field.Name}.{part.Name} must be a number");
            }

            into[field.Name] = values;
        }
    }
}
