namespace MLOps.Web.Features.Training;

/// <summary>
/// Coordinate ascent on the metric itself (Metzler and Croft 2007, RankLib's "CoordinateAscent"): starting
/// from the hand-set weights, one weight at a time is moved by each of <see cref="Steps"/> and the move
/// that raises the mean NDCG@10 over the training sets most is kept, if it raises it by at least
/// <c>minGain</c>; passes repeat until none does. The semantic weight stays 1 (a ranking does not change
/// when every weight is scaled), so the search has one fewer dimension than features. Each set weighs
/// the same and every document of a set's pool is ranked, as the evaluation ranks them. Deterministic.
/// </summary>
public static class CoordinateAscent
{
    public const int K = 10;
    public const int MaxPasses = 8;

    /// <summary>The moves tried for one weight, smallest first so that ties keep the smaller move.</summary>
    public static readonly IReadOnlyList<double> Steps = [0.1, -0.1, 0.25, -0.25, 0.5, -0.5, 1, -1, 2, -2];

    /// <summary>Fits from <paramref name="start"/> (weights in <see cref="FusionTrainer.Features"/> order; index 0, the semantic weight, stays fixed).</summary>
    public static double[] Fit(IReadOnlyList<SetFeatures> sets, IReadOnlyList<double> start, double minGain, CancellationToken ct = default)
    {
        var packed = sets.Select(Packed.From).ToList();
        var w = start.ToArray();
        var current = Mean(packed, w);
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var moved = false;
            for (var f = 1; f < w.Length; f++)
            {
                ct.ThrowIfCancellationRequested();
                var (bestStep, best) = (0.0, current);
                foreach (var step in Steps)
                {
                    var trial = (double[])w.Clone();
                    trial[f] += step;
                    var value = Mean(packed, trial);
                    if (value > best)
                    {
                        (bestStep, best) = (step, value);
                    }
                }

                if (bestStep != 0 && best >= current + minGain)
                {
                    w[f] += bestStep;
                    current = best;
                    moved = true;
                }
            }

            if (!moved)
            {
                break;
            }
        }

        return w;
    }

    /// <summary>Mean NDCG@10 of <paramref name="w"/> over <paramref name="sets"/>.</summary>
    public static double MeanNdcg(IReadOnlyList<SetFeatures> sets, IReadOnlyList<double> w) =>
        Mean([.. sets.Select(Packed.From)], [.. w]);

    private static double Mean(IReadOnlyList<Packed> sets, double[] w) => sets.Count == 0 ? 0 : sets.Average(s => s.Ndcg(w));

    /// <summary>A set laid out for fast scoring: features row-major, gains, and the ideal DCG@K.</summary>
    private sealed class Packed
    {
        private readonly double[] _x;
        private readonly double[] _gain;
        private readonly int _features;
        private readonly double _ideal;

        private Packed(double[] x, double[] gain, int features, double ideal) => (_x, _gain, _features, _ideal) = (x, gain, features, ideal);

        public static Packed From(SetFeatures s)
        {
            var f = s.X.Length == 0 ? 0 : s.X[0].Length;
            var x = new double[s.X.Length * f];
            var gain = new double[s.X.Length];
            for (var i = 0; i < s.X.Length; i++)
            {
                s.X[i].CopyTo(x, i * f);
                gain[i] = TrainingNdcg.Gain(s.Grades.GetValueOrDefault(s.Ids[i]));
            }

            return new Packed(x, gain, f, TrainingNdcg.IdealDcg(s.Grades, K));
        }

        /// <summary>NDCG@K; ties keep input order, as <see cref="TrainingNdcg"/> breaks them.</summary>
        public double Ndcg(double[] w)
        {
            if (_ideal <= 0)
            {
                return 0;
            }

            Span<int> top = stackalloc int[K];
            Span<double> topScore = stackalloc double[K];
            var count = 0;
            var n = _gain.Length;
            for (var i = 0; i < n; i++)
            {
                var s = 0.0;
                var row = _x.AsSpan(i * _features, _features);
                for (var f = 0; f < _features; f++)
                {
                    s += w[f] * row[f];
                }

                if (count == K && s <= topScore[K - 1])
                {
                    continue;
                }

                var at = count < K ? count++ : K - 1;
                while (at > 0 && topScore[at - 1] < s)
                {
                    topScore[at] = topScore[at - 1];
                    top[at] = top[at - 1];
                    at--;
                }

                topScore[at] = s;
                top[at] = i;
            }

            var dcg = 0.0;
            for (var r = 0; r < count; r++)
            {
                dcg += _gain[top[r]] / Math.Log2(r + 2);
            }

            return dcg / _ideal;
        }
    }
}
