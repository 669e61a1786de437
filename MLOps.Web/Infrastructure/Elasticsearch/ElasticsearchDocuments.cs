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
        return doc;
    }
}
