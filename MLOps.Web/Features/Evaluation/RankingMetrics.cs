using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// DCG, NDCG and precision at k. Gain is exponential, <c>2^rel - 1</c>, with the
/// <c>log2(rank + 1)</c> discount (Burges et al. 2005, the form most IR toolkits call NDCG),
/// so a rank holding a 3 is worth seven times one holding a 1. A document listed twice counts once.
/// </summary>
public static class RankingMetricsCalculator
{
    public const string GainDescription = "exponential gain 2^rel - 1, discount log2(rank + 1); unjudged documents count 0";

    public static double Gain(int relevance) => Math.Pow(2, relevance) - 1;

    public static double Discount(int rank) => Math.Log2(rank + 1);

    /// <summary>DCG of relevances in rank order, cut at k.</summary>
    public static double Dcg(IEnumerable<int> relevancesInRankOrder, int k)
    {
        var dcg = 0.0;
        var rank = 0;
        foreach (var rel in relevancesInRankOrder)
        {
            if (++rank > k)
            {
                break;
            }

            dcg += Gain(rel) / Discount(rank);
        }

        return dcg;
    }

    /// <summary>DCG of the best possible order of <paramref name="relevances"/>, cut at k.</summary>
    public static double IdealDcg(IEnumerable<int> relevances, int k) =>
        Dcg(relevances.OrderDescending(), k);

    /// <summary>Scores a ranking (document ids, best first) against a set's judgments.</summary>
    public static (RankingMetrics Metrics, IReadOnlyList<RankedDocument> Ranked) Evaluate(
        IReadOnlyList<string> rankedIds,
        IReadOnlyDictionary<string, int> judgments,
        int k,
        int relevanceThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ranked = new List<RankedDocument>();
        foreach (var id in rankedIds)
        {
            if (!seen.Add(id))
            {
                continue;
            }

            var judged = judgments.TryGetValue(id, out var rel);
            var rank = ranked.Count + 1;
            ranked.Add(new RankedDocument(rank, id, judged ? rel : 0, judged, rank <= k ? Gain(judged ? rel : 0) / Discount(rank) : 0));
        }

        var top = ranked.Take(k).ToList();
        var dcg = Dcg(top.Select(r => r.Relevance), k);
        var idcg = IdealDcg(judgments.Values, k);
        var idcgRetrieved = IdealDcg(top.Select(r => r.Relevance), k);
        var metrics = new RankingMetrics(
            K: k,
            Dcg: dcg,
            IdealDcg: idcg,
            Ndcg: idcg > 0 ? dcg / idcg : 0,
            IdealDcgRetrieved: idcgRetrieved,
            NdcgRetrievedIdeal: idcgRetrieved > 0 ? dcg / idcgRetrieved : 0,
            Precision: (double)top.Count(r => r.Relevance >= relevanceThreshold) / k,
            RelevanceThreshold: relevanceThreshold,
            Retrieved: ranked.Count,
            UnjudgedInTopK: top.Count(r => !r.Judged),
            JudgedDocuments: judgments.Count,
            RelevantJudged: judgments.Values.Count(v => v >= relevanceThreshold));
        return (metrics, ranked);
    }
}
