using System.Globalization;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

/// <summary>
/// One judgment set's documents as training sees them: every pool document's features (in
/// <see cref="FusionTrainer.Features"/> order), the grades, and which documents are training rows
/// (<see cref="TrainingRows.Select"/>).
/// </summary>
public sealed record SetFeatures(string Set, IReadOnlyList<string> Ids, double[][] X, IReadOnlyDictionary<string, int> Grades, IReadOnlyList<int> Rows)
{
    /// <summary>The untrained default's score of each document (its fused evidence; the cosine when fusion is off), for comparison.</summary>
    public double[]? Baseline { get; init; }
}

/// <summary>A fitted fusion: ranker weights, the Platt slope and intercept, and how L2 was chosen.</summary>
public sealed record FittedFusion(double[] Weights, double Alpha, double Beta, double L2, string L2ChosenBy, IReadOnlyDictionary<double, double> InnerNdcgByL2)
{
    /// <summary>The fitted model as the scoring code runs it: score = sigmoid(Alpha × Σ w·x + Beta).</summary>
    public FusionModel ToFusion(string source) => new()
    {
        Weights = FusionTrainer.Features.Select((f, i) => (f, Weights[i])).ToDictionary(x => x.f, x => x.Item2, StringComparer.Ordinal),
        Alpha = Alpha,
        Beta = Beta,
        Source = source,
    };
}

/// <summary>
/// The learner the relevance research chose (docs/benchmarks.md, "Training"): a pairwise linear ranker
/// over the pipeline's tag-independent features, L2 chosen from a grid by leave-one-set-out over the
/// training sets, the ranker's score Platt-calibrated (grade ≥ 2 relevant) on the training rows. Pure.
/// </summary>
public static class FusionTrainer
{
    public const string Learner = "pairwise-ranknet-linear+platt";

    /// <summary>The features a trained fusion weighs (the tag-normalised ones of <see cref="FusionModel.FeatureNames"/>; raw cosine is not comparable across tags).</summary>
    public static readonly IReadOnlyList<string> Features =
    [
        Shared.Catalog.ScorePartNames.SemanticZ,
        Shared.Catalog.ScorePartNames.Match,
        Shared.Catalog.ScorePartNames.MatchIdf,
        Shared.Catalog.ScorePartNames.Bm25Saturated,
        Shared.Catalog.ScorePartNames.Bm25ByMax,
        Shared.Catalog.ScorePartNames.TitleMatch,
    ];

    public static readonly IReadOnlyList<double> L2Grid = [0.1, 1, 10];

    /// <summary>Fits on every set given; <paramref name="l2"/> null chooses it by leave-one-set-out.</summary>
    public static FittedFusion Train(IReadOnlyList<SetFeatures> sets, double? l2, int seed)
    {
        if (sets.Count == 0)
        {
            throw new TrainingDataException("train", "No judgment sets to train on.");
        }

        var (chosen, by, inner) = ChooseL2(sets, l2, seed);
        var (w, a, b) = Fit(sets, chosen, seed);
        return new FittedFusion(w, a, b, chosen, by, inner);
    }

    /// <summary>The ranker and its Platt calibration on the sets' training rows.</summary>
    public static (double[] W, double Alpha, double Beta) Fit(IReadOnlyList<SetFeatures> sets, double l2, int seed)
    {
        var rows = sets.SelectMany((s, g) => s.Rows.Select(i => new TrainingRow(s.X[i], s.Grades.GetValueOrDefault(s.Ids[i]), g))).ToList();
        var w = PairwiseRanker.Fit(rows, l2, seed);
        var threshold = rows.Any(r => r.Relevance >= 2) ? 2 : 1;
        var scores = rows.Select(r => new[] { LogisticFit.Dot(w, r.X) }).ToList();
        var platt = LogisticFit.Fit(scores, [.. rows.Select(r => r.Relevance >= threshold ? 1.0 : 0.0)], null, 1e-3, bias: true);
        if (!(platt[0] > 0) || !double.IsFinite(platt[1]) || w.Any(v => !double.IsFinite(v)))
        {
            throw new TrainingDataException("judgments",
                "The trained ranker's score does not rise with relevance on the training rows (Platt slope " +
                platt[0].ToString("G4", CultureInfo.InvariantCulture) + "); the judgments cannot train a fusion.");
        }

        return (w, platt[0], platt[1]);
    }

    /// <summary>Scores every document of a set with ranker weights <paramref name="w"/>.</summary>
    public static double[] Score(SetFeatures set, double[] w) => [.. set.X.Select(x => LogisticFit.Dot(w, x))];

    /// <summary>NDCG@10 of <paramref name="w"/> on <paramref name="set"/>.</summary>
    public static double Ndcg(SetFeatures set, double[] w) => TrainingNdcg.At(set.Ids, Score(set, w), set.Grades, 10);

    private static (double L2, string By, IReadOnlyDictionary<double, double> Inner) ChooseL2(IReadOnlyList<SetFeatures> sets, double? l2, int seed)
    {
        if (l2 is { } given)
        {
            return (given, "request", new Dictionary<double, double>());
        }

        if (sets.Count < 2)
        {
            return (1, "default (leave-one-set-out needs two training sets)", new Dictionary<double, double>());
        }

        var inner = L2Grid.ToDictionary(v => v, v => sets.Average(held => HeldOutNdcg(sets, held, v, seed)));
        var best = inner.OrderByDescending(x => x.Value).ThenBy(x => x.Key).First().Key;
        return (best, $"leave-one-set-out over {sets.Count} training sets", inner);
    }

    private static double HeldOutNdcg(IReadOnlyList<SetFeatures> sets, SetFeatures held, double l2, int seed)
    {
        try
        {
            return Ndcg(held, Fit([.. sets.Where(s => !ReferenceEquals(s, held))], l2, seed).W);
        }
        catch (TrainingDataException)
        {
            // the other sets alone cannot train a fusion: this fold counts as ranking nothing
            return 0;
        }
    }
}

/// <summary>Which pool documents of a set become training rows.</summary>
public static class TrainingRows
{
    public const int HardNegatives = 30;
    public const int RandomNegatives = 300;

    /// <summary>
    /// Every judged document, the unjudged ones in the first pass's top <see cref="HardNegatives"/>, and
    /// <see cref="RandomNegatives"/> random unjudged documents (seeded by seed + group); all unjudged count as 0, as the metric counts them. Sorted positions.
    /// </summary>
    public static IReadOnlyList<int> Select(IReadOnlyList<string> ids, ReadOnlySpan<double> firstPass, IReadOnlyDictionary<string, int> grades, int seed, int group)
    {
        var pick = new HashSet<int>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (grades.ContainsKey(ids[i]))
            {
                pick.Add(i);
            }
        }

        var first = firstPass.ToArray();
        foreach (var i in Enumerable.Range(0, ids.Count).OrderByDescending(i => first[i]).ThenBy(i => i).Take(HardNegatives))
        {
            pick.Add(i);
        }

        var unjudged = Enumerable.Range(0, ids.Count).Where(i => !pick.Contains(i)).ToList();
        var rng = new Random(seed + group);
        for (var added = 0; added < RandomNegatives && unjudged.Count > 0; added++)
        {
            var j = rng.Next(unjudged.Count);
            pick.Add(unjudged[j]);
            unjudged[j] = unjudged[^1];
            unjudged.RemoveAt(unjudged.Count - 1);
        }

        return [.. pick.Order()];
    }
}
