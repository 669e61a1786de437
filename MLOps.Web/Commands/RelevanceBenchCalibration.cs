using System.Globalization;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Commands;

/// <summary>
/// The fusion's calibration, <c>sigmoid(Alpha × fused + Beta)</c> = P(judged relevance ≥ 2), fitted on
/// the catalog distribution: each tag's judged documents plus 300 random unjudged ones weighted up to
/// stand for all its unjudged documents (unjudged = not relevant), each tag weighing the same. Checked
/// leave-one-tag-out: fitted on the other tags, its log-loss and predicted count on the held-out one.
/// </summary>
internal static class RelevanceBenchCalibration
{
    private const int UnjudgedSample = 300;

    private sealed record Rows(List<double> X, List<bool> Y, List<double> W);

    public static async Task PrintAsync(RelevanceBenchmark bench, RelevanceOptions options)
    {
        var fused = await bench.FusedAsync(options);
        var catalog = bench.Pools.Values.First(p => p.Set.Query.Genre is null).Documents;
        var judged = bench.Tags.ToDictionary(t => t, t => bench.Pools[$"dev-{t}"].Set.Judgments.ToDictionary(j => j.DocumentId, j => j.Relevance, StringComparer.Ordinal), StringComparer.Ordinal);
        var rows = bench.Tags.Select((t, g) => (t, RowsOf(catalog.Select(d => d.Id).ToList(), fused[t], judged[t], 17 + g))).ToDictionary(x => x.t, x => x.Item2, StringComparer.Ordinal);
        var (a, b) = Fit(rows.Values);
        var held = new List<string>();
        double logLoss = 0, predicted = 0;
        var actual = 0;
        foreach (var tag in bench.Tags)
        {
            var (ta, tb) = Fit(bench.Tags.Where(t => t != tag).Select(t => rows[t]));
            var p = fused[tag].Select(f => Math.Clamp(LogisticFit.Sigmoid((ta * f) + tb), 1e-6, 1 - 1e-6)).ToList();
            var y = catalog.Select(d => judged[tag].GetValueOrDefault(d.Id) >= 2).ToList();
            logLoss += LogisticFit.LogLoss(p, y) / bench.Tags.Count;
            predicted += p.Sum();
            actual += y.Count(v => v);
            held.Add(string.Create(CultureInfo.InvariantCulture, $"{tag} {ta:F2}/{tb:F2}"));
        }

        await bench.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"calibration of the fused evidence (P(relevance ≥ 2)): Alpha {a:F3}, Beta {b:F3} on all {bench.Tags.Count} tags; leave-one-tag-out Alpha/Beta: {string.Join(", ", held)}; held-out log-loss {logLoss:F4} over the whole catalog; Σ P over the catalog {predicted:F0} against {actual} documents judged ≥ 2."));
    }

    private static Rows RowsOf(List<string> ids, double[] fused, Dictionary<string, int> judged, int seed)
    {
        var rows = new Rows([], [], []);
        var unjudged = new List<int>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (judged.TryGetValue(ids[i], out var rel))
            {
                rows.X.Add(fused[i]);
                rows.Y.Add(rel >= 2);
                rows.W.Add(1);
            }
            else
            {
                unjudged.Add(i);
            }
        }

        var rng = new Random(seed);
        var pick = unjudged.OrderBy(_ => rng.Next()).Take(UnjudgedSample).ToList();
        foreach (var i in pick)
        {
            rows.X.Add(fused[i]);
            rows.Y.Add(false);
            rows.W.Add((double)unjudged.Count / pick.Count);
        }

        var total = rows.W.Sum();
        for (var i = 0; i < rows.W.Count; i++)
        {
            rows.W[i] = rows.W[i] / total * 1000;
        }

        return rows;
    }

    private static (double A, double B) Fit(IEnumerable<Rows> parts)
    {
        var all = parts.ToList();
        var (a, b, _) = LogisticFit.Fit([.. all.SelectMany(r => r.X)], [.. all.SelectMany(r => r.Y)], ridge: 1e-4, weights: [.. all.SelectMany(r => r.W)]);
        return (a, b);
    }
}
