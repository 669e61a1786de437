namespace MLOps.Web.Shared.Models;

/// <summary>
/// Logistic mapping of an embedding model's cosine to [0,1]: <c>score = 1 / (1 + exp(-(A * cosine + B)))</c>.
/// Stored in the manifest (<c>calibration</c>); fitted from judgments by the evaluation feature.
/// </summary>
public sealed record Calibration(double A, double B, string Method = "logistic", string? FittedFrom = null);

/// <summary>The model registry: versions on disk, which one is active, promotion and rollback.</summary>
public interface IModelRegistry
{
    /// <summary>Every registered version, with the active one flagged by <see cref="IScorerProvider.ActiveModelId"/>.</summary>
    IReadOnlyList<ModelDescriptor> List();

    /// <summary>Validates a model folder (loads it, smoke-classifies, checks inputs/outputs and label ids) and registers it. Throws <see cref="InvalidModelPackageException"/> with the reason when broken.</summary>
    Task<ModelDescriptor> RegisterAsync(string directory, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="id"/> the active version atomically; requests in flight finish on the old one.</summary>
    Task PromoteAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>Re-activates the previously active version; returns its id.</summary>
    Task<string> RollbackAsync(CancellationToken cancellationToken);

    /// <summary>Writes a new version of an embedding model with <paramref name="calibration"/> in its manifest (same weights).</summary>
    Task<ModelDescriptor> CreateCalibratedVersionAsync(string baseId, Calibration calibration, CancellationToken cancellationToken);
}

/// <summary>Told when models are registered or promoted (evaluation and reclassification react).</summary>
public interface IModelLifecycleObserver
{
    Task OnRegisteredAsync(ModelDescriptor model, CancellationToken cancellationToken);

    Task OnPromotedAsync(ModelDescriptor model, ModelDescriptor? previous, CancellationToken cancellationToken);
}

/// <summary>What the registry remembers of its past: the versions that were rolled back (the active one when a rollback re-activated the previous).</summary>
public interface IRegistryHistory
{
    IReadOnlyList<string> RolledBack();
}
