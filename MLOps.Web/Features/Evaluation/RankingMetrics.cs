namespace MLOps.Web.Features.Evaluation;

/// <summary>One position of an evaluated ranking, with the document's judgment.</summary>
/// <param name="Rank">1-based position.</param>
/// <param name="DocumentId">Document id.</param>
/// <param name="Relevance">The judged relevance; 0 when unjudged.</param>
/// <param name="Judged">False when the set has no judgment for the document (it then counts as 0).</param>
/// <param name="Gain">Its discounted gain at this rank: (2^rel - 1) / log2(rank + 1).</param>
public sealed record RankedDocument(int Rank, string DocumentId, int Relevance, bool Judged, double Gain)
{
    public string? Title { get; init; }

    /// <summary>The score the ranking sorted by (the classification field or the candidate's in-memory score).</summary>
    public double? Score { get; init; }
}

/// <summary>Ranking quality at a cut-off k.</summary>
/// <param name="K">Cut-off.</param>
/// <param name="Dcg">DCG@k of the ranking: sum over ranks i &lt;= k of (2^rel_i - 1) / log2(i + 1).</param>
/// <param name="IdealDcg">DCG@k of the ideal ranking of every judged document of the set.</param>
/// <param name="Ndcg">Dcg / IdealDcg (0 when IdealDcg is 0): the headline figure.</param>
/// <param name="IdealDcgRetrieved">DCG@k of the retrieved documents re-ordered by their judgments.</param>
/// <param name="NdcgRetrievedIdeal">Dcg / IdealDcgRetrieved: the reference calculator's variant, which ignores relevant documents the ranking missed.</param>
/// <param name="Precision">Share of the k ranks holding a document judged at least <paramref name="RelevanceThreshold"/> (divided by k even when fewer were retrieved).</param>
/// <param name="RelevanceThreshold">Relevance at or above which a document counts as relevant for precision.</param>
/// <param name="Retrieved">Documents in the ranking (up to k are scored).</param>
/// <param name="UnjudgedInTopK">Documents in the top k with no judgment (counted as 0).</param>
/// <param name="JudgedDocuments">Judgments in the set.</param>
/// <param name="RelevantJudged">Judged documents at or above the threshold.</param>
public sealed record RankingMetrics(
    int K,
    double Dcg,
    double IdealDcg,
    double Ndcg,
    double IdealDcgRetrieved,
    double NdcgRetrievedIdeal,
    double Precision,
    int RelevanceThreshold,
    int Retrieved,
    int UnjudgedInTopK,
    int JudgedDocuments,
    int RelevantJudged);

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
