using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace MLOps.Web.Shared.Catalog;

/// <summary>
/// The query language of <c>GET /api/search?q=</c>: the classic Lucene syntax over title (boost 2),
/// overview and tagline, OR by default. Both engines accept it (Lucene parses it here; Elasticsearch
/// gets it as a <c>query_string</c> query after it was validated here), so a query means the same
/// thing on either.
/// </summary>
public static class CatalogQuerySyntax
{
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;

    /// <summary>The searched text fields.</summary>
    public static readonly string[] TextFields = [CatalogJson.Title, CatalogJson.Overview, CatalogJson.Tagline];

    private static readonly Dictionary<string, float> TextBoosts = new(StringComparer.Ordinal)
    {
        [CatalogJson.Title] = 2f,
        [CatalogJson.Overview] = 1f,
        [CatalogJson.Tagline] = 1f,
    };

    /// <summary>Parses user query text; empty text matches every document.</summary>
    /// <exception cref="ParseException">The text is not valid query syntax.</exception>
    public static Query Parse(string? text, Analyzer? analyzer = null)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new MatchAllDocsQuery();
        }

        using var owned = analyzer is null ? new EnglishAnalyzer(Version) : null;
        var parser = new MultiFieldQueryParser(Version, TextFields, analyzer ?? owned!, TextBoosts)
        {
            DefaultOperator = Operator.OR,
        };
        return parser.Parse(text);
    }
}
