using System.Text.Json.Serialization;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Shared.Training;

// The contracts between the training feature (which learns fusion weights from judgment sets), the
// models feature (which stores a trained version and its learned parameters, and serves the train
// route) and the features that score with a version (reclassification, evaluation).

/// <summary>
/// The body of <c>POST /api/models/{id}/train</c>, all optional. No <see cref="Train"/>: every judgment
/// set not held back. No <see cref="HoldBack"/>: with <see cref="Train"/> named, the sets not named;
/// with neither, a quarter of the sets (at least one when there are two or more), drawn with the seed.
/// </summary>
/// <param name="Train">Judgment set names to train on.</param>
/// <param name="HoldBack">Judgment set names to hold back (never trained on; the version is evaluated on them).</param>
/// <param name="Seed">Seeds the pair and negative sampling and the held-back draw (default 17).</param>
/// <param name="L2">Given: the pairwise ranker with this L2 strength. Null: the learner (pairwise ranker, L2 from {0.1, 1, 10}, or coordinate ascent from the hand-set weights) chosen by leave-one-tag-out over the training sets (a fold holds out every set of one tag).</param>
public sealed record TrainRequest(
    IReadOnlyList<string>? Train = null,
    [property: JsonPropertyName("hold_back")] IReadOnlyList<string>? HoldBack = null,
    int? Seed = null,
    [property: JsonPropertyName("l2")] double? L2 = null);

/// <summary>The 202 answer of the train route: the Hangfire job and where it shows.</summary>
public sealed record TrainingEnqueued(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("base_model")] string BaseModel,
    [property: JsonPropertyName("dashboard")] string Dashboard);

/// <summary>A judgment set as training reads it (what it is and a hash of its judgments).</summary>
public sealed record TrainingSetRecord(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("genre")] string? Genre,
    [property: JsonPropertyName("judgments")] int Judgments,
    [property: JsonPropertyName("relevant")] int Relevant,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>
/// The learner's settings as used: the learner chosen, its L2 (pairwise ranker) or minimum gain
/// (coordinate ascent), how it was chosen, and each candidate's inner leave-one-tag-out NDCG@10.
/// </summary>
public sealed record TrainingHyperparameters(
    [property: JsonPropertyName("learner")] string Learner,
    [property: JsonPropertyName("features")] IReadOnlyList<string> Features,
    [property: JsonPropertyName("l2")] double L2,
    [property: JsonPropertyName("l2_grid")] IReadOnlyList<double> L2Grid,
    [property: JsonPropertyName("l2_chosen_by")] string L2ChosenBy, // how the learner and its setting were chosen (name kept for manifests already written)
    [property: JsonPropertyName("hard_negatives")] int HardNegatives,
    [property: JsonPropertyName("random_negatives")] int RandomNegatives,
    [property: JsonPropertyName("max_pairs_per_set")] int MaxPairsPerSet)
{
    /// <summary>Coordinate ascent's minimum gain in mean NDCG@10 per accepted move; null for the pairwise ranker.</summary>
    [JsonPropertyName("min_gain")]
    public double? MinGain { get; init; }

    [JsonPropertyName("min_gain_grid")]
    public IReadOnlyList<double>? MinGainGrid { get; init; }

    /// <summary>Candidate (learner and setting) -> mean NDCG@10 over leave-one-tag-out folds of the training sets; empty when not chosen that way.</summary>
    [JsonPropertyName("candidates")]
    public IReadOnlyDictionary<string, double>? Candidates { get; init; }
}

/// <summary>
/// A trained version's lineage (<c>training</c> in its manifest): what it was trained from, on what,
/// how, and how it did on the sets it was not trained on (NDCG@10 of its fusion and of the base's).
/// </summary>
public sealed record TrainingLineage(
    [property: JsonPropertyName("base_model")] string BaseModel,
    [property: JsonPropertyName("base_sha256")] string BaseSha256,
    [property: JsonPropertyName("trained_on")] IReadOnlyList<TrainingSetRecord> TrainedOn,
    [property: JsonPropertyName("held_back")] IReadOnlyList<TrainingSetRecord> HeldBack,
    [property: JsonPropertyName("hyperparameters")] TrainingHyperparameters Hyperparameters,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("trained_at")] DateTimeOffset TrainedAt,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("held_back_ndcg")] IReadOnlyDictionary<string, double> HeldBackNdcg,
    [property: JsonPropertyName("held_back_base_ndcg")] IReadOnlyDictionary<string, double> HeldBackBaseNdcg,
    [property: JsonPropertyName("trigger")] string Trigger);

/// <summary>A trained version's learned parameters: the fusion (Source = the version id) and its lineage.</summary>
public sealed record LearnedParameters(FusionModel Fusion, TrainingLineage Lineage);

/// <summary>
/// The learned parameters of model versions, implemented by the models feature (the version folder
/// holds <c>fusion.json</c>, the manifest the lineage).
/// </summary>
public interface ITrainedVersions
{
    /// <summary>The version's learned parameters; null for a version that was not trained (it scores with the options' fusion).</summary>
    LearnedParameters? Find(string modelId);

    /// <summary>
    /// Writes a new version of <paramref name="baseModelId"/>'s model (<c>{name}@{n+1}</c>): the base's files
    /// untouched plus <c>fusion.json</c>, the lineage in its manifest. Throws <see cref="ModelNotFoundException"/> for an unknown base.
    /// </summary>
    Task<ModelDescriptor> CreateAsync(string baseModelId, FusionModel fusion, TrainingLineage lineage, CancellationToken cancellationToken);
}

/// <summary>Training, as the models API and the nightly loop ask for it; implemented by the training feature.</summary>
public interface IModelTraining
{
    /// <summary>Checks the request against what the service has (sets named exist, values in range) and enqueues the <c>train-model</c> job.</summary>
    Task<TrainingEnqueued> EnqueueAsync(string baseModelId, TrainRequest request, CancellationToken cancellationToken);

    /// <summary>Trains now and registers the version; throws <see cref="TrainingDataException"/> when the data cannot train one.</summary>
    Task<ModelDescriptor> TrainAsync(string baseModelId, TrainRequest request, string trigger, Action<string>? progress, CancellationToken cancellationToken);
}

/// <summary>The judgments cannot train a version (none, one grade only, a set named that does not exist): <see cref="Field"/> names what.</summary>
public sealed class TrainingDataException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>The sha256 a lineage records for a judgment set: of its query and its judgments in document id order.</summary>
public static class JudgedSetHash
{
    public static string Sha256(Evaluation.JudgedSet set)
    {
        var text = new System.Text.StringBuilder().Append(set.Query.Tag).Append('\n').Append(set.Query.Genre).Append('\n').Append(set.Query.Text).Append('\n');
        foreach (var (id, grade) in set.Grades.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(id).Append('\t').Append(grade).Append('\n');
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }
}
