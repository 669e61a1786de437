using System.Numerics.Tensors;

namespace MLOps.Web.Shared.Relevance;

/// <summary>The arithmetic of a tag's plan: the statistics sample, moments, ranking with id ties, Rocchio and self-training.</summary>
public static class PlanMath
{
    /// <summary>FNV-1a (32 bit) of the id's UTF-16 code units: stable across runs, processes and replicas.</summary>
    public static uint Fnv1a(string id)
    {
        var h = 2166136261u;
        foreach (var c in id)
        {
            h ^= c;
            h *= 16777619u;
        }

        return h;
    }

    /// <summary>
    /// The statistics sample: the ids whose FNV-1a is 0 modulo <paramref name="every"/>; every id when
    /// that would give fewer than <paramref name="minimum"/> (a small catalog is cheap to read whole).
    /// </summary>
    public static IReadOnlyList<string> Sample(IReadOnlyList<string> ids, int every, int minimum)
    {
        if (every <= 1)
        {
            return ids;
        }

        var sample = ids.Where(id => Fnv1a(id) % (uint)every == 0).ToList();
        return sample.Count >= Math.Min(minimum, ids.Count) ? sample : ids;
    }

    /// <summary>Mean and population standard deviation, accumulated in double.</summary>
    public static (float Mean, float Std) MeanStd(IReadOnlyCollection<float> values)
    {
        if (values.Count == 0)
        {
            return (0f, 1f);
        }

        double s = 0, s2 = 0;
        foreach (var v in values)
        {
            s += v;
            s2 += (double)v * v;
        }

        var m = s / values.Count;
        return ((float)m, (float)Math.Sqrt(Math.Max(0, (s2 / values.Count) - (m * m))));
    }

    /// <summary>The median (mean of the middle two for an even count); 0 for none.</summary>
    public static float Median(IEnumerable<float> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? 0f : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>The <paramref name="k"/> best ids by score, ties by id in ordinal order.</summary>
    public static IReadOnlyList<string> TopK(IEnumerable<KeyValuePair<string, double>> scores, int k) =>
        [.. scores.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(k).Select(kv => kv.Key)];

    /// <summary>L2-normalised copy.</summary>
    public static float[] Normalize(ReadOnlySpan<float> v)
    {
        var r = v.ToArray();
        var n = TensorPrimitives.Norm(r);
        if (n > 1e-12f)
        {
            TensorPrimitives.Divide(r, n, r);
        }

        return r;
    }

    /// <summary>The hypothesis of several templates: the normalised centroid (one template: its own vector, untouched).</summary>
    public static float[] Centroid(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 1)
        {
            return vectors[0];
        }

        var c = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            TensorPrimitives.Add(c, v, c);
        }

        return Normalize(c);
    }

    /// <summary>Rocchio on unit vectors: normalise(h + b × mean of the top documents).</summary>
    public static float[] Rocchio(float[] h, IReadOnlyList<float[]> top, float b)
    {
        var cen = new float[h.Length];
        foreach (var row in top)
        {
            for (var j = 0; j < cen.Length; j++)
            {
                cen[j] += row[j];
            }
        }

        var r = new float[h.Length];
        for (var j = 0; j < r.Length; j++)
        {
            r[j] = h[j] + (b * cen[j] / Math.Max(1, top.Count));
        }

        return Normalize(r);
    }

    /// <summary>
    /// Self-training (after Gera et al. 2022): the first pass's top documents are pseudo-positives, the
    /// rest of the sample pseudo-negatives; the shrinkage-LDA direction w = Σ_s⁻¹ (μ_pos − μ_neg), with
    /// Σ_s = (1 − s) Σ_neg + s (tr Σ_neg / d) I, is mixed in: normalise(h + beta × w / |w|).
    /// </summary>
    public static float[] SelfTraining(float[] h, IReadOnlyList<float[]> positives, IReadOnlyList<float[]> negatives, double shrink, float beta)
    {
        var d = h.Length;
        var mp = Mean(positives, d);
        var mn = Mean(negatives, d);
        var cov = new double[d, d];
        foreach (var r in negatives)
        {
            for (var a = 0; a < d; a++)
            {
                var da = r[a] - mn[a];
                for (var b = a; b < d; b++)
                {
                    cov[a, b] += da * (r[b] - mn[b]);
                }
            }
        }

        double trace = 0;
        for (var a = 0; a < d; a++)
        {
            for (var b = a; b < d; b++)
            {
                cov[a, b] /= Math.Max(1, negatives.Count);
            }

            trace += cov[a, a];
        }

        for (var a = 0; a < d; a++)
        {
            for (var b = a; b < d; b++)
            {
                cov[a, b] *= 1 - shrink;
                cov[b, a] = cov[a, b];
            }

            cov[a, a] += shrink * trace / d;
        }

        var diff = new double[d];
        for (var a = 0; a < d; a++)
        {
            diff[a] = mp[a] - mn[a];
        }

        var w = Normalize([.. CholeskySolve(cov, diff).Select(x => (float)x)]);
        var mixed = new float[d];
        for (var j = 0; j < d; j++)
        {
            mixed[j] = h[j] + (beta * w[j]);
        }

        return Normalize(mixed);
    }

    /// <summary>Solves A x = y for a symmetric positive definite A (Cholesky, in place on a copy).</summary>
    public static double[] CholeskySolve(double[,] a, double[] y)
    {
        var n = y.Length;
        var l = (double[,])a.Clone();
        for (var j = 0; j < n; j++)
        {
            var s = l[j, j];
            for (var k = 0; k < j; k++)
            {
                s -= l[j, k] * l[j, k];
            }

            l[j, j] = Math.Sqrt(Math.Max(s, 1e-18));
            for (var i = j + 1; i < n; i++)
            {
                var t = l[i, j];
                for (var k = 0; k < j; k++)
                {
                    t -= l[i, k] * l[j, k];
                }

                l[i, j] = t / l[j, j];
            }
        }

        var z = new double[n];
        for (var i = 0; i < n; i++)
        {
            var t = y[i];
            for (var k = 0; k < i; k++)
            {
                t -= l[i, k] * z[k];
            }

            z[i] = t / l[i, i];
        }

        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var t = z[i];
            for (var k = i + 1; k < n; k++)
            {
                t -= l[k, i] * x[k];
            }

            x[i] = t / l[i, i];
        }

        return x;
    }

    private static double[] Mean(IReadOnlyList<float[]> rows, int d)
    {
        var m = new double[d];
        foreach (var r in rows)
        {
            for (var j = 0; j < d; j++)
            {
                m[j] += r[j];
            }
        }

        for (var j = 0; j < d; j++)
        {
            m[j] /= Math.Max(1, rows.Count);
        }

        return m;
    }
}
