using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Index;
using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace MLOps.Web.Shared.Catalog;

/// <summary>
/// How much work one <c>q=</c> may ask for, checked while it is parsed (before Lucene builds any
/// automaton): its length, its clauses (each term counts once per searched field), its wildcard,
/// prefix, fuzzy, regex and range clauses, the wildcards in one term, and for a regex its length,
/// positions and determinized states (<see cref="RegexComplexity"/>). Leading wildcards are refused
/// by the parser itself. The defaults leave every query a person types alone.
/// </summary>
public sealed record CatalogQueryLimits
{
    public static CatalogQueryLimits Default { get; } = new();

    public int MaxLength { get; init; } = 4096;

    /// <summary>Leaf clauses after field expansion (a term over title, overview and tagline is 3); Lucene's own cap is 1024.</summary>
    public int MaxClauses { get; init; } = 300;

    /// <summary>Wildcard, prefix, fuzzy, regex and range clauses after field expansion (10 such terms over 3 fields).</summary>
    public int MaxMultiTermClauses { get; init; } = 30;

    /// <summary><c>*</c> and <c>?</c> in one wildcard term.</summary>
    public int MaxWildcardsPerTerm { get; init; } = 8;

    public int MaxRegexLength { get; init; } = 256;

    public int MaxRegexPositions { get; init; } = 1000;

    /// <summary>
    /// States of a regex term's automaton once determinized. Lucene 5's default cap is 10000, but
    /// Lucene.Net 4.8 minimizes as it builds: 8192 states took 0.7 s of one core here, 1024 about 0.05 s.
    /// </summary>
    public int MaxRegexStates { get; init; } = 2000;
}

/// <summary>A query within the syntax but beyond <see cref="CatalogQueryLimits"/>: the message says which limit.</summary>
public sealed class QueryTooComplexException(string message) : Exception(message);

/// <summary>
/// The query language of <c>GET /api/search?q=</c>: the classic Lucene syntax over title (boost 2),
/// overview and tagline, OR by default. Both engines accept it (Lucene parses it here; Elasticsearch
/// gets it as a <c>query_string</c> query after it was validated here), so a query means the same
/// thing on either. Parsing enforces <see cref="CatalogQueryLimits"/>.
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
    /// <exception cref="QueryTooComplexException">The text asks for more work than <paramref name="limits"/> allow.</exception>
    public static Query Parse(string? text, Analyzer? analyzer = null, CatalogQueryLimits? limits = null)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new MatchAllDocsQuery();
        }

        limits ??= CatalogQueryLimits.Default;
        if (text.Length > limits.MaxLength)
        {
            throw new QueryTooComplexException($"q is {text.Length} characters long; at most {limits.MaxLength}.");
        }

        using var owned = analyzer is null ? new EnglishAnalyzer(Version) : null;
        var parser = new LimitedParser(analyzer ?? owned!, limits);
        return parser.Parse(text);
    }

    /// <summary>The classic parser with every leaf clause counted and every expensive one checked before it is built.</summary>
    private sealed class LimitedParser(Analyzer analyzer, CatalogQueryLimits limits)
        : MultiFieldQueryParser(Version, TextFields, analyzer, TextBoosts)
    {
        private readonly Dictionary<string, string?> _regexVerdicts = new(StringComparer.Ordinal);
        private int _clauses;
        private int _multiTerm;

        public new Query Parse(string text)
        {
            DefaultOperator = Operator.OR;
            AllowLeadingWildcard = false;
            return base.Parse(text);
        }

        protected override Query NewTermQuery(Term term) => Count(base.NewTermQuery(term));

        protected override PhraseQuery NewPhraseQuery() => Count(base.NewPhraseQuery());

        protected override MultiPhraseQuery NewMultiPhraseQuery() => Count(base.NewMultiPhraseQuery());

        protected override Query NewPrefixQuery(Term prefix) => CountMultiTerm(() => base.NewPrefixQuery(prefix));

        protected override Query NewFuzzyQuery(Term term, float minimumSimilarity, int prefixLength) =>
            CountMultiTerm(() => base.NewFuzzyQuery(term, minimumSimilarity, prefixLength));

        protected override Query NewRangeQuery(string field, string part1, string part2, bool startInclusive, bool endInclusive) =>
            CountMultiTerm(() => base.NewRangeQuery(field, part1, part2, startInclusive, endInclusive));

        protected override Query NewWildcardQuery(Term t)
        {
            var wildcards = t.Text.Count(c => c is '*' or '?');
            return wildcards > limits.MaxWildcardsPerTerm
                ? throw new QueryTooComplexException($"the wildcard term '{Shorten(t.Text)}' has {wildcards} wildcards; at most {limits.MaxWildcardsPerTerm}.")
                : CountMultiTerm(() => base.NewWildcardQuery(t));
        }

        protected override Query NewRegexpQuery(Term t)
        {
            if (!_regexVerdicts.TryGetValue(t.Text, out var verdict))
            {
                verdict = RegexComplexity.Check(t.Text, limits.MaxRegexLength, limits.MaxRegexPositions, limits.MaxRegexStates);
                _regexVerdicts[t.Text] = verdict;
            }

            return verdict is null
                ? CountMultiTerm(() => base.NewRegexpQuery(t))
                : throw new QueryTooComplexException($"the regex term /{Shorten(t.Text)}/: {verdict}.");
        }

        private T Count<T>(T query)
        {
            if (++_clauses > limits.MaxClauses)
            {
                throw new QueryTooComplexException(
                    $"q has more than {limits.MaxClauses} clauses (each term counts once for each of title, overview and tagline).");
            }

            return query;
        }

        private Query CountMultiTerm(Func<Query> build)
        {
            if (++_multiTerm > limits.MaxMultiTermClauses)
            {
                throw new QueryTooComplexException(
                    $"q has more than {limits.MaxMultiTermClauses} wildcard, prefix, fuzzy, regex or range clauses (each term counts once for each of title, overview and tagline).");
            }

            return Count(build());
        }

        private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
    }
}
