namespace MLOps.Web.Features.Training;

/// <summary>
/// L2-regularised logistic regression by Newton's method (IRLS), ported from the relevance research:
/// deterministic, no learning rate, a few iterations for a handful of features. Per-example weights are
/// allowed; the bias (when fitted) is not penalised. Weights are returned as [w_1..w_F(, bias)].
/// </summary>
public static class LogisticFit
{
    public static double[] Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, IReadOnlyList<double>? weight, double l2, bool bias, int iterations = 30)
    {
        var f = x[0].Length;
        var d = f + (bias ? 1 : 0);
        var w = new double[d];
        var xi = new double[d];
        for (var it = 0; it < iterations; it++)
        {
            var g = new double[d];
            var h = new double[d, d];
            for (var n = 0; n < x.Count; n++)
            {
                x[n].CopyTo(xi, 0);
                if (bias)
                {
                    xi[f] = 1;
                }

                var p = Sigmoid(Dot(w, xi));
                var c = weight?[n] ?? 1.0;
                for (var a = 0; a < d; a++)
                {
                    g[a] += c * (p - y[n]) * xi[a];
                    for (var b = 0; b < d; b++)
                    {
                        h[a, b] += c * p * (1 - p) * xi[a] * xi[b];
                    }
                }
            }

            for (var a = 0; a < f; a++)
            {
                g[a] += l2 * w[a];
                h[a, a] += l2;
            }

            if (bias)
            {
                h[f, f] += 1e-9;
            }

            var step = Solve(h, g);
            var norm = 0.0;
            for (var a = 0; a < d; a++)
            {
                w[a] -= step[a];
                norm += step[a] * step[a];
            }

            if (norm < 1e-14)
            {
                break;
            }
        }

        return w;
    }

    public static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    /// <summary>Gaussian elimination with partial pivoting (small dense systems).</summary>
    public static double[] Solve(double[,] a0, double[] b0)
    {
        var n = b0.Length;
        var a = (double[,])a0.Clone();
        var b = (double[])b0.Clone();
        for (var c = 0; c < n; c++)
        {
            Pivot(a, b, c);
            var diag = Math.Abs(a[c, c]) < 1e-12 ? 1e-12 : a[c, c];
            for (var r = c + 1; r < n; r++)
            {
                var m = a[r, c] / diag;
                for (var k = c; k < n && m != 0; k++)
                {
                    a[r, k] -= m * a[c, k];
                }

                b[r] -= m * b[c];
            }
        }

        var x = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var s = b[r];
            for (var k = r + 1; k < n; k++)
            {
                s -= a[r, k] * x[k];
            }

            x[r] = s / (Math.Abs(a[r, r]) < 1e-12 ? 1e-12 : a[r, r]);
        }

        return x;
    }

    private static void Pivot(double[,] a, double[] b, int c)
    {
        var n = b.Length;
        var piv = c;
        for (var r = c + 1; r < n; r++)
        {
            if (Math.Abs(a[r, c]) > Math.Abs(a[piv, c]))
            {
                piv = r;
            }
        }

        if (piv == c)
        {
            return;
        }

        for (var k = 0; k < n; k++)
        {
            (a[c, k], a[piv, k]) = (a[piv, k], a[c, k]);
        }

        (b[c], b[piv]) = (b[piv], b[c]);
    }
}

/// <summary>NDCG@k of a score vector against graded judgments (gain 2^rel − 1, discount log2(rank + 1), ideal over every judged document; ties keep input order), as the evaluation feature computes it.</summary>
public static class TrainingNdcg
{
    public static double At(IReadOnlyList<string> ids, ReadOnlySpan<double> scores, IReadOnlyDictionary<string, int> grades, int k)
    {
        var s = scores.ToArray();
        var order = Enumerable.Range(0, ids.Count).OrderByDescending(i => s[i]).ThenBy(i => i).Take(k).ToList();
        var dcg = order.Select((i, r) => Gain(grades.GetValueOrDefault(ids[i])) / Math.Log2(r + 2)).Sum();
        var ideal = IdealDcg(grades, k);
        return ideal <= 0 ? 0 : dcg / ideal;
    }

    /// <summary>DCG@k of the judged documents in grade order: the denominator of <see cref="At"/>.</summary>
    public static double IdealDcg(IReadOnlyDictionary<string, int> grades, int k) =>
        grades.Values.OrderDescending().Take(k).Select((g, r) => Gain(g) / Math.Log2(r + 2)).Sum();

    public static double Gain(int grade) => Math.Pow(2, grade) - 1;
}
