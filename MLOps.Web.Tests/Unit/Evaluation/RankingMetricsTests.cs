using MLOps.Web.Features.Evaluation;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>
/// Expected values are worked out by hand with gain 2^rel - 1 and discount log2(rank + 1):
/// log2(3) = 1.5849625, log2(5) = 2.3219281, log2(6) = 2.5849625, log2(7) = 2.8073549.
/// </summary>
public sealed class RankingMetricsTests
{
    private const double Tolerance = 1e-6;

    private static Dictionary<string, int> Judgments(params (string Id, int Rel)[] items) =>
        items.ToDictionary(i => i.Id, i => i.Rel, StringComparer.Ordinal);

    [Fact]
    public void Dcg_of_a_six_document_ranking_matches_the_hand_computed_sum()
    {
        // 7/1 + 3/1.5849625 + 7/2 + 0/2.3219281 + 1/2.5849625 + 3/2.8073549
        // = 7 + 1.8927893 + 3.5 + 0 + 0.3868528 + 1.0686216 = 13.8482637
        Assert.Equal(13.8482637, RankingMetricsCalculator.Dcg([3, 2, 3, 0, 1, 2], 6), Tolerance);

        // ideal order 3,3,2,2,1,0: 7 + 7/1.5849625 + 3/2 + 3/2.3219281 + 1/2.5849625 + 0
        // = 7 + 4.4165084 + 1.5 + 1.2920297 + 0.3868528 = 14.5953908
        Assert.Equal(14.5953908, RankingMetricsCalculator.IdealDcg([3, 2, 3, 0, 1, 2], 6), Tolerance);
    }

    [Fact]
    public void Ndcg_divides_by_the_ideal_of_every_judged_document()
    {
        var judgments = Judgments(("a", 3), ("b", 2), ("c", 3), ("d", 0), ("e", 1), ("f", 2));
        var (m, ranked) = RankingMetricsCalculator.Evaluate(["a", "b", "c", "d", "e", "f"], judgments, k: 6, relevanceThreshold: 1);

        Assert.Equal(13.8482637, m.Dcg, Tolerance);
        Assert.Equal(14.5953908, m.IdealDcg, Tolerance);
        Assert.Equal(13.8482637 / 14.5953908, m.Ndcg, Tolerance); // 0.9488107
        Assert.Equal(5.0 / 6.0, m.Precision, Tolerance); // d is judged 0
        Assert.Equal([1, 2, 3, 4, 5, 6], ranked.Select(r => r.Rank));
        Assert.Equal(3.0 / 1.5849625, ranked[1].Gain, Tolerance);
    }

    [Fact]
    public void Cut_at_k_counts_only_the_first_k_ranks_but_the_ideal_uses_all_judgments()
    {
        var judgments = Judgments(("a", 3), ("b", 2), ("c", 3), ("d", 0), ("e", 1), ("f", 2));
        var (m, _) = RankingMetricsCalculator.Evaluate(["a", "b", "c", "d", "e", "f"], judgments, k: 3, relevanceThreshold: 1);

        // DCG@3 = 7 + 1.8927893 + 3.5 = 12.3927893; IDCG@3 from 3,3,2 = 7 + 4.4165084 + 1.5 = 12.9165084
        Assert.Equal(12.3927893, m.Dcg, Tolerance);
        Assert.Equal(12.9165084, m.IdealDcg, Tolerance);
        Assert.Equal(12.3927893 / 12.9165084, m.Ndcg, Tolerance);
        Assert.Equal(1.0, m.Precision, Tolerance);
    }

    [Fact]
    public void Tied_relevances_give_the_same_ndcg_whichever_of_them_comes_first()
    {
        var judgments = Judgments(("a", 2), ("b", 2), ("c", 1));
        var (first, _) = RankingMetricsCalculator.Evaluate(["a", "b", "c"], judgments, 10, 1);
        var (swapped, _) = RankingMetricsCalculator.Evaluate(["b", "a", "c"], judgments, 10, 1);

        // 3/1 + 3/1.5849625 + 1/2 = 5.3927893 for both orders, which are both ideal
        Assert.Equal(5.3927893, first.Dcg, Tolerance);
        Assert.Equal(first.Dcg, swapped.Dcg, Tolerance);
        Assert.Equal(1.0, first.Ndcg, Tolerance);
        Assert.Equal(1.0, swapped.Ndcg, Tolerance);
    }

