using Lucene.Net.QueryParsers.Classic;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>
/// The <c>/api/search</c> parameters checked and turned into a <see cref="SearchQuery"/>: page bounds,
/// the sort (<c>relevance</c>, <c>trending</c>, a <c>classification_[a-z0-9_]+</c> field, or a hashtag
/// <c>#tag</c>, which sorts by its field and echoes the field's name), query
/// text that parses as Lucene classic syntax (the same check for both engines, so a malformed query is
/// a 400 and never reaches the engine), and the genre's length. Every problem is reported by field.
/// </summary>
public static class SearchParameters
{
    public const int MaxSize = 1000;

    /// <summary>Elasticsearch's default <c>index.max_result_window</c>; deep pages beyond it are refused on both engines.</summary>
    public const int MaxWindow = 10_000;

    public const int MaxGenreLength = 200;

    public const string SortRelevance = "relevance";
    public const string SortTrending = "trending";

    /// <summary>The query and the sort's name as the response echoes it.</summary>
    /// <exception cref="ProblemException">400 with the errors by parameter.</exception>
    public static (SearchQuery Query, string SortName) ToQuery(
        string? q, string? genre, string? sort, int? from, int? size, bool explain, CatalogQueryLimits? limits = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var f = from ?? 0;
        var n = size ?? 10;
        CheckPage(f, n, errors);
        var sortName = string.IsNullOrWhiteSpace(sort) ? SortRelevance : sort.Trim();
        if (sortName.StartsWith('#') && LabelNaming.ToFieldName(sortName) is { Length: > 0 } tagField)
        {
            // sort=#クリスマス: the tag's own field (classification_t_kurisumasu_...), echoed as the sort.
            sortName = tagField;
        }

        var kind = ParseSort(sortName, errors);
        CheckText(q, limits ?? CatalogQueryLimits.Default, errors);
        if (genre is { Length: > MaxGenreLength })
        {
            errors["genre"] = [$"genre must be at most {MaxGenreLength} characters."];
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
        return (query, sortName);
    }

    private static void CheckPage(int from, int size, Dictionary<string, string[]> errors)
    {
        if (size is < 0 or > MaxSize)
        {
            errors["size"] = [$"size must be between 0 and {MaxSize}."];
        }

        if (from < 0)
        {
            errors["from"] = ["from must be 0 or more."];
        }
        else if ((long)from + size > MaxWindow)
        {
            errors["from"] = [$"from + size must not exceed {MaxWindow}."];
        }
    }

    private static SearchSortKind? ParseSort(string sortName, Dictionary<string, string[]> errors)
    {
        var kind = sortName switch
        {
            SortRelevance => SearchSortKind.Relevance,
            SortTrending => SearchSortKind.Trending,
            _ when LabelNaming.IsFieldName(sortName) && CatalogJson.IsScoreField(sortName) => SearchSortKind.Field,
            _ => (SearchSortKind?)null,
        };
        if (kind is null)
        {
            errors["sort"] = [$"sort must be '{SortRelevance}', '{SortTrending}', a classification field (classification_[a-z0-9_]+) or a hashtag (#tag: its field); '{Truncate(sortName)}' is none of these."];
        }

        return kind;
    }

    /// <summary>
    /// Parsed within the limits, so an expensive query is refused before any automaton is built. A
    /// regex Lucene cannot read (<c>/[/</c>) throws <see cref="ArgumentException"/> from its parser,
    /// not a <see cref="ParseException"/>; both are the client's mistake.
    /// </summary>
    private static void CheckText(string? q, CatalogQueryLimits limits, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(q))
        {
            return;
        }

        try
        {
            _ = CatalogQuerySyntax.Parse(q, limits: limits);
        }
        catch (ParseException ex)
        {
            errors["q"] = [$"q is not valid query syntax: {FirstLine(ex.Message)}"];
        }
        catch (QueryTooComplexException ex)
        {
            errors["q"] = [$"q is too expensive to run: {ex.Message}"];
        }
        catch (ArgumentException ex)
        {
            errors["q"] = [$"q is not valid query syntax: {FirstLine(ex.Message)}"];
        }
    }

    private static string FirstLine(string message)
    {
        var i = message.IndexOfAny(['\r', '\n']);
        return i < 0 ? message : message[..i];
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
