using MLOps.Web.Features.Evaluation;

namespace MLOps.Web.Tests.Unit.Evaluation;

public sealed class PromotionPolicyTests
{
    private static readonly Dictionary<string, double> Champion = new() { ["christmas"] = 0.60, ["ocean"] = 0.70 };

    private static (string, IReadOnlyDictionary<string, double>, string?) Candidate(string id, double christmas, double ocean, string? error = null) =>
        (id, new Dictionary<string, double> { ["christmas"] = christmas, ["ocean"] = ocean }, error);

    [Fact]
    public void A_candidate_that_beats_the_mean_by_the_margin_and_is_worse_nowhere_is_promoted()
    {
        // mean 0.65 -> 0.67: +0.02 >= 0.01, and neither set drops
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Candidate("m@2", 0.64, 0.70)], 0.01, 1e-9);
        Assert.Equal("m@2", winner);
        var o = Assert.Single(outcomes);
        Assert.True(o.Qualifies);
        Assert.Equal(0.02, o.MeanDelta, 1e-9);
    }

    [Fact]
    public void A_candidate_worse_on_one_set_is_not_promoted_even_with_a_much_better_mean()
    {
        // mean 0.65 -> 0.80, but ocean drops 0.70 -> 0.69
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Candidate("m@2", 0.91, 0.69)], 0.01, 1e-9);
        Assert.Null(winner);
        Assert.Equal(["ocean"], outcomes[0].WorseSets);
        Assert.Contains("worse", outcomes[0].Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_candidate_better_everywhere_but_by_less_than_the_margin_is_not_promoted()
    {
        // mean 0.65 -> 0.655: +0.005 < 0.01
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Candidate("m@2", 0.605, 0.705)], 0.01, 1e-9);
        Assert.Null(winner);
        Assert.False(outcomes[0].Qualifies);
    }

    [Fact]
    public void A_candidate_equal_to_the_champion_is_not_promoted_even_with_a_zero_margin()
    {
        var (_, winner) = PromotionPolicy.Decide(Champion, [Candidate("m@2", 0.60, 0.70)], 0, 1e-9);
        Assert.Null(winner);
    }

    [Fact]
    public void Among_qualifying_candidates_the_highest_mean_wins()
    {
        var (outcomes, winner) = PromotionPolicy.Decide(
            Champion,
            [Candidate("m@2", 0.64, 0.72), Candidate("m@3", 0.70, 0.75), Candidate("m@4", 0.99, 0.50)],
            0.01,
            1e-9);
        Assert.Equal("m@3", winner);
        Assert.Equal([true, true, false], outcomes.Select(o => o.Qualifies));
    }

    [Fact]
    public void A_candidate_that_failed_on_a_set_is_not_promoted()
    {
        var partial = ("m@2", (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["christmas"] = 0.99 }, (string?)"scorer crashed");
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [partial], 0.01, 1e-9);
        Assert.Null(winner);
        Assert.Contains("scorer crashed", outcomes[0].Why, StringComparison.Ordinal);
    }
}
