using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Elasticsearch.Net;
using MLOps.Web.Shared.Catalog;
using Nest;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// The catalog on Elasticsearch 7.17/8.x through NEST 7.17. This class is the <see cref="ICatalogIndex"/>
/// over the client: index creation (<see cref="ElasticsearchMapping"/>), bulk writes
/// (<see cref="ElasticsearchWrites"/>: partial <c>update</c> actions with <c>doc</c>, no scripts; a
/// classification field is removed by writing it as <c>null</c>), reads, the id scan, and search
/// (<see cref="ElasticsearchSearch"/>).
/// </summary>
public sealed partial class ElasticsearchCatalogIndex(
    IElasticClient client, ElasticsearchOptions options, ILogger<ElasticsearchCatalogIndex> logger, CatalogSearchBudget? budget = null)
    : ICatalogIndex
{
    private const int ScanPageSize = 1000;

    private readonly string _index = options.Index;

    /// <summary>What one search may cost: its time budget goes to Elasticsearch as the request's <c>timeout</c>.</summary>
    internal CatalogSearchBudget Budget { get; } = budget ?? CatalogSearchBudget.Default;

    /// <summary>The index name.</summary>
    public string IndexName => _index;

    private Refresh RefreshMode => options.Refresh switch
    {
        "true" => global::Elasticsearch.Net.Refresh.True,
        "false" => global::Elasticsearch.Net.Refresh.False,
        _ => global::Elasticsearch.Net.Refresh.WaitFor,
    };

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var exists = await client.Indices.ExistsAsync(_index, ct: cancellationToken);
        if (exists.ApiCall.HttpStatusCode == 200)
        {
            return;
        }

        if (exists.ApiCall.HttpStatusCode != 404)
        {
            throw ElasticsearchFailure.Of("check the index exists", exists);
        }

        var created = await client.Indices.CreateAsync(_index, c => ElasticsearchMapping.Describe(c, options.NumberOfReplicas), cancellationToken);
        if (!created.IsValid && created.ServerError?.Error?.Type != "resource_already_exists_exception")
        {
            throw ElasticsearchFailure.Of("create the index", created);
        }

        Log.Created(logger, _index);
    }

    public async Task IndexAsync(IReadOnlyList<CatalogDocument> documents, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return;
        }

        // update + doc_as_upsert merges into a stored document, so its classification fields stay.
        var response = await client.BulkAsync(b => ElasticsearchWrites.Upserts(b, _index, RefreshMode, documents), cancellationToken);
        ElasticsearchWrites.CheckUpserts(response, documents.Count);
    }

    public async Task UpdateClassificationsAsync(IReadOnlyList<ClassificationUpdate> updates, CancellationToken cancellationToken)
    {
        if (updates.Count == 0)
        {
            return;
        }

        foreach (var update in updates)
        {
            CatalogJson.Validate(update);
        }

        var response = await client.BulkAsync(b => ElasticsearchWrites.ClassificationUpdates(b, _index, RefreshMode, updates), cancellationToken);
        ElasticsearchWrites.CheckBulk("update classification fields", response, ignoreMissing: missing => Log.UpdatesForMissingDocuments(logger, missing));
    }

    public async Task<CatalogDocument?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var response = await client.GetAsync<JsonObject>(id, g => g.Index(_index), cancellationToken);
        if (response.ApiCall.HttpStatusCode == 404 || (response.IsValid && !response.Found))
        {
            return null;
        }

        return response.IsValid
            ? ElasticsearchDocuments.ToDocument(response.Source, response.Id)
            : throw ElasticsearchFailure.Of($"get document '{id}'", response);
    }

    public async Task<IReadOnlyList<CatalogDocument>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var response = await client.MultiGetAsync(m => m.Index(_index).GetMany<JsonObject>(ids), cancellationToken);
        if (!response.IsValid)
        {
            throw ElasticsearchFailure.Of("get documents", response);
        }

        return response.GetMany<JsonObject>(ids)
            .Where(h => h.Found && h.Source is not null)
            .Select(h => ElasticsearchDocuments.ToDocument(h.Source, h.Id))
            .ToList();
    }

    public async IAsyncEnumerable<string> ScanIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        object[]? after = null;
        while (true)
        {
            var page = after;
            var response = await client.SearchAsync<JsonObject>(s =>
            {
                s.Index(_index).Size(ScanPageSize).Source(false).Query(q => q.MatchAll()).Sort(so => so.Ascending(CatalogJson.Id));
                return page is null ? s : s.SearchAfter(page);
            }, cancellationToken);
            if (!response.IsValid)
            {
                throw ElasticsearchFailure.Of("scan document ids", response);
            }

            foreach (var hit in response.Hits)
            {
                yield return hit.Id;
            }

            if (response.Hits.Count < ScanPageSize)
            {
                yield break;
            }

            after = [.. response.Hits.Last().Sorts];
        }
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        var response = await client.CountAsync<JsonObject>(c => c.Index(_index), cancellationToken);
        if (response.ApiCall.HttpStatusCode == 404)
        {
            return 0;
        }

        return response.IsValid ? response.Count : throw ElasticsearchFailure.Of("count documents", response);
    }

    public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken) =>
        ElasticsearchSearch.SearchAsync(client, _index, query, Budget, cancellationToken);

    public Task<LexicalResult> LexicalSearchAsync(IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken) =>
        ElasticsearchLexicalSearch.SearchAsync(client, _index, texts, top, fields, cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Elasticsearch index {Index} created with the catalog mapping")]
        public static partial void Created(ILogger logger, string index);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "{Count} classification updates named documents that are not in the index; skipped")]
        public static partial void UpdatesForMissingDocuments(ILogger logger, int count);
    }
}
