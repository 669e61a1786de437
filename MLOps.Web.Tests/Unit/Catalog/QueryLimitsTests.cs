using System.Diagnostics;
using Lucene.Net.Index;
using Lucene.Net.Search;
using MLOps.Web.Shared.Catalog;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The query limits and the regex complexity check on their own, and what the accepted worst cases cost Lucene.</summary>
public sealed class QueryLimitsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("christmas", null)]
    [InlineData("[ab]*a[ab]{12}", null)]
    [InlineData("[ab]*a[ab]{14}", "states")]
    [InlineData("a{99999}", "positions")]
    [InlineData("((#{1000}){1000}){1000}", "positions")]
    [InlineData("(a|b)*c", null)]
    [InlineData("\"quoted\".*", null)]
    [InlineData("[^a-z]+", null)]
    [InlineData("@christmas@", null)]
    [InlineData("[", "not a valid")]
    [InlineData("(", "not a valid")]
    [InlineData("a{3,1}", "not a valid")]
    [InlineData("~a", "not supported")]
    [InlineData("a&b", "not supported")]
    [InlineData("<1-100>", "not supported")]
    public void The_regex_check_accepts_small_automata_and_says_why_it_refuses_the_others(string regex, string? reason)
    {
        var verdict = RegexComplexity.Check(regex, 256, 1000, 10_000);
        if (reason is null)
        {
            Assert.Null(verdict);
        }
        else
        {
            Assert.NotNull(verdict);
            Assert.Contains(reason, verdict, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_check_counts_the_states_lucene_builds_for_a_nondeterministic_tail()
    {
        // [ab]*a[ab]{n} needs 2^(n+1) deterministic states: 2^13 = 8192 fit in 10000, 2^14 do not.
        Assert.Null(RegexComplexity.Check("[ab]*a[ab]{12}", 256, 1000, 10_000));
        Assert.NotNull(RegexComplexity.Check("[ab]*a[ab]{13}", 256, 1000, 10_000));
        Assert.Null(RegexComplexity.Check("[ab]*a[ab]{13}", 256, 1000, 20_000));
    }

    [Fact]
    public void The_worst_accepted_regex_and_wildcard_terms_cost_lucene_little()
    {
        // Both constructors build (and determinize) the automaton: that is where the CPU went.
        var clock = Stopwatch.StartNew();
        // [ab]*a[ab]{9}: 1024 states, the largest of its family the default limit (2000) accepts.
        Assert.Null(RegexComplexity.Check("[ab]*a[ab]{9}", 256, 1000, CatalogQueryLimits.Default.MaxRegexStates));
        Assert.NotNull(RegexComplexity.Check("[ab]*a[ab]{10}", 256, 1000, CatalogQueryLimits.Default.MaxRegexStates));
        clock.Restart();
        Assert.NotNull(new RegexpQuery(new Term("title", "[ab]*a[ab]{9}")));
        var regexMs = clock.ElapsedMilliseconds;
        var wildcardMs = new Dictionary<int, long>();
        foreach (var stars in new[] { 8, 12, 16 })
        {
            clock.Restart();
            var pattern = string.Concat(Enumerable.Range(0, stars).Select(i => $"{(char)('a' + i)}*"));
            Assert.NotNull(new WildcardQuery(new Term("title", pattern)));
            wildcardMs[stars] = clock.ElapsedMilliseconds;
        }

        output.WriteLine($"regex [ab]*a[ab]{{9}}: {regexMs} ms; wildcards: {string.Join(", ", wildcardMs.Select(kv => $"{kv.Key} stars {kv.Value} ms"))}");
        Assert.True(regexMs < 1000, $"regex took {regexMs} ms");
        Assert.True(wildcardMs[8] < 1000, $"8 wildcards took {wildcardMs[8]} ms");
    }

    [Theory]
    [InlineData("snow lantern reindeer", 9)]
    [InlineData("title:christmas", 1)]
    [InlineData("\"two words\" three", 6)]
    public void Every_term_counts_once_per_searched_field(string q, int clauses)
    {
        Assert.NotNull(CatalogQuerySyntax.Parse(q, limits: new CatalogQueryLimits { MaxClauses = clauses }));
        Assert.Throws<QueryTooComplexException>(() => CatalogQuerySyntax.Parse(q, limits: new CatalogQueryLimits { MaxClauses = clauses - 1 }));
    }

    [Fact]
    public void Wildcard_terms_over_the_limit_are_refused_before_lucene_builds_them()
    {
        var limits = new CatalogQueryLimits { MaxMultiTermClauses = 30 };
        Assert.NotNull(CatalogQuerySyntax.Parse(string.Join(' ', Enumerable.Repeat("a*", 10)), limits: limits));
        var ex = Assert.Throws<QueryTooComplexException>(() => CatalogQuerySyntax.Parse(string.Join(' ', Enumerable.Repeat("a*", 11)), limits: limits));
        Assert.Contains("30", ex.Message, StringComparison.Ordinal);
        Assert.Throws<QueryTooComplexException>(() => CatalogQuerySyntax.Parse("a*b*c*d*e*f*g*h*i*", limits: limits));
        Assert.Throws<QueryTooComplexException>(() => CatalogQuerySyntax.Parse(new string('x', 4097)));
    }
}
