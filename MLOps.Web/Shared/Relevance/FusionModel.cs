using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Shared.Relevance;

/// <summary>
/// How a document's features for a tag become its score: a linear model over named features and a
/// sigmoid, <c>score = sigmoid(Alpha × Σ w_f × x_f + Beta)</c>. The untrained default is one such
/// model (<see cref="HandSet"/>: semantic_z 1, match 2, bm25_by_max 2, Alpha 1.65, Beta −8.51);
/// a trained version ships its own weights (fusion.json) and the same code scores with them.
/// <see cref="ModelCalibration"/> is the pipeline switched off: the model's own calibrated cosine.
/// </summary>
public sealed record FusionModel
{
    /// <summary>The features a model may weigh; each is computed per document from the plan (<see cref="TagScoring"/>).</summary>
    public static readonly IReadOnlyList<string> FeatureNames =
    [
        ScorePartNames.Cosine,
        ScorePartNames.SemanticZ,
        ScorePartNames.Match,
        ScorePartNames.MatchIdf,
        ScorePartNames.Bm25Saturated,
        ScorePartNames.Bm25ByMax,
        ScorePartNames.TitleMatch,
    ];

    /// <summary>Feature name -> weight.</summary>
    public IReadOnlyDictionary<string, double> Weights
    {
        get;
        init
        {
            field = value;
            _ordered = [.. value.OrderBy(kv => kv.Key, StringComparer.Ordinal)];
        }
    } = new Dictionary<string, double>(StringComparer.Ordinal);

    public double Alpha { get; init; } = 1;

    public double Beta { get; init; }

    /// <summary>True: the score is the embedding model's own calibration of the cosine (fusion off); weights are not used.</summary>
    public bool ModelCalibration { get; init; }

    /// <summary>Where the model came from ("options", or a trained version's id).</summary>
    public string Source { get; init; } = "options";

    /// <summary>The fusion off: today's score, the model's calibrated cosine with the hypothesis.</summary>
    public static FusionModel CosineOnly { get; } = new()
    {
        ModelCalibration = true,
        Weights = new Dictionary<string, double>(StringComparer.Ordinal) { [ScorePartNames.Cosine] = 1 },
    };

    /// <summary>The model the options describe: the model's own calibration (fusion off) or the hand-set fusion.</summary>
    public static FusionModel FromOptions(RelevanceOptions o) => o.Fusion ? HandSet(o) : CosineOnly;

    /// <summary>
    /// The fusion a plan's first pass ranks by to pick the feedback documents: the hand-set one, or
    /// semantic_z alone when fusion is off. It does not depend on the scoring weights, so a trained
    /// fusion scores features made the way they were when it was fitted.
    /// </summary>
    public static FusionModel FirstPass(RelevanceOptions o) => o.Fusion
        ? HandSet(o)
        : new FusionModel { Weights = new Dictionary<string, double>(StringComparer.Ordinal) { [ScorePartNames.SemanticZ] = 1 } };

    /// <summary>The hand-set model: semantic_z + MatchBonus × match + MatchIdfWeight × match_idf + TitleMatchWeight × title_match + LexicalWeight × normalised BM25, sigmoid(Alpha, Beta).</summary>
    public static FusionModel HandSet(RelevanceOptions o)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal) { [ScorePartNames.SemanticZ] = 1 };
        Add(weights, ScorePartNames.Match, o.MatchBonus);
        Add(weights, ScorePartNames.MatchIdf, o.MatchIdfWeight);
        Add(weights, ScorePartNames.TitleMatch, o.TitleMatchWeight);
        Add(weights, o.LexicalNormalisation == LexicalNormalisation.Max ? ScorePartNames.Bm25ByMax : ScorePartNames.Bm25Saturated, o.LexicalWeight);
        return new FusionModel { Weights = weights, Alpha = o.Alpha, Beta = o.Beta };
    }

    /// <summary>Unknown feature names or non-finite numbers; empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = Weights.Keys.Where(k => !FeatureNames.Contains(k, StringComparer.Ordinal))
            .Select(k => $"unknown feature '{k}' (known: {string.Join(", ", FeatureNames)})").ToList();
        if (Weights.Values.Any(w => !double.IsFinite(w)) || !double.IsFinite(Alpha) || !double.IsFinite(Beta))
        {
            problems.Add("weights, Alpha and Beta must be finite numbers");
        }

        return problems;
    }

    /// <summary>Σ w_f × x_f in double, features in ordinal name order (so every caller sums in the same order).</summary>
    public double Fuse(IReadOnlyDictionary<string, float> features)
    {
        var sum = 0.0;
        foreach (var (name, weight) in _ordered)
        {
            sum += weight * features.GetValueOrDefault(name);
        }

        return sum;
    }

    /// <summary>sigmoid(Alpha × fused + Beta).</summary>
    public float Calibrate(double fused) => ZeroShotMath.Sigmoid((Alpha * fused) + Beta);

    private KeyValuePair<string, double>[] _ordered = [];

    private static void Add(Dictionary<string, double> weights, string name, double weight)
    {
        if (weight != 0)
        {
            weights[name] = weight;
        }
    }
}
