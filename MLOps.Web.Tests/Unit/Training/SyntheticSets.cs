using MLOps.Web.Features.Training;

namespace MLOps.Web.Tests.Unit.Training;

/// <summary>
/// Constructed judgment sets in feature space (<see cref="FusionTrainer.Features"/> order: semantic_z,
/// match, match_idf, bm25_saturated, bm25_by_max, title_match). Relevance follows semantic_z and bm25_by_max; match
/// alone is a trap (half the matching documents are not relevant, as a title-only mention is); a third of
/// the matches are in the title (drawn from a generator of their own, so the other features stay as they were).
/// </summary>
internal static class SyntheticSets
{
    public static SetFeatures Set(string name, int seed, int documents = 600, int judged = 80)
    {
        var rng = new Random(seed);
        var titles = new Random(seed + 7919);
        var ids = new List<string>();
        var x = new double[documents][];
        var grades = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < documents; i++)
        {
            var id = $"{name}-{i:D4}";
            ids.Add(id);
            var topical = i < judged / 2 ? rng.Next(1, 4) : 0;
            var z = (topical * 1.2) + Normal(rng);
            var match = topical > 0 ? (rng.NextDouble() < 0.7 ? 1 : 0) : (rng.NextDouble() < 0.1 ? 1 : 0);
            var bm25 = match == 0 ? 0 : Math.Clamp((0.25 * topical) + (0.2 * rng.NextDouble()), 0, 1);
            x[i] = [z, match, match * 3.0, bm25 * 0.8, bm25, match == 1 && titles.NextDouble() < 1.0 / 3 ? 1 : 0];
            if (i < judged)
            {
                grades[id] = topical;
            }
        }

        var first = x.Select(v => v[0] + (2 * v[1]) + (2 * v[4])).ToArray();
        return new SetFeatures(name, ids, x, grades, TrainingRows.Select(ids, first, grades, seed, 0)) { Baseline = first };
    }

    /// <summary>The hand-set default's weights in feature order (semantic_z 1, match 2, bm25_by_max 2).</summary>
    public static IReadOnlyList<double> Prior { get; } = [1, 2, 0, 0, 2, 0];

    public static IReadOnlyList<SetFeatures> Sets(int count) => [.. Enumerable.Range(0, count).Select(i => Set($"set{i}", 100 + i))];

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
