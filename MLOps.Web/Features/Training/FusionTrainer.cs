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

    /// <summary>The tag the set judges (its field key); the inner selection holds out every set of one tag together. Null: the set is its own group.</summary>
    public string? Tag { get; init; }

    /// <summary>The group the inner leave-one-out holds out together: the tag, or the set itself.</summary>
    public string Group => Tag ?? Set;
}

/// <summary>
/// A fitted fusion: ranker weights, the Platt slope and intercept, the learner and setting chosen
/// (<see cref="Candidate"/>), how, and every candidate's inner leave-one-tag-out NDCG@10
/// (<see cref="InnerNdcg"/>, keyed by <see cref="FusionTrainer.CandidateName"/>).
/// </summary>
public sealed record FittedFusion(double[] Weights, double Alpha, double Beta, FusionCandidate Candidate, string ChosenBy, IReadOnlyDictionary<string, double> InnerNdcg)
{
    public string Learner => Candidate.Learner;

    public double L2 => Candidate.L2;

    public double? MinGain => Candidate.MinGain;

    /// <summary>The fitted model as the scoring code runs it: score = sigmoid(Alpha × Σ w·x + Beta).</summary>
    public FusionModel ToFusion(string source) => new()
    {
        Weights = FusionTrainer.Features.Select((f, i) => (f, Weights[i])).ToDictionary(x => x.f, x => x.Item2, StringComparer.Ordinal),
        Alpha = Alpha,
        Beta = Beta,
        Source = source,
    };
}

/// <summary>One learner and its setting, as the trainer's selection tries it.</summary>
public sealed record FusionCandidate(string Learner, double L2, double? MinGain);

/// <summary>
/// The learners the relevance research measured (docs/benchmarks.md, "Training"), over the pipeline's
/// tag-independent features, each ranker's score Platt-calibrated (grade ≥ 2 relevant) on the training rows:
/// a pairwise linear ranker (<see cref="PairwiseRanker"/>, L2 from <see cref="L2Grid"/>), and coordinate
/// ascent on NDCG@10 from the hand-set weights (<see cref="CoordinateAscent"/>, minimum gain from
/// <see cref="MinGainGrid"/>). Unless the request fixes L2 (the pairwise ranker with it), the candidate
/// with the best mean NDCG@10 over leave-one-tag-out folds of the training sets is fitted on all of them;
/// ties keep the candidate nearest the hand-set weights. Pure.
/// </summary>
public static class FusionTrainer
{
    public const string PairwiseLearner = "pairwise-ranknet-linear+platt";
    public const string AscentLearner = "coordinate-ascent-ndcg10+platt";

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

    /// <summary>Coordinate ascent's minimum gains, largest (nearest the hand-set weights) first.</summary>
    public static readonly IReadOnlyList<double> MinGainGrid = [0.01, 0.003];

    /// <summary>The candidates the selection tries, in tie-break order: coordinate ascent (nearest the hand-set weights first), then the pairwise ranker.</summary>
    public static IReadOnlyList<FusionCandidate> Candidates { get; } =
        [.. MinGainGrid.Select(g => new FusionCandidate(AscentLearner, 0, g)), .. L2Grid.Select(l2 => new FusionCandidate(PairwiseLearner, l2, null))];

    public static string CandidateName(FusionCandidate c) => c.MinGain is { } g
        ? string.Create(CultureInfo.InvariantCulture, $"{c.Learner} min_gain={g}")
        : string.Create(CultureInfo.InvariantCulture, $"{c.Learner} l2={c.L2}");

    /// <summary>
    /// Fits on every set given. <paramref name="prior"/>: the hand-set weights in <see cref="Features"/> order,
    /// where coordinate ascent starts. <paramref name="l2"/> given: the pairwise ranker with it; null: the
    /// candidate chosen by leave-one-tag-out (coordinate ascent at the largest minimum gain when the sets judge one tag only).
    /// </summary>
    public static FittedFusion Train(IReadOnlyList<SetFeatures> sets, double? l2, int seed, IReadOnlyList<double> prior, CancellationToken ct = default)
    {
        if (sets.Count == 0)
        {
            throw new TrainingDataException("train", "No judgment sets to train on.");
        }

        if (prior.Count != Features.Count)
        {
            throw new ArgumentException($"The prior needs {Features.Count} weights.", nameof(prior));
        }

        var (chosen, by, inner) = Choose(sets, l2, seed, prior, ct);
        var (w, a, b) = Fit(sets, chosen, seed, prior, ct);
        return new FittedFusion(w, a, b, chosen, by, inner);
    }

    /// <summary>One candidate's ranker and its Platt calibration on the sets' training rows.</summary>
    public static (double[] W, double Alpha, double Beta) Fit(IReadOnlyList<SetFeatures> sets, FusionCandidate candidate, int seed, IReadOnlyList<double> prior, CancellationToken ct)
    {
        var rows = sets.SelectMany((s, g) => s.Rows.Select(i => new TrainingRow(s.X[i], s.Grades.GetValueOrDefault(s.Ids[i]), g))).ToList();
        if (rows.Select(r => r.Relevance).Distinct().Count() < 2)
        {
            throw new TrainingDataException("judgments", PairwiseRanker.OneClassOnly);
        }

        var w = candidate.MinGain is { } gain
            ? CoordinateAscent.Fit(sets, prior, gain, ct)
            : PairwiseRanker.Fit(rows, candidate.L2, seed);
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
    public static double Ndcg(SetFeatures set, double[] w) => TrainingNdcg.At(set.Ids, Score(set, w), set.Grades, CoordinateAscent.K);

    private static (FusionCandidate Chosen, string By, IReadOnlyDictionary<string, double> Inner) Choose(
        IReadOnlyList<SetFeatures> sets, double? l2, int seed, IReadOnlyList<double> prior, CancellationToken ct)
    {
        if (l2 is { } given)
        {
            return (new FusionCandidate(PairwiseLearner, given, null), "request", new Dictionary<string, double>());
        }

        var groups = sets.Select(s => s.Group).Distinct(StringComparer.Ordinal).ToList();
        if (groups.Count < 2)
        {
            // the setting leave-one-tag-out over 18 tags chose in 17 of 18 folds (docs/benchmarks.md, "Training")
            return (Candidates[0], "default (leave-one-tag-out needs two training tags)", new Dictionary<string, double>());
        }

        // A tag's sets (whole catalog, Family) share judgments: a fold holds out all of them, or the selection would score a set on its own judgments.
        var scored = Candidates.Select(c => (c, Ndcg: groups.SelectMany(g => HeldOutNdcg(sets, g, c, seed, prior, ct)).Average())).ToList();
        var best = scored.MaxBy(x => x.Ndcg);
        return (best.c, $"leave-one-tag-out over {groups.Count} training tags ({sets.Count} sets)", scored.ToDictionary(x => CandidateName(x.c), x => x.Ndcg, StringComparer.Ordinal));
    }

    private static IEnumerable<double> HeldOutNdcg(IReadOnlyList<SetFeatures> sets, string group, FusionCandidate c, int seed, IReadOnlyList<double> prior, CancellationToken ct)
    {
        var held = sets.Where(s => s.Group == group).ToList();
        double[] w;
        try
        {
            w = Fit([.. sets.Where(s => s.Group != group)], c, seed, prior, ct).W;
        }
        catch (TrainingDataException)
        {
            // the other tags' sets alone cannot train a fusion: this fold counts as ranking nothing
            return held.Select(_ => 0.0);
        }

        return [.. held.Select(s => Ndcg(s, w))];
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
