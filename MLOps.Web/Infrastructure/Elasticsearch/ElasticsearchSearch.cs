using System.Text.Json.Nodes;
using MLOps.Web.Shared.Catalog;
using Nest;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// The search path, all of it: the request (a <c>bool</c> of <c>query_string</c> over
/// title^2/overview/tagline or <c>match_all</c>, the genre as a filter), sorted by relevance, by a
/// classification field (missing 0, then score, then id) or blended for <c>sort=trending</c> (a probe
/// for the best BM25 score, then <c>function_score</c> summing <c>field_value_factor</c>s with the
/// text boosted by <c>TextWeight / best</c>), and the hits mapped back with their explanations. Every
/// request carries the budget as its <c>timeout</c> (a search that hits it answers <c>timed_out</c>,
/// which is a <see cref="SearchTimeoutException"/> here, not a partial page) and is cancelled with the
/// request, which makes Elasticsearch cancel the search task when the connection closes.
/// </summary>
internal static class ElasticsearchSearch
{
    private static readonly string[] TextFields = ["title^2", "overview", "tagline"];

    public static async Task<SearchResult> SearchAsync(
        IElasticClient client, string index, SearchQuery query, CatalogSearchBudget budget, CancellationToken cancellationToken)
    {
        var timeout = $"{Math.Max(1, (long)budget.Timeout.TotalMilliseconds)}ms";
        var fields = ScoreFields(query);
        float? best = null;
        if (query.Sort == SearchSortKind.Trending && !string.IsNullOrWhiteSpace(query.Text))
        {
            // BM25 is normalised by the query's best score; one cheap request finds it.
            var probe = await client.SearchAsync<JsonObject>(s => s
                .Index(index).Size(1).Source(false).Timeout(timeout).Query(q => TextQuery(q, query, 1f)), cancellationToken);
            Check(probe, budget);

            best = probe.MaxScore > 0 ? (float)probe.MaxScore : 1f;
        }

        var response = await client.SearchAsync<JsonObject>(s => Request(s, index, query, fields, best).Timeout(timeout), cancellationToken);
        Check(response, budget);
        return ToResult(response, query, fields, best);
    }

    private static void Check(ISearchResponse<JsonObject> response, CatalogSearchBudget budget)
    {
        if (!response.IsValid)
        {
            throw ElasticsearchFailure.Of("search", response);
        }

        if (response.TimedOut)
        {
            throw new SearchTimeoutException(budget.Timeout);
        }
    }

    /// <summary>The trending blend's fields: classification scores with a weight, in name order.</summary>
    private static KeyValuePair<string, float>[] ScoreFields(SearchQuery query) =>
        (query.FieldWeights ?? new Dictionary<string, float>())
            .Where(kv => CatalogJson.IsScoreField(kv.Key) && kv.Value != 0f)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToArray();

    private static SearchDescriptor<JsonObject> Request(
        SearchDescriptor<JsonObject> s, string index, SearchQuery query, KeyValuePair<string, float>[] fields, float? best)
    {
        s.Index(index).From(query.From).Size(query.Size).TrackTotalHits();
        return query.Sort switch
        {
            SearchSortKind.Field => SortedByField(s, query),
            SearchSortKind.Trending => Blended(s, query, fields, query.TextWeight / (best ?? 1f)),
            _ => s.Query(q => TextQuery(q, query, 1f)).Explain(query.Explain ? true : null),
        };
    }

    private static SearchDescriptor<JsonObject> SortedByField(SearchDescriptor<JsonObject> s, SearchQuery query)
    {
        var field = query.SortField ?? throw new ArgumentException("SortField is required for a field sort.", nameof(query));
        return s.Query(q => TextQuery(q, query, 1f))
            .TrackScores()
            .Sort(so => so
                .Field(f => f.Field(field).Order(SortOrder.Descending).Missing(0).UnmappedType(FieldType.Float))
                .Descending(SortSpecialField.Score)
                .Ascending(CatalogJson.Id));
    }

    private static SearchDescriptor<JsonObject> Blended(SearchDescriptor<JsonObject> s, SearchQuery query, KeyValuePair<string, float>[] fields, float boost) =>
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

    private static SearchResult ToResult(ISearchResponse<JsonObject> response, SearchQuery query, KeyValuePair<string, float>[] fields, float? best)
    {
        var hits = new List<SearchHit>(response.Hits.Count);
        foreach (var hit in response.Hits)
        {
            var doc = ElasticsearchDocuments.ToDocument(hit.Source, hit.Id);
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
}
