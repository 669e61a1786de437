using System.Text.Json.Nodes;
using MLOps.Web.Shared.Catalog;
using Nest;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// The lexical evidence of relevance scoring (<see cref="ICatalogIndex.LexicalSearchAsync"/>): a
/// <c>bool.should</c> of one <c>multi_match</c> per weighted text, type <c>most_fields</c> (the sum
/// over title, overview and tagline, title not boosted; or <c>title</c> alone), operator <c>or</c>, boosted by the text's
/// weight; no <c>_source</c>, scores kept (<c>track_scores</c>) and ties broken by id, so Lucene and
/// Elasticsearch rank the same. Kept apart from <see cref="ElasticsearchSearch"/>: no user query syntax, no filter.
/// </summary>
internal static class ElasticsearchLexicalSearch
{
    public static async Task<LexicalResult> SearchAsync(IElasticClient client, string index, IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var usable = texts.Where(t => t.Weight > 0f && !string.IsNullOrWhiteSpace(t.Text)).ToList();
        var searched = LexicalFieldNames.Of(fields);
        if (usable.Count == 0)
        {
            return new LexicalResult([], 0);
        }

        var response = await client.SearchAsync<JsonObject>(s => s
            .Index(index)
            .Size(top)
            .Source(false)
            .TrackTotalHits()
            .TrackScores()
            .Query(q => q.Bool(b => b.Should([.. usable.Select(t => Clause(t, searched))])))
            .Sort(so => so.Descending(SortSpecialField.Score).Ascending(CatalogJson.Id)), cancellationToken);
        if (!response.IsValid)
        {
            throw ElasticsearchFailure.Of("run the lexical query", response);
        }

        return new LexicalResult([.. response.Hits.Select(h => new LexicalHit(h.Id, (float)(h.Score ?? 0)))], response.Total);
    }

    private static Func<QueryContainerDescriptor<JsonObject>, QueryContainer> Clause(WeightedText text, string[] fields) =>
        q => q.MultiMatch(m => m
            .Query(text.Text)
            .Type(TextQueryType.MostFields)
            .Fields(fields)
            .Operator(Operator.Or)
            .Boost(text.Weight));
}
