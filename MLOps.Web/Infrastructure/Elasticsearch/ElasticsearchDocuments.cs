using System.Text.Json;
using System.Text.Json.Nodes;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>A document's <c>_source</c> both ways: read back through <see cref="CatalogJson"/>, and the partial doc of a classification update.</summary>
internal static class ElasticsearchDocuments
{
    /// <summary>The document of a hit; the hit's <c>_id</c> is the id.</summary>
    public static CatalogDocument ToDocument(JsonObject? source, string id)
    {
        if (source is null)
        {
            return new CatalogDocument { Id = id };
        }

        var element = JsonSerializer.SerializeToElement(source);
        return CatalogJson.Parse(element, id);
    }

    /// <summary>The partial doc of one update: removed fields as null (a removal without a script), scores, model and time.</summary>
    public static JsonObject PartialDocument(ClassificationUpdate update)
    {
        var doc = new JsonObject();
        foreach (var field in update.RemoveFields ?? [])
        {
            doc[field] = null;
        }

        foreach (var (field, score) in update.Scores.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            doc[field] = score;
        }

        doc[CatalogJson.ClassificationModel] = update.ModelId;
        doc[CatalogJson.ClassifiedAt] = CatalogJson.FormatTimestamp(update.ClassifiedAt);
        if (Parts(update) is { } parts)
        {
            doc[CatalogJson.ClassifiedParts] = parts;
        }

        return doc;
    }

    /// <summary>
    /// The <c>classified_parts</c> of a partial doc (Elasticsearch merges objects, so only the named
    /// fields change): the parts of each scored field, and null for removed fields and for scored
    /// fields that come without parts (their old parts no longer explain them). Null when there are no
    /// parts and nothing removed: a write without parts leaves the old parts, which the explanation
    /// ignores once their recorded score differs from the field's.
    /// </summary>
    private static JsonObject? Parts(ClassificationUpdate update)
    {
        if (update.Parts is not { Count: > 0 } && update.RemoveFields is not { Count: > 0 })
        {
            return null;
        }

        var parts = new JsonObject();
        foreach (var field in update.RemoveFields ?? [])
        {
            parts[field] = null;
        }

        foreach (var field in update.Scores.Keys.Order(StringComparer.Ordinal))
        {
            parts[field] = update.Parts?.GetValueOrDefault(field) is { } values
                ? new JsonObject(values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)))
                : null;
        }

        return parts;
    }
}
