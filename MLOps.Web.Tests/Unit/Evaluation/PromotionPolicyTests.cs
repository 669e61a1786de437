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

    [Fact]
    public void Equal_means_go_to_the_first_model_id_in_ordinal_order()
    {
        var (_, winner) = PromotionPolicy.Decide(Champion, [Candidate("m@9", 0.70, 0.72), Candidate("m@10", 0.72, 0.70)], 0.01, 1e-9);
        Assert.Equal("m@10", winner);
    }

    [Fact]
    public void A_drop_within_the_per_set_tolerance_is_not_worse_and_a_gain_of_exactly_the_margin_qualifies()
    {
        // christmas 0.60 -> 0.62 (+0.02), ocean 0.70 -> 0.6999 (-0.0001 within 0.001): mean delta 0.00995
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [Candidate("m@2", 0.62, 0.6999)], 0.00995, 0.001);
        Assert.Empty(outcomes[0].WorseSets);
        Assert.Equal("m@2", winner);

        var (strict, none) = PromotionPolicy.Decide(Champion, [Candidate("m@2", 0.62, 0.6999)], 0.00995, 0);
        Assert.Equal(["ocean"], strict[0].WorseSets);
        Assert.Null(none);
    }

    [Fact]
    public void A_candidate_missing_a_set_is_not_evaluated_on_every_set_and_names_it()
    {
        var partial = ("m@2", (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["christmas"] = 0.99 }, (string?)null);
        var (outcomes, winner) = PromotionPolicy.Decide(Champion, [partial], 0.01, 1e-9);
        Assert.Null(winner);
        Assert.Equal("not evaluated on every set: ocean", outcomes[0].Why);
        Assert.Equal(0, outcomes[0].MeanNdcg);
    }

    private static ChallengeResults Results(IReadOnlyDictionary<string, double> champion, params CandidateResult[] candidates) =>
        new([.. champion.Keys], champion, candidates);

    private static CandidateResult Result(string id, double christmas, double ocean, string? error = null) =>
        new(id, new Dictionary<string, double> { ["christmas"] = christmas, ["ocean"] = ocean }, error);

    [Fact]
    public void The_verdict_promotes_the_winner_with_the_figures_behind_it()
    {
        var verdict = PromotionPolicy.Judge(Results(Champion, Result("m@2", 0.64, 0.70), Result("m@3", 0.99, 0.10)), 0.01, 1e-9, autoPromote: true);

        Assert.Equal(PromotionVerdict.Promoted, verdict.Outcome);
        Assert.True(verdict.Promotes);
        Assert.Equal("m@2", verdict.Winner?.ModelId);
        Assert.Contains("beats the champion's 0.6500", verdict.Winner!.Why, StringComparison.Ordinal);
        Assert.Equal(["m@2", "m@3"], verdict.Candidates.Select(c => c.ModelId));
        Assert.Equal(0.65, verdict.ChampionMeanNdcg, 1e-9);
        Assert.Same(Champion, verdict.ChampionNdcgBySet);
        Assert.Null(verdict.Note);
    }

    [Fact]
    public void With_automatic_promotion_off_the_verdict_names_the_winner_but_does_not_promote()
    {
        var verdict = PromotionPolicy.Judge(Results(Champion, Result("m@2", 0.64, 0.70)), 0.01, 1e-9, autoPromote: false);

        Assert.Equal(PromotionVerdict.WouldPromote, verdict.Outcome);
        Assert.False(verdict.Promotes);
        Assert.Equal("m@2", verdict.Winner?.ModelId);
        Assert.Contains("AutoPromote", verdict.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_qualifying_candidate_the_champion_is_kept()
    {
        var verdict = PromotionPolicy.Judge(Results(Champion, Result("m@2", 0.91, 0.69), Result("m@3", 0.60, 0.70)), 0.01, 1e-9, autoPromote: true);

        Assert.Equal(PromotionVerdict.Kept, verdict.Outcome);
        Assert.Null(verdict.Winner);
        Assert.Equal(2, verdict.Candidates.Count);
        Assert.All(verdict.Candidates, c => Assert.False(c.Qualifies));
    }

    [Fact]
    public void With_no_champion_every_set_counts_as_zero_and_a_candidate_that_ranks_at_all_wins()
    {
        var none = new Dictionary<string, double> { ["christmas"] = 0, ["ocean"] = 0 };
        var verdict = PromotionPolicy.Judge(Results(none, Result("m@2", 0.2, 0.1)), 0.01, 1e-9, autoPromote: true);

        Assert.Equal("m@2", verdict.Winner?.ModelId);
        Assert.Equal(0, verdict.ChampionMeanNdcg);
    }

    [Fact]
    public void With_no_sets_or_no_candidates_there_is_nothing_to_compare()
    {
        var noSets = PromotionPolicy.Judge(new ChallengeResults([], new Dictionary<string, double>(), [Result("m@2", 1, 1)]), 0.01, 1e-9, true);
        Assert.Equal(PromotionVerdict.NoJudgmentSets, noSets.Outcome);
        Assert.Empty(noSets.Candidates);

        var noCandidates = PromotionPolicy.Judge(new ChallengeResults(["ocean"], new Dictionary<string, double>(), []), 0.01, 1e-9, true);
        Assert.Equal(PromotionVerdict.NoCandidates, noCandidates.Outcome);
        Assert.Null(noCandidates.Winner);
        Assert.Equal(0, noCandidates.ChampionMeanNdcg);
    }

    [Fact]
    public void A_candidate_that_failed_is_in_the_verdict_with_its_error_and_is_not_promoted()
    {
        var failed = new CandidateResult("m@2", new Dictionary<string, double> { ["christmas"] = 0.99 }, "scorer crashed");
        var verdict = PromotionPolicy.Judge(Results(Champion, failed), 0.01, 1e-9, autoPromote: true);

        Assert.Equal(PromotionVerdict.Kept, verdict.Outcome);
        Assert.Contains("scorer crashed", Assert.Single(verdict.Candidates).Why, StringComparison.Ordinal);
    }
}
