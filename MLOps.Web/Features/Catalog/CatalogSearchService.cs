using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Catalog;

/// <summary>One search hit as the API returns it.</summary>
public sealed record SearchHitDto(
    string Id,
    string Title,
    string? Overview,
    IReadOnlyList<string> Genres,
    string? ReleaseDate,
    float Score,
    IReadOnlyDictionary<string, float> Classifications,
    string? Explanation);

/// <summary>A trending tag's share in a <c>sort=trending</c> blend.</summary>
public sealed record TrendingWeight(string Tag, string Field, long Count, float Weight);

/// <summary>A page of search hits.</summary>
public sealed record SearchResponse(
    long Total,
    int From,
    int Size,
    string Sort,
    IReadOnlyList<SearchHitDto> Hits,
    float? TextWeight = null,
    IReadOnlyList<TrendingWeight>? Trending = null);

/// <summary>
/// <c>/api/search</c>: parameters checked into a query (<see cref="SearchParameters"/>), for
/// <c>sort=trending</c> the current trending tags turned into field weights, the index searched, hits
/// shaped for the API. Without a trending store (<see cref="NoTrendingReader"/>) the blend is text only.
/// </summary>
public sealed partial class CatalogSearchService(
    ICatalogIndex index,
    ITrendingReader trending,
    IOptions<TrendingSearchOptions> trendingOptions,
    IOptions<SearchLimitsOptions> limits,
    ILogger<CatalogSearchService> logger)
{
    public async Task<SearchResponse> SearchAsync(
        string? q, string? genre, string? sort, int? from, int? size, bool explain, CancellationToken cancellationToken)
    {
        var (query, sortName) = SearchParameters.ToQuery(q, genre, sort, from, size, explain, limits.Value.ToBudget().Limits);
        IReadOnlyList<TrendingWeight>? weights = null;
        if (query.Sort == SearchSortKind.Trending)
        {
            weights = await TrendingWeightsAsync(cancellationToken);
            query = WithTrendingBlend(query, weights);
        }

        var result = await index.SearchAsync(query, cancellationToken);
        return ToResponse(result, query, sortName, weights);
    }

    /// <summary>
    /// The current top trending tags as field weights: <c>TagWeight</c> shared by trending counts.
    /// Tags whose field name would be empty are left out; with no trending tags (or the store
    /// unreachable) the list is empty.
    /// </summary>
    public async Task<IReadOnlyList<TrendingWeight>> TrendingWeightsAsync(CancellationToken cancellationToken)
    {
        var o = trendingOptions.Value;
        TrendingSnapshot snapshot;
        try
        {
            snapshot = await trending.GetTopAsync(o.Top, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Search keeps working on text relevance alone while the trending store is unreachable.
            LogTrendingUnavailable(logger, ex);
            return [];
        }

        return Weights(snapshot, o);
    }

    /// <summary><c>TagWeight</c> × each usable tag's share of the counts of the top <c>Top</c> usable tags.</summary>
    internal static IReadOnlyList<TrendingWeight> Weights(TrendingSnapshot snapshot, TrendingSearchOptions o)
    {
        var tags = snapshot.Tags
            .Select(t => (Tag: t, Field: LabelNaming.ToFieldName(t.Tag)))
            .Where(t => t.Field.Length > 0 && CatalogJson.IsScoreField(t.Field) && t.Tag.Count > 0)
            .Take(o.Top)
            .ToList();
        double total = tags.Sum(t => t.Tag.Count);
        return total <= 0
            ? []
            : tags.Select(t => new TrendingWeight(t.Tag.Tag, t.Field, t.Tag.Count, (float)(o.TagWeight * t.Tag.Count / total))).ToList();
    }

    private SearchQuery WithTrendingBlend(SearchQuery query, IReadOnlyList<TrendingWeight> weights) => query with
    {
        TextWeight = trendingOptions.Value.TextWeight,
        FieldWeights = weights
            .GroupBy(w => w.Field, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(w => w.Weight), StringComparer.Ordinal),
    };

    private static SearchResponse ToResponse(SearchResult result, SearchQuery query, string sortName, IReadOnlyList<TrendingWeight>? weights)
    {
        var hits = result.Hits.Select(h => new SearchHitDto(
            h.Document.Id,
            h.Document.Title,
            h.Document.Overview,
            h.Document.Genres,
            h.Document.ReleaseDate,
            h.Score,
            h.Document.Classifications,
            h.Explanation)).ToList();
        return new SearchResponse(result.Total, query.From, query.Size, sortName, hits,
            query.Sort == SearchSortKind.Trending ? query.TextWeight : null, weights);
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Trending tags unavailable; sort=trending uses text relevance only")]
    private static partial void LogTrendingUnavailable(ILogger logger, Exception exception);
}

/// <summary>The trending reader where no trending store is registered: no tags, so <c>sort=trending</c> is text relevance only.</summary>
internal sealed class NoTrendingReader(TimeProvider time) : ITrendingReader
{
    public Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Task.FromResult(new TrendingSnapshot([], now, now, "none"));
    }
}
