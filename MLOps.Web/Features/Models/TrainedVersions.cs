using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

/// <summary>
/// The learned parameters of trained versions (<see cref="ITrainedVersions"/>): <c>fusion.json</c> in the
/// version folder (the fusion weights, Alpha and Beta that <see cref="TagScoring"/> scores with) and the
/// lineage in <c>mlops-model.json</c>. A committed version folder never changes, so each is read once.
/// Also the registry's memory of rollbacks (<see cref="IRegistryHistory"/>).
/// </summary>
public sealed class TrainedVersions(ModelStore store, ModelLifecycle lifecycle) : ITrainedVersions, IRegistryHistory
{
    public const string FusionFile = "fusion.json";

    private readonly ConcurrentDictionary<string, LearnedParameters?> _read = new(StringComparer.Ordinal);

    public LearnedParameters? Find(string modelId)
    {
        var entry = store.Find(modelId);
        if (entry?.Manifest.Training is not { } lineage)
        {
            return null;
        }

        return _read.GetOrAdd(entry.Descriptor.Directory, _ => new LearnedParameters(Read(entry) with { Source = modelId }, lineage));
    }

    public Task<ModelDescriptor> CreateAsync(string baseModelId, FusionModel fusion, TrainingLineage lineage, CancellationToken cancellationToken)
    {
        var content = new FusionFileContent(lineage.Hyperparameters.Learner, fusion.Weights, fusion.Alpha, fusion.Beta);
        if (fusion.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidModelRequestException("fusion", string.Join("; ", problems));
        }

        return lifecycle.CreateTrainedVersionAsync(baseModelId, JsonSerializer.SerializeToUtf8Bytes(content, ModelManifest.Json), lineage, cancellationToken);
    }

    public IReadOnlyList<string> RolledBack() => store.ReadState().RolledBack;

    /// <summary>The version's fusion.json; a missing or broken one makes the version unusable (it would otherwise score silently with other weights).</summary>
    private static FusionModel Read(ModelEntry entry)
    {
        var path = Path.Combine(entry.Descriptor.Directory, FusionFile);
        FusionFileContent? content;
        try
        {
            content = JsonSerializer.Deserialize<FusionFileContent>(File.ReadAllBytes(path), ModelManifest.Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ModelUnusableException($"{entry.Descriptor.Id} is a trained version but its {FusionFile} cannot be read: {e.Message}", e);
        }

        var fusion = new FusionModel
        {
            Weights = new Dictionary<string, double>(content?.Weights ?? new Dictionary<string, double>(), StringComparer.Ordinal),
            Alpha = content?.Alpha ?? double.NaN,
            Beta = content?.Beta ?? double.NaN,
        };
        var problems = fusion.Problems();
        return problems.Count > 0 || fusion.Weights.Count == 0
            ? throw new ModelUnusableException($"{entry.Descriptor.Id}'s {FusionFile} is not a usable fusion: {string.Join("; ", problems.DefaultIfEmpty("no weights"))}")
            : fusion;
    }

    /// <summary>fusion.json: score = sigmoid(alpha × Σ weights[f] × f + beta).</summary>
    private sealed record FusionFileContent(
        [property: JsonPropertyName("learner")] string? Learner,
        [property: JsonPropertyName("weights")] IReadOnlyDictionary<string, double>? Weights,
        [property: JsonPropertyName("alpha")] double? Alpha,
        [property: JsonPropertyName("beta")] double? Beta);
}
