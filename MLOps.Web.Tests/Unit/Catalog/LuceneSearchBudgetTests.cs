using Lucene.Net.Search;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The Lucene search path stops when its time budget is spent or its request is cancelled.</summary>
public sealed class LuceneSearchBudgetTests
{
    private static async Task<LuceneCatalogIndex> IndexAsync(TimeSpan budget, int documents = 600)
    {
        var index = new LuceneCatalogIndex(TempDirectory.Create("lucene-budget"), NullLogger<LuceneCatalogIndex>.Instance,
            new CatalogSearchBudget(budget, CatalogQueryLimits.Default));
        await index.IndexAsync([.. Enumerable.Range(0, documents).Select(i => new CatalogDocument { Id = $"d{i}", Title = $"snow day {i}", Overview = "a winter film" })],
            CancellationToken.None);
        return index;
    }

    [Fact]
    public async Task A_search_past_its_budget_stops_with_a_timeout_that_names_the_budget()
    {
        using var index = await IndexAsync(TimeSpan.FromTicks(1));
        var ex = await Assert.ThrowsAsync<SearchTimeoutException>(() => index.SearchAsync(new SearchQuery { Text = "snow* OR winter~1" }, CancellationToken.None));
        Assert.Contains("Search:Timeout", ex.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromTicks(1), ex.Budget);
    }

    [Fact]
    public async Task The_same_search_within_its_budget_answers()
    {
        using var index = await IndexAsync(TimeSpan.FromSeconds(30));
        var result = await index.SearchAsync(new SearchQuery { Text = "snow* OR winter~1", Sort = SearchSortKind.Trending, FieldWeights = new Dictionary<string, float>() }, CancellationToken.None);
        Assert.Equal(600, result.Total);
    }

    [Fact]
    public void Collecting_stops_once_the_request_is_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        var clock = new LuceneSearchClock(TimeSpan.FromMinutes(1), cancelled.Token);
        var collector = clock.Wrap(TopScoreDocCollector.Create(10, docsScoredInOrder: true));
        collector.SetScorer(new ConstantScorer());
        for (var i = 0; i < 300; i++)
        {
            collector.Collect(i);
        }

        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
        {
            for (var i = 300; i < 600; i++)
            {
                collector.Collect(i);
            }
        });
    }

    private sealed class ConstantScorer() : Scorer(null)
    {
        public override int DocID => 0;

        public override int Freq => 1;

        public override float GetScore() => 1f;

        public override int NextDoc() => NO_MORE_DOCS;

        public override int Advance(int target) => NO_MORE_DOCS;

        public override long GetCost() => 1;
    }
}
