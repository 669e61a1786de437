using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Reclassification;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>
/// The evaluate-models job over <see cref="EvaluationScenario"/>. NDCG@10 by hand (gain 2^rel - 1, discount log2(rank + 1)):
/// christmas, ideal from judged 3,3,2,1 = 7 + 7/1.5849625 + 3/2 + 1/2.3219281 = 13.3471850;
///   m@1 ranks bball(0), xmas1(3), unj(-), xmas3(2), fish(0), xmas2(3): 7/1.5849625 + 3/2.3219281 + 7/2.8073549 = 8.2019886 -> 0.6145107;
///   m@2 and m@3 rank xmas1, xmas2, xmas3 first: 7 + 4.4165084 + 1.5 = 12.9165084 -> 0.9677328.
/// ocean, ideal 3,2 = 7 + 3/1.5849625 = 8.8927893; m@1 and m@2 put fish, sea first -> 1;
///   m@3 puts sea 7th and fish 8th: 3/3 + 7/3.1699250 = 3.2082542 -> 0.3607703.
/// </summary>
public sealed class ChampionChallengerJobTests
{
    private const double Tolerance = 1e-6;

    private static async Task<(ChampionChallengerJob Job, IEvaluationHistory History)> JobAsync(
        EvaluationScenario s, EvaluationOptions? options = null, bool withTrigger = true)
    {
        var dir = TempDirectory.Create("cc");
        var judgments = new FileJudgmentStore(Path.Combine(dir, "judgments"));
        await judgments.PutAsync(EvaluationScenario.ChristmasSet, CancellationToken.None);
        await judgments.PutAsync(EvaluationScenario.OceanSet, CancellationToken.None);
        var history = new FileEvaluationHistory(Path.Combine(dir, "evaluations"), 1000);
        var o = Options.Create(options ?? new EvaluationOptions());
        var evaluator = new Evaluator(s.Index, s.Scorers, CosineOnlyScoring.PoolScorer(s.Index), s.Registry, history, o, TimeProvider.System, NullLogger<Evaluator>.Instance);
        IReclassificationTrigger trigger = withTrigger ? s.Trigger : new NoReclassificationTrigger();
        var job = new ChampionChallengerJob(evaluator, judgments, s.Registry, s.Scorers, history, trigger, o,
            TimeProvider.System, NullLogger<ChampionChallengerJob>.Instance);
        return (job, history);
    }

    [Fact]
    public async Task The_candidate_that_beats_the_champion_by_the_margin_and_is_worse_nowhere_is_promoted_and_reclassification_starts()
    {
        var s = new EvaluationScenario();
        s.Index.Freeze();
        var (job, history) = await JobAsync(s);

        var decision = await job.RunAsync("test", CancellationToken.None);

        Assert.Equal("promoted", decision.Outcome);
        Assert.Equal("m@1", decision.ChampionId);
        Assert.Equal(0.6145107, decision.ChampionNdcgBySet["family-christmas"], Tolerance);
        Assert.Equal(1.0, decision.ChampionNdcgBySet["ocean"], Tolerance);

        var m2 = decision.Candidates.Single(c => c.ModelId == "m@2");
        Assert.True(m2.Qualifies);
        Assert.Equal(0.9677328, m2.NdcgBySet["family-christmas"], Tolerance);
        Assert.Equal(((0.9677328 + 1) / 2) - ((0.6145107 + 1) / 2), m2.MeanDelta, Tolerance);

        var m3 = decision.Candidates.Single(c => c.ModelId == "m@3");
        Assert.False(m3.Qualifies);
        Assert.Equal(["ocean"], m3.WorseSets);
        Assert.Equal(0.3607703, m3.NdcgBySet["ocean"], Tolerance);

        var (promoted, reason) = Assert.Single(s.Registry.Promotions);
        Assert.Equal("m@2", promoted);
        Assert.Contains("champion/challenger", reason, StringComparison.Ordinal);
        var (labels, why) = Assert.Single(s.Trigger.Calls);
        Assert.Null(labels);
        Assert.Contains("m@2", why, StringComparison.Ordinal);
        Assert.Equal("reclassify-1", decision.ReclassificationJobId);

        // the decision and every (model, set) measurement are recorded; no scorer lease is left open
        Assert.Equal(decision.Id, (await history.ListDecisionsAsync(10, CancellationToken.None))[0].Id);
        Assert.Equal(6, (await history.ListAsync(null, null, 100, CancellationToken.None)).Count);
        Assert.Equal(0, s.Scorers.OpenLeases);
        Assert.Equal(0, s.Index.Writes);
        Assert.DoesNotContain(s.Index.Searches, q => q.SortField is not null);
    }

