using MLOps.Web.Features.Evaluation;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>
/// Champion/challenger and trained versions: a candidate is compared only on sets outside the training
/// data (its own or the champion's), says so, and a rolled-back version must beat its own record.
/// </summary>
public sealed class TrainedCandidatePolicyTests
{
    private static readonly Dictionary<string, double> Champion = new() { ["christmas"] = 0.60, ["ocean"] = 0.70, ["heist"] = 0.50 };

    private static CandidateResult Trained(string id, double christmas, double ocean, double heist, params string[] trainedOn) =>
        new(id, new Dictionary<string, double> { ["christmas"] = christmas, ["ocean"] = ocean, ["heist"] = heist }) { ExcludedSets = trainedOn };

    [Fact]
    public void A_trained_version_that_wins_on_its_held_back_sets_is_promoted_whatever_it_scores_on_its_training_sets()
    {
        // trained on ocean, where it is (leakily) perfect and where it is also allowed to be worse: only christmas and heist count
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Trained("m@2", 0.70, 0.10, 0.55, "ocean")], 0.01, 1e-9);

        var o = Assert.Single(outcomes);
        Assert.Equal("m@2", winner);
        Assert.Equal((0.70 + 0.55) / 2, o.MeanNdcg, 1e-12);
        Assert.Equal((0.60 + 0.50) / 2, o.ChampionMeanNdcg!.Value, 1e-12);
        Assert.Equal(["ocean"], o.ExcludedSets);
        Assert.DoesNotContain("ocean", o.NdcgBySet.Keys);
        Assert.Contains("held-back sets only (christmas, heist)", o.Why, StringComparison.Ordinal);
        Assert.Contains("not on the training sets ocean", o.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trained_version_that_wins_only_on_its_training_sets_is_not_promoted()
    {
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Trained("m@2", 0.61, 1.0, 0.49, "ocean")], 0.01, 1e-9);

        Assert.Null(winner);
        Assert.False(Assert.Single(outcomes).Qualifies);
        Assert.Contains("worse than the champion on heist", outcomes[0].Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_trained_on_every_set_has_nothing_to_be_compared_on_and_is_not_promoted()
    {
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Trained("m@2", 1, 1, 1, "christmas", "ocean", "heist")], 0.01, 1e-9);

        Assert.Null(winner);
        Assert.Contains("no held-back set to compare on", Assert.Single(outcomes).Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rolled_back_version_is_promoted_again_only_when_it_beats_its_own_record_by_the_margin()
    {
        var candidate = Trained("m@2", 0.70, 0.80, 0.60);

        var (below, none) = PromotionPolicy.Decide(Champion, [candidate with { Record = 0.70 }], 0.01, 1e-9);
        var (_, again) = PromotionPolicy.Decide(Champion, [candidate with { Record = 0.65 }], 0.01, 1e-9);

        // mean 0.70 beats the champion's 0.60 by 0.10, but not its own record 0.70 by 0.01
        Assert.Null(none);
        Assert.Contains("rolled back before", Assert.Single(below).Why, StringComparison.Ordinal);
        Assert.Equal(0.70, below[0].Record);
        Assert.Equal("m@2", again);
    }
}
