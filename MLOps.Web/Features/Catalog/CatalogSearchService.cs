using Lucene.Net.QueryParsers.Classic;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
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
/// Validates search parameters and turns them into a <see cref="SearchQuery"/>. Sort field names must
/// match <c>classification_[a-z0-9_]+</c>; query text must parse as Lucene classic syntax (the same
/// check for both engines, so a malformed query is a 400 and never reaches the engine).
/// </summary>
public sealed partial class CatalogSearchService(
    ICatalogIndex index,
    IServiceProvider services,
    IOptions<TrendingSearchOptions> trendingOptions,
    ILogger<CatalogSearchService> logger)
{
    public const int MaxSize = 1000;

    /// <summary>Elasticsearch's default <c>index.max_result_window</c>; deep pages beyond it are refused on both engines.</summary>
    public const int MaxWindow = 10_000;

    public const string SortRelevance = "relevance";
    public const string SortTrending = "trending";

    public async Task<SearchResponse> SearchAsync(
        string? q, string? genre, string? sort, int? from, int? size, bool explain, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var f = from ?? 0;
        var n = size ?? 10;
        if (n is < 0 or > MaxSize)
        {
            errors["size"] = [$"size must be between 0 and {MaxSize}."];
        }

        if (f < 0)
        {
            errors["from"] = ["from must be 0 or more."];
        }
        else if ((long)f + n > MaxWindow)
        {
            errors["from"] = [$"from + size must not exceed {MaxWindow}."];
        }

        var sortName = string.IsNullOrWhiteSpace(sort) ? SortRelevance : sort.Trim();
        var kind = sortName switch
        {
            SortRelevance => SearchSortKind.Relevance,
            SortTrending => SearchSortKind.Trending,
            _ when LabelNaming.IsFieldName(sortName) && CatalogJson.IsScoreField(sortName) => SearchSortKind.Field,
            _ => (SearchSortKind?)null,
        };
        if (kind is null)
        {
            errors["sort"] = [$"sort must be '{SortRelevance}', '{SortTrending}' or a classification field (classification_[a-z0-9_]+); '{Truncate(sortName)}' is none of these."];
        }

        if (!string.IsNullOrWhiteSpace(q))
        {
            try
            {
                _ = CatalogQuerySyntax.Parse(q);
            }
            catch (ParseException ex)
            {
                errors["q"] = [$"q is not valid query syntax: {FirstLine(ex.Message)}"];
            }
        }

        if (genre is { Length: > 200 })
        {
            errors["genre"] = ["genre must be at most 200 characters."];
        }

        if (errors.Count > 0)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, "Invalid search request",
                string.Join(" ", errors.Values.SelectMany(v => v)), errors);
        }

        var query = new SearchQuery
        {
            Text = string.IsNullOrWhiteSpace(q) ? null : q,
            Genre = string.IsNullOrWhiteSpace(genre) ? null : genre.Trim(),
            Sort = kind!.Value,
            SortField = kind == SearchSortKind.Field ? sortName : null,
            From = f,
            Size = n,
            Explain = explain,
        };

        IReadOnlyList<TrendingWeight>? weights = null;
        if (kind == SearchSortKind.Trending)
        {
            weights = await TrendingWeightsAsync(cancellationToken);
            query = query with
            {
                TextWeight = trendingOptions.Value.TextWeight,
                FieldWeights = weights
                    .GroupBy(w => w.Field, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Sum(w => w.Weight), StringComparer.Ordinal),
            };
        }

        var result = await index.SearchAsync(query, cancellationToken);
        var hits = result.Hits.Select(h => new SearchHitDto(
            h.Document.Id,
            h.Document.Title,
            h.Document.Overview,
            h.Document.Genres,
            h.Document.ReleaseDate,
            h.Score,
            h.Document.Classifications,
            h.Explanation)).ToList();
        return new SearchResponse(result.Total, f, n, sortName, hits,
            kind == SearchSortKind.Trending ? query.TextWeight : null, weights);
    }

    /// <summary>
    /// The current top trending tags as field weights: <c>TagWeight</c> shared by trending counts.
    /// Tags whose field name would be empty are left out; with no trending reader the list is empty.
    /// </summary>
    public async Task<IReadOnlyList<TrendingWeight>> TrendingWeightsAsync(CancellationToken cancellationToken)
    {
        var reader = services.GetService<ITrendingReader>();
        if (reader is null)
        {
            return [];
        }

        var o = trendingOptions.Value;
        TrendingSnapshot snapshot;
        try
        {
            snapshot = await reader.GetTopAsync(o.Top, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Search keeps working on text relevance alone while the trending store is unreachable.
            LogTrendingUnavailable(logger, ex);
            return [];
        }

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

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Trending tags unavailable; sort=trending uses text relevance only")]
    private static partial void LogTrendingUnavailable(ILogger logger, Exception exception);

    private static string FirstLine(string message)
    {
        var i = message.IndexOfAny(['\r', '\n']);
        return i < 0 ? message : message[..i];
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
