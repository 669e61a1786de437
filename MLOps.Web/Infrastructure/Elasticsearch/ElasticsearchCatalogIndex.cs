using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elasticsearch.Net;
using MLOps.Web.Shared.Catalog;
using Nest;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// The catalog on Elasticsearch 7.17/8.x through NEST 7.17. Writes are one <c>_bulk</c> request of
/// partial <c>update</c> actions with <c>doc</c> (no scripts: Elasticsearch limits script
/// compilations, which per-document painless scripts ran into). A classification field is removed
/// by writing it as <c>null</c>: sorting and scoring treat null as missing and reading a document
/// drops it, without a script.
/// </summary>
public sealed partial class ElasticsearchCatalogIndex(IElasticClient client, ElasticsearchOptions options, ILogger<ElasticsearchCatalogIndex> logger)
    : ICatalogIndex
{
    private const int ScanPageSize = 1000;
    private static readonly string[] TextFields = ["title^2", "overview", "tagline"];

    private readonly string _index = options.Index;

    /// <summary>The index name.</summary>
    public string IndexName => _index;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var exists = await client.Indices.ExistsAsync(_index, ct: cancellationToken);
        if (exists.ApiCall.HttpStatusCode == 200)
        {
            return;
        }

        if (exists.ApiCall.HttpStatusCode != 404)
        {
            throw Failure("check the index exists", exists);
        }

        var created = await client.Indices.CreateAsync(_index, c => c
            .Settings(s => s
                .NumberOfReplicas(options.NumberOfReplicas)
                .Analysis(a => a.Normalizers(n => n.Custom("lowercase", cn => cn.Filters("lowercase")))))
            .Map(m => m
                .DynamicTemplates(dt => dt.DynamicTemplate("classification_scores", d => d
                    .Match("classification_*")
                    .Unmatch(CatalogJson.ClassificationModel)
                    .Mapping(mm => mm.Number(n => n.Type(NumberType.Float)))))
                .Properties(p => p
                    .Keyword(k => k.Name(CatalogJson.Id))
                    .Text(t => t.Name(CatalogJson.Title).Analyzer("english"))
                    .Text(t => t.Name(CatalogJson.Overview).Analyzer("english"))
                    .Text(t => t.Name(CatalogJson.Tagline).Analyzer("english"))
                    .Keyword(k => k.Name(CatalogJson.Genres).Normalizer("lowercase"))
                    .Keyword(k => k.Name(CatalogJson.ReleaseDate))
                    .Keyword(k => k.Name(CatalogJson.ClassificationModel))
                    .Date(d => d.Name(CatalogJson.ClassifiedAt)))), cancellationToken);
        if (!created.IsValid && created.ServerError?.Error?.Type != "resource_already_exists_exception")
        {
            throw Failure("create the index", created);
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
        var response = await client.BulkAsync(b =>
        {
            b.Index(_index).Refresh(RefreshMode);
            foreach (var doc in documents)
            {
                var body = CatalogJson.ToJsonObject(doc, writeNulls: true);
                b.Update<JsonObject>(u => u.Id(doc.Id).Doc(body).DocAsUpsert());
            }

            return b;
        }, cancellationToken);
        ThrowOnBulkErrors("index documents", response, ignoreMissing: false);
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

        var response = await client.BulkAsync(b =>
        {
            b.Index(_index).Refresh(RefreshMode);
            foreach (var update in updates)
            {
                var partial = PartialDocument(update);
                b.Update<JsonObject>(u => u.Id(update.Id).Doc(partial).RetriesOnConflict(3));
            }

            return b;
        }, cancellationToken);
        ThrowOnBulkErrors("update classification fields", response, ignoreMissing: true);
    }

    public async Task<CatalogDocument?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var response = await client.GetAsync<JsonObject>(id, g => g.Index(_index), cancellationToken);
        if (response.ApiCall.HttpStatusCode == 404 || (response.IsValid && !response.Found))
        {
            return null;
        }

        return response.IsValid ? ToDocument(response.Source, response.Id) : throw Failure($"get document '{id}'", response);
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
            throw Failure("get documents", response);
        }

        return response.GetMany<JsonObject>(ids)
            .Where(h => h.Found && h.Source is not null)
            .Select(h => ToDocument(h.Source, h.Id))
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
                throw Failure("scan document ids", response);
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

        return response.IsValid ? response.Count : throw Failure("count documents", response);
    }

    public async Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        var fields = (query.FieldWeights ?? new Dictionary<string, float>())
            .Where(kv => CatalogJson.IsScoreField(kv.Key) && kv.Value != 0f)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToArray();
        var hasText = !string.IsNullOrWhiteSpace(query.Text);
        float? best = null;
        if (query.Sort == SearchSortKind.Trending && hasText)
        {
            // BM25 is normalised by the query's best score; one cheap request finds it.
            var probe = await client.SearchAsync<JsonObject>(s => s
                .Index(_index).Size(1).Source(false).Query(q => TextQuery(q, query, 1f)), cancellationToken);
            if (!probe.IsValid)
            {
                throw Failure("search", probe);
            }

            best = probe.MaxScore > 0 ? (float)probe.MaxScore : 1f;
        }

        var response = await client.SearchAsync<JsonObject>(s =>
        {
            s.Index(_index).From(query.From).Size(query.Size).TrackTotalHits();
            switch (query.Sort)
            {
                case SearchSortKind.Field:
                    var field = query.SortField ?? throw new ArgumentException("SortField is required for a field sort.", nameof(query));
                    s.Query(q => TextQuery(q, query, 1f))
                        .TrackScores()
                        .Sort(so => so
                            .Field(f => f.Field(field).Order(SortOrder.Descending).Missing(0).UnmappedType(FieldType.Float))
                            .Descending(SortSpecialField.Score)
                            .Ascending(CatalogJson.Id));
                    break;
                case SearchSortKind.Trending:
                    var boost = query.TextWeight / (best ?? 1f);
                    s.Query(q => fields.Length == 0
                        ? TextQuery(q, query, boost)
                        : q.FunctionScore(fs => fs
                            .Query(inner => TextQuery(inner, query, boost))
                            .Functions(fn =>
                            {
                                foreach (var (name, weight) in fields)
                                {
                                    fn.FieldValueFactor(fv => fv.Field(name).Factor(weight).Missing(0).Modifier(FieldValueFactorModifier.None));
                                }

                                return fn;
                            })
                            .ScoreMode(FunctionScoreMode.Sum)
                            .BoostMode(FunctionBoostMode.Sum)))
                        .Sort(so => so.Descending(SortSpecialField.Score).Ascending(CatalogJson.Id));
                    break;
                default:
                    s.Query(q => TextQuery(q, query, 1f)).Explain(query.Explain ? true : null);
                    break;
            }

            return s;
        }, cancellationToken);
        if (!response.IsValid)
        {
            throw Failure("search", response);
        }

        var hits = new List<SearchHit>(response.Hits.Count);
        foreach (var hit in response.Hits)
        {
            var doc = ToDocument(hit.Source, hit.Id);
            var score = (float)(hit.Score ?? 0);
            string? explanation = null;
            if (query.Explain)
            {
                explanation = query.Sort switch
                {
                    SearchSortKind.Field => SearchExplanations.FieldSort(query.SortField!, doc),
                    SearchSortKind.Trending => ExplainBlend(score, query, fields, doc, best),
                    _ => hit.Explanation is { } e ? Render(e) : null,
                };
            }

            hits.Add(new SearchHit(doc, score, explanation));
        }

        return new SearchResult(response.Total, hits);
    }

    private static string ExplainBlend(float score, SearchQuery query, KeyValuePair<string, float>[] fields, CatalogDocument doc, float? best)
    {
        var tagPart = SearchExplanations.TagPart(fields, doc);
        var weighted = score - tagPart;
        var text = query.TextWeight == 0f ? 0f : weighted / query.TextWeight;
        return SearchExplanations.Blend(score, query.TextWeight, text, best is null ? null : text * best.Value, best, fields, doc);
    }

    private static string Render(ExplanationDetail e) =>
        $"{e.Value} = {e.Description}" + (e.Details is { Count: > 0 } d ? " [" + string.Join("; ", d.Select(x => $"{x.Value} = {x.Description}")) + "]" : "");

    private static string Render(Explanation e) =>
        $"{e.Value} = {e.Description}" + (e.Details is { Count: > 0 } d ? " [" + string.Join("; ", d.Select(Render)) + "]" : "");

    /// <summary>bool: query_string over title^2/overview/tagline (or match_all), genre as a filter, the given boost.</summary>
    private static QueryContainer TextQuery(QueryContainerDescriptor<JsonObject> q, SearchQuery query, float boost) =>
        q.Bool(b =>
        {
            b.Must(m => string.IsNullOrWhiteSpace(query.Text)
                ? m.MatchAll()
                : m.QueryString(qs => qs.Query(query.Text).Fields(TextFields).DefaultOperator(Operator.Or)));
            if (!string.IsNullOrWhiteSpace(query.Genre))
            {
                b.Filter(f => f.Term(t => t.Field(CatalogJson.Genres).Value(query.Genre.Trim().ToLowerInvariant())));
            }

            if (boost != 1f)
            {
                b.Boost(boost);
            }

            return b;
        });

    private Refresh RefreshMode => options.Refresh switch
    {
        "true" => global::Elasticsearch.Net.Refresh.True,
        "false" => global::Elasticsearch.Net.Refresh.False,
        _ => global::Elasticsearch.Net.Refresh.WaitFor,
    };

    /// <summary>The partial doc of one update: removed fields as null, scores, model and time.</summary>
    private static JsonObject PartialDocument(ClassificationUpdate update)
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

    private static CatalogDocument ToDocument(JsonObject? source, string id)
    {
        if (source is null)
        {
            return new CatalogDocument { Id = id };
        }

        var element = JsonSerializer.SerializeToElement(source);
        return CatalogJson.Parse(element, id);
    }

    private void ThrowOnBulkErrors(string what, BulkResponse response, bool ignoreMissing)
    {
        if (response.ApiCall is { Success: false } && response.Items.Count == 0)
        {
            throw Failure(what, response);
        }

        var errors = response.ItemsWithErrors.ToList();
        var missing = errors.Count(i => i.Status == 404);
        if (ignoreMissing && missing > 0)
        {
            Log.UpdatesForMissingDocuments(logger, missing);
            errors = errors.Where(i => i.Status != 404).ToList();
        }

        if (errors.Count > 0)
        {
            var first = errors[0];
            throw new InvalidOperationException(
                $"Elasticsearch could not {what}: {errors.Count} of {response.Items.Count} bulk items failed; first: {first.Id}: {first.Error?.Type}: {first.Error?.Reason}");
        }
    }

    private static InvalidOperationException Failure(string what, IResponse response)
    {
        var reason = response.ServerError?.Error is { } e
            ? $"{e.Type}: {e.Reason}"
            : response.OriginalException?.Message ?? $"HTTP {response.ApiCall?.HttpStatusCode}";
        return new InvalidOperationException($"Elasticsearch could not {what}: {reason}", response.OriginalException);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Elasticsearch index {Index} created with the catalog mapping")]
        public static partial void Created(ILogger logger, string index);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "{Count} classification updates named documents that are not in the index; skipped")]
        public static partial void UpdatesForMissingDocuments(ILogger logger, int count);
    }
}