    [Fact]
    public async Task No_candidate_is_promoted_when_none_beats_the_champion_by_the_margin()
    {
        var s = new EvaluationScenario();
        var (job, history) = await JobAsync(s, new EvaluationOptions { PromotionMargin = 0.2 });

        var decision = await job.RunAsync("test", CancellationToken.None);

        // m@2's mean gain is (0.9677328 - 0.6145107) / 2 = 0.1766110 < 0.2
        Assert.Equal("kept", decision.Outcome);
        Assert.Null(decision.PromotedModelId);
        Assert.Empty(s.Registry.Promotions);
        Assert.Empty(s.Trigger.Calls);
        Assert.Equal("m@1", s.Scorers.ActiveModelId);
        Assert.Equal("kept", (await history.ListDecisionsAsync(10, CancellationToken.None))[0].Outcome);
    }

    [Fact]
    public async Task A_candidate_that_is_worse_on_one_set_is_not_promoted_whatever_its_mean()
    {
        var s = new EvaluationScenario(withCandidates: false);
        s.Registry.Add("m@3", s.CosineOf("m@3"));
        var (job, _) = await JobAsync(s, new EvaluationOptions { PromotionMargin = 0 });

        var decision = await job.RunAsync("test", CancellationToken.None);

        Assert.Equal("kept", decision.Outcome);
        Assert.Empty(s.Registry.Promotions);
        Assert.Empty(s.Trigger.Calls);
    }

    [Fact]
    public async Task Without_a_reclassification_trigger_the_promotion_is_recorded_as_not_reclassified()
    {
        var s = new EvaluationScenario();
        var (job, _) = await JobAsync(s, withTrigger: false);

        var decision = await job.RunAsync("test", CancellationToken.None);

        Assert.Equal("m@2", decision.PromotedModelId);
        Assert.Null(decision.ReclassificationJobId);
        Assert.Contains("reclassification", decision.Note, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_reclassification_that_cannot_be_enqueued_leaves_the_promotion_in_place_and_is_noted()
    {
        var s = new EvaluationScenario();
        s.Trigger.Failure = new InvalidOperationException("job storage down");
        var (job, _) = await JobAsync(s);

        var decision = await job.RunAsync("test", CancellationToken.None);

        Assert.Equal("promoted", decision.Outcome);
        Assert.Equal("m@2", s.Scorers.ActiveModelId);
        Assert.Single(s.Trigger.Calls);
        Assert.Null(decision.ReclassificationJobId);
        Assert.Contains("job storage down", decision.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_auto_promotion_off_the_winner_is_recorded_but_nothing_changes()
    {
        var s = new EvaluationScenario();
        var (job, _) = await JobAsync(s, new EvaluationOptions { AutoPromote = false });

        var decision = await job.RunAsync("test", CancellationToken.None);

        Assert.Equal("would_promote", decision.Outcome);
        Assert.Empty(s.Registry.Promotions);
        Assert.Equal("m@1", s.Scorers.ActiveModelId);
    }

    [Fact]
    public async Task With_only_the_champion_registered_the_decision_says_there_were_no_candidates()
    {
        var s = new EvaluationScenario(withCandidates: false);
        var (job, _) = await JobAsync(s);

        var decision = await job.RunAsync("test", CancellationToken.None);

        Assert.Equal("no_candidates", decision.Outcome);
        Assert.Empty(s.Registry.Promotions);
    }
}
