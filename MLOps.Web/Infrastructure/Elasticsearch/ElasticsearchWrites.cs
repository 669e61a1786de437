using System.Text.Json.Nodes;
using Elasticsearch.Net;
using MLOps.Web.Shared.Catalog;
using Nest;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// The <c>_bulk</c> bodies and their outcome: every write is a partial <c>update</c> with a
/// <c>doc</c>, never a script (Elasticsearch limits script compilations). Indexing upserts
/// (<c>doc_as_upsert</c>), so stored classification fields survive a re-import; a classification
/// update is <see cref="ElasticsearchDocuments.PartialDocument"/>, retried on version conflicts.
/// </summary>
internal static class ElasticsearchWrites
{
    public static IBulkRequest Upserts(BulkDescriptor b, string index, Refresh refresh, IReadOnlyList<CatalogDocument> documents)
    {
        b.Index(index).Refresh(refresh);
        foreach (var doc in documents)
        {
            var body = CatalogJson.ToJsonObject(doc, writeNulls: true);
            b.Update<JsonObject>(u => u.Id(doc.Id).Doc(body).DocAsUpsert());
        }

        return b;
    }

    public static IBulkRequest ClassificationUpdates(BulkDescriptor b, string index, Refresh refresh, IReadOnlyList<ClassificationUpdate> updates)
    {
        b.Index(index).Refresh(refresh);
        foreach (var update in updates)
        {
            var partial = ElasticsearchDocuments.PartialDocument(update);
            b.Update<JsonObject>(u => u.Id(update.Id).Doc(partial).RetriesOnConflict(3));
        }

        return b;
    }

    /// <summary>
    /// An upsert bulk: throws when the request failed as a whole; when only some items failed (a
    /// mapping error, a rejected id), the others are written and the refused ones are a
    /// <see cref="CatalogWriteRejectedException"/> naming each, so import reports them per line.
    /// </summary>
    public static void CheckUpserts(BulkResponse response, int batchSize)
    {
        if (response.ApiCall is { Success: false } && response.Items.Count == 0)
        {
            throw ElasticsearchFailure.Of("index documents", response);
        }

        var rejected = response.ItemsWithErrors
            .Select(i => new RejectedDocument(i.Id, $"{i.Error?.Type}: {i.Error?.Reason}".Trim(' ', ':')))
            .ToList();
        if (rejected.Count > 0)
        {
            throw new CatalogWriteRejectedException(rejected, batchSize);
        }
    }

    /// <summary>
    /// Throws when the bulk request or any of its items failed. With <paramref name="ignoreMissing"/>,
    /// items for documents not in the index (404) are not failures: their count goes to it.
    /// </summary>
    public static void CheckBulk(string what, BulkResponse response, Action<int>? ignoreMissing)
    {
        if (response.ApiCall is { Success: false } && response.Items.Count == 0)
        {
            throw ElasticsearchFailure.Of(what, response);
        }

        var errors = response.ItemsWithErrors.ToList();
        var missing = errors.Count(i => i.Status == 404);
        if (ignoreMissing is not null && missing > 0)
        {
            ignoreMissing(missing);
            errors = errors.Where(i => i.Status != 404).ToList();
        }

        if (errors.Count > 0)
        {
            var first = errors[0];
            throw new InvalidOperationException(
                $"Elasticsearch could not {what}: {errors.Count} of {response.Items.Count} bulk items failed; first: {first.Id}: {first.Error?.Type}: {first.Error?.Reason}");
        }
    }
}

/// <summary>An Elasticsearch call that failed, as the exception the catalog throws.</summary>
internal static class ElasticsearchFailure
{
    public static InvalidOperationException Of(string what, IResponse response)
    {
        var reason = response.ServerError?.Error is { } e
            ? $"{e.Type}: {e.Reason}"
            : response.OriginalException?.Message ?? $"HTTP {response.ApiCall?.HttpStatusCode}";
        return new InvalidOperationException($"Elasticsearch could not {what}: {reason}", response.OriginalException);
    }
}
