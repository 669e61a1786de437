using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>What a set's query admits into an in-memory evaluation, with a candidate pool bound far below the catalog.</summary>
public sealed class CandidatePoolTests
{
    private static (Evaluator Evaluator, EvaluationFakeCatalogIndex Index) Create()
    {
        var index = new EvaluationFakeCatalogIndex();
        for (var i = 0; i < 30; i++)
        {
            index.Add($"d{i:00}", $"Film {i}", i % 3 == 0 ? "A snowy christmas." : "A summer day.", i % 2 == 0 ? ["Family"] : ["Drama"]);
        }

        var scenario = new EvaluationScenario(withCandidates: false);
        var history = new FileEvaluationHistory(TempDirectory.Create("pool-history"), 100);
        var evaluator = new Evaluator(index, scenario.Scorers, CosineOnlyScoring.PoolScorer(index), scenario.Registry, history,
            Options.Create(new EvaluationOptions { CandidatePoolSize = 10 }), TimeProvider.System, NullLogger<Evaluator>.Instance);
        return (evaluator, index);
    }

    private static JudgmentSet Set(string? genre, string? text) =>
        new("s", new JudgedQuery(genre, "christmas", text), [new("d29", 2)], DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Without_text_the_pool_is_every_document_the_genre_admits_not_the_first_pool_size()
    {
        var (evaluator, _) = Create();

        var all = await evaluator.GetPoolAsync(Set(null, null), CancellationToken.None);
        Assert.Equal(30, all.Documents.Count);
        Assert.Equal(30, all.MatchedTotal);
        Assert.Equal(30, all.CatalogIds.Count);

        var family = await evaluator.GetPoolAsync(Set("family", null), CancellationToken.None);
        Assert.Equal(15, family.Documents.Count);
        Assert.All(family.Documents, d => Assert.Contains("Family", d.Genres));
        Assert.Equal(30, family.CatalogIds.Count); // the plan's statistics sample is drawn from the whole catalog
    }

    [Fact]
    public async Task With_text_the_pool_is_the_querys_best_documents_up_to_the_bound_plus_the_judged_ones()
    {
        var (evaluator, _) = Create();
        var pool = await evaluator.GetPoolAsync(Set(null, "summer"), CancellationToken.None);
        Assert.Equal(20, pool.MatchedTotal);
        Assert.Equal(11, pool.Documents.Count); // 10 retrieved + the judged d29 (a summer film beyond the bound)
        Assert.Contains(pool.Documents, d => d.Id == "d29");
    }
}
