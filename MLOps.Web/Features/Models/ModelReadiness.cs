namespace MLOps.Web.Features.Models;

/// <summary>Readiness of the model layer, as <c>/readyz</c> reports it.</summary>
public sealed record ModelStatus(ModelStatusKind Kind, string Message, string? ActiveModelId);

public enum ModelStatusKind
{
    Loading,
    Ready,

    /// <summary>Serving, but not the configured/recorded active version (which failed).</summary>
    Degraded,
    Failed,
}

/// <summary>
/// What the model layer says about itself: written by start-up and promotion, read by the
/// <c>model</c> health check and by the cache (the reason of a 503 when nothing is active).
/// </summary>
public sealed class ModelReadiness
{
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ModelStatus _status;

    public ModelReadiness(Microsoft.Extensions.Options.IOptions<ModelsOptions> options)
        : this(options.Value.ActiveModel)
    {
    }

    public ModelReadiness(string configuredModel)
    {
        _status = new ModelStatus(ModelStatusKind.Loading, $"Loading model {configuredModel}.", null);
    }

    public ModelStatus Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>Completes when start-up (materialisation and loading the active model) has finished, successfully or not.</summary>
    public Task Initialization => _initialized.Task;

    public void MarkInitialized() => _initialized.TrySetResult();
}
