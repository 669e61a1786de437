using System.ComponentModel.DataAnnotations;

namespace MLOps.Web.Features.Evaluation;

/// <summary>Relevance evaluation, champion/challenger promotion and calibration settings.</summary>
public sealed class EvaluationOptions
{
    public const string SectionName = "Evaluation";

    /// <summary>Default cut-off k of DCG@k, NDCG@k and precision@k.</summary>
    [Range(1, 1000)]
    public int DefaultK { get; set; } = 10;

    /// <summary>A judged document counts as relevant for precision@k when its relevance is at least this.</summary>
    [Range(1, 3)]
    public int RelevanceThreshold { get; set; } = 1;

    /// <summary>How many documents of a set's text query are scored in memory for a candidate model (a set without text scores every document its genre admits).</summary>
    [Range(10, 10_000)]
    public int CandidatePoolSize { get; set; } = 1000;

    /// <summary>A candidate must beat the champion's mean NDCG@10 by more than this to be promoted.</summary>
    [Range(0.0, 1.0)]
    public double PromotionMargin { get; set; } = 0.01;

    /// <summary>Tolerance for "not worse on any set": a set is worse when its NDCG drops by more than this.</summary>
    [Range(0.0, 1.0)]
    public double PerSetTolerance { get; set; } = 1e-9;

    /// <summary>Cron of the recurring <c>evaluate-models</c> job (after the nightly reclassification).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Cron { get; set; } = "30 4 * * *";

    /// <summary>Time zone id of <see cref="Cron"/>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Register the recurring job at start.</summary>
    public bool RecurringEnabled { get; set; } = true;

    /// <summary>Evaluate the candidates whenever a model version is registered.</summary>
    public bool EvaluateOnRegister { get; set; } = true;

    /// <summary>The nightly job first trains a challenger from the champion and the latest judgments (once per base and data).</summary>
    public bool TrainChallenger { get; set; } = true;

    /// <summary>Promote automatically when a candidate wins; false records the decision only.</summary>
    public bool AutoPromote { get; set; } = true;

    /// <summary>Fewest judged (document, set) pairs, both classes present, needed to fit a calibration.</summary>
    [Range(2, 1_000_000)]
    public int CalibrationMinimumJudgments { get; set; } = 30;

    /// <summary>Judgments at or above this relevance are positives when fitting a calibration.</summary>
    [Range(1, 3)]
    public int CalibrationPositiveThreshold { get; set; } = 1;

    /// <summary>Folder (under the data directory) of the judgment files when Redis is not configured.</summary>
    [Required(AllowEmptyStrings = false)]
    public string JudgmentsDirectory { get; set; } = "judgments";

    /// <summary>Folder (under the data directory) of the evaluation history when Redis is not configured.</summary>
    [Required(AllowEmptyStrings = false)]
    public string HistoryDirectory { get; set; } = "evaluations";

    /// <summary>Most evaluation history entries (and decisions) kept; older ones are dropped.</summary>
    [Range(10, 1_000_000)]
    public int HistoryLimit { get; set; } = 5000;

    /// <summary>
    /// Folder of <c>&lt;set&gt;.json</c> files (the PUT body format) loaded into an empty judgment store at
    /// start; relative to the app folder. Empty: no seeding.
    /// </summary>
    public string? SeedDirectory { get; set; } = "SampleData/judgments";

    /// <summary>Most judgments in one set.</summary>
    [Range(1, 1_000_000)]
    public int MaxJudgmentsPerSet { get; set; } = 10_000;
}