    [Fact]
    public void Unjudged_results_count_as_zero_and_are_flagged()
    {
        var judgments = Judgments(("a", 3), ("b", 1));
        var (m, ranked) = RankingMetricsCalculator.Evaluate(["x", "a", "y", "b"], judgments, 10, 1);

        // 0 + 7/1.5849625 + 0 + 1/2.3219281 = 4.4165084 + 0.4306766 = 4.8471850
        Assert.Equal(4.8471850, m.Dcg, Tolerance);
        // ideal 3,1: 7 + 1/1.5849625 = 7.6309298
        Assert.Equal(7.6309298, m.IdealDcg, Tolerance);
        Assert.Equal(2, m.UnjudgedInTopK);
        Assert.Equal(["x", "y"], ranked.Where(r => !r.Judged).Select(r => r.DocumentId));
        Assert.All(ranked.Where(r => !r.Judged), r => Assert.Equal(0, r.Relevance));
    }

    [Fact]
    public void K_larger_than_the_result_count_scores_what_was_retrieved_and_divides_precision_by_k()
    {
        var judgments = Judgments(("a", 3), ("b", 2), ("c", 1), ("d", 1));
        var (m, ranked) = RankingMetricsCalculator.Evaluate(["b", "a"], judgments, 10, 1);

        // DCG = 3 + 7/1.5849625 = 7.4165084; IDCG over all four: 7 + 3/1.5849625 + 1/2 + 1/2.3219281
        // = 7 + 1.8927893 + 0.5 + 0.4306766 = 9.8234659
        Assert.Equal(7.4165084, m.Dcg, Tolerance);
        Assert.Equal(9.8234659, m.IdealDcg, Tolerance);
        Assert.Equal(7.4165084 / 9.8234659, m.Ndcg, Tolerance);
        Assert.Equal(2.0 / 10.0, m.Precision, Tolerance);
        Assert.Equal(2, m.Retrieved);
        Assert.Equal(2, ranked.Count);
    }

    [Fact]
    public void Retrieved_ideal_variant_ignores_relevant_documents_the_ranking_missed()
    {
        // The 3 ("a") was never retrieved: the reference calculator's ideal comes from c and b only.
        var judgments = Judgments(("a", 3), ("b", 2), ("c", 1));
        var (m, _) = RankingMetricsCalculator.Evaluate(["c", "b"], judgments, 10, 1);

        // DCG = 1 + 3/1.5849625 = 2.8927893; retrieved ideal (2,1) = 3 + 1/1.5849625 = 3.6309298
        // full ideal (3,2,1) = 7 + 3/1.5849625 + 1/2 = 9.3927893
        Assert.Equal(2.8927893, m.Dcg, Tolerance);
        Assert.Equal(3.6309298, m.IdealDcgRetrieved, Tolerance);
        Assert.Equal(2.8927893 / 3.6309298, m.NdcgRetrievedIdeal, Tolerance);
        Assert.Equal(2.8927893 / 9.3927893, m.Ndcg, Tolerance);
        Assert.True(m.NdcgRetrievedIdeal > m.Ndcg);
    }

    [Fact]
    public void A_precision_threshold_of_two_counts_only_documents_judged_two_or_more()
    {
        var judgments = Judgments(("a", 3), ("b", 1), ("c", 2), ("d", 0));
        var (m, _) = RankingMetricsCalculator.Evaluate(["a", "b", "c", "d"], judgments, 4, relevanceThreshold: 2);
        Assert.Equal(0.5, m.Precision, Tolerance);
        Assert.Equal(2, m.RelevantJudged);
    }

    [Fact]
    public void Ndcg_is_zero_when_nothing_judged_is_relevant()
    {
        var (m, _) = RankingMetricsCalculator.Evaluate(["a", "b"], Judgments(("a", 0), ("b", 0)), 10, 1);
        Assert.Equal(0, m.IdealDcg);
        Assert.Equal(0, m.Ndcg);
        Assert.Equal(0, m.NdcgRetrievedIdeal);
    }

    [Fact]
    public void A_document_listed_twice_counts_once()
    {
        var (m, ranked) = RankingMetricsCalculator.Evaluate(["a", "a", "b"], Judgments(("a", 1), ("b", 1)), 10, 1);
        Assert.Equal(["a", "b"], ranked.Select(r => r.DocumentId));
        Assert.Equal(1.0, m.Ndcg, Tolerance);
    }
}
