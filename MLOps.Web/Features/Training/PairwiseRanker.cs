using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

/// <summary>One training row: a document's features for a set's tag, its grade (0 when unjudged) and its set (group).</summary>
public sealed record TrainingRow(double[] X, int Relevance, int Group);

/// <summary>
/// Pairwise linear ranker (RankNet with a linear scorer), ported from the relevance research: for the
/// pairs (i, j) of one set with rel_i &gt; rel_j, minimise log(1 + exp(−w·(x_i − x_j))), each pair
/// weighted by |2^rel_i − 2^rel_j| and each set weighing the same. That is a bias-free logistic
/// regression on difference vectors, solved by Newton's method (<see cref="LogisticFit"/>). The
/// research added each pair in both orientations; for a bias-free logistic loss that is the same
/// problem as one orientation with twice the weight, which is what is solved here. Deterministic for
/// a given seed: a set with more pairs than <c>maxPairsPerGroup</c> keeps a seeded sample of them.
/// </summary>
public static class PairwiseRanker
{
    public const int DefaultMaxPairsPerGroup = 20_000;

    public const string OneClassOnly = "One class only: every training row has the same grade, so there is no pair of documents to rank. Judge documents of at least two grades.";

    public static double[] Fit(IReadOnlyList<TrainingRow> rows, double l2, int seed, int maxPairsPerGroup = DefaultMaxPairsPerGroup)
    {
        var rng = new Random(seed);
        var xs = new List<double[]>();
        var ws = new List<double>();
        foreach (var group in rows.GroupBy(r => r.Group).OrderBy(g => g.Key))
        {
            var list = group.ToList();
            var pairs = Pairs(list);
            if (pairs.Count > maxPairsPerGroup)
            {
                pairs = [.. pairs.OrderBy(_ => rng.Next()).Take(maxPairsPerGroup)];
            }

            var groupWeight = 1.0 / Math.Max(1, pairs.Count);
            foreach (var (a, b) in pairs)
            {
                var d = new double[list[a].X.Length];
                for (var f = 0; f < d.Length; f++)
                {
                    d[f] = list[a].X[f] - list[b].X[f];
                }

                xs.Add(d);
                ws.Add(2 * (Math.Pow(2, list[a].Relevance) - Math.Pow(2, list[b].Relevance)) * groupWeight * 1000);
            }
        }

        if (xs.Count == 0)
        {
            throw new TrainingDataException("judgments", OneClassOnly);
        }

        return LogisticFit.Fit(xs, [.. Enumerable.Repeat(1.0, xs.Count)], ws, l2, bias: false);
    }

    private static List<(int, int)> Pairs(List<TrainingRow> list)
    {
        var pairs = new List<(int, int)>();
        for (var a = 0; a < list.Count; a++)
        {
            for (var b = 0; b < list.Count; b++)
            {
                if (list[a].Relevance > list[b].Relevance)
                {
                    pairs.Add((a, b));
                }
            }
        }

        return pairs;
    }
}
