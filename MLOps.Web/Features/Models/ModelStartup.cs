using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// Start-up of the model layer: the built-in models materialised into the registry, then the
/// recorded active version loaded; when it fails the previous one serves, then the configured one,
/// and <see cref="ModelReadiness"/> says which and why. Never throws: readiness reports a failure.
/// </summary>
public sealed class ModelStartup(
    ModelStore store,
    LoadedModelCache cache,
    ModelLifecycle lifecycle,
    ModelReadiness readiness,
    IOptions<ModelsOptions> options,
    TimeProvider time,
    ILogger<ModelStartup> logger)
{
    private readonly ModelsOptions _options = options.Value;

    /// <summary>Completes when start-up has finished, successfully or not.</summary>
    public Task Initialization => readiness.Initialization;

    /// <summary>Materialises the built-in models and loads the active version; promotions and registrations wait until it is settled.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await lifecycle.RunExclusiveAsync(async ct =>
            {
                Directory.CreateDirectory(store.Root);
                await MaterializeBuiltInsAsync(ct);
                readiness.Status = await ActivateFirstLoadableAsync(ct);
            }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            readiness.Status = new ModelStatus(ModelStatusKind.Failed, "Start-up was cancelled.", null);
        }
#pragma warning disable CA1031 // start-up must never crash the host: readiness reports the failure
        catch (Exception e)
#pragma warning restore CA1031
        {
            ModelsLog.LoadFailed(logger, e, _options.ActiveModel, e.Message);
            readiness.Status = new ModelStatus(ModelStatusKind.Failed, $"No model is loaded: {e.Message}", null);
        }
        finally
        {
            readiness.MarkInitialized();
        }
    }

    /// <summary>Writes every built-in model (and, with <c>MaterializeQuantized</c>, its int8 copy) into the registry; one that fails is logged and skipped.</summary>
    private async Task MaterializeBuiltInsAsync(CancellationToken cancellationToken)
    {
        if (!_options.MaterializeBuiltIns)
        {
            return;
        }

        var cache = string.IsNullOrWhiteSpace(_options.BuiltInCacheDirectory) ? null : Path.GetFullPath(_options.BuiltInCacheDirectory);
        var materializer = new BuiltInModelMaterializer(store.Root, cache, time, logger);
        var quantized = _options.MaterializeQuantized ? new BuiltInQuantizedMaterializer(store.Root, cache, time, logger) : null;
        foreach (var model in BuiltInModels.All)
        {
            try
            {
                await materializer.MaterializeAsync(model, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ModelsLog.MaterializeFailed(logger, e, model.Id);
                continue;
            }

            try
            {
                await (quantized?.MaterializeAsync(model, cancellationToken) ?? Task.CompletedTask);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ModelsLog.MaterializeFailed(logger, e, ModelStore.Id(ModelQuantization.QuantizedName(model.Name), BuiltInModel.Version));
            }
        }
    }

    /// <summary>
    /// The recorded active version, else the recorded previous one, else the configured one, else (when the
    /// configured one is a built-in int8 copy that was not written) its fp32 source: the first that loads becomes active.
    /// </summary>
    private async Task<ModelStatus> ActivateFirstLoadableAsync(CancellationToken cancellationToken)
    {
        var state = store.ReadState();
        var wanted = state.Active ?? _options.ActiveModel;
        var source = BuiltInQuantizedSource(_options.ActiveModel);
        string? failure = null;
        string? missingInt8 = null;
        foreach (var candidate in new[] { wanted, state.Previous, _options.ActiveModel, source }.Distinct().OfType<string>())
        {
            if (candidate == _options.ActiveModel && source is not null && store.Find(candidate) is null)
            {
                // The configured default is the int8 copy of a built-in model and start-up did not write it: its fp32 source serves.
                missingInt8 = MissingQuantizedReason(candidate);
                failure ??= missingInt8;
                continue;
            }

            var error = await TryActivateAsync(candidate, cancellationToken);
            if (error is null)
            {
                return Activated(candidate, wanted, failure, missingInt8);
            }

            failure ??= $"model {candidate} cannot be loaded: {error}";
        }

        return new ModelStatus(ModelStatusKind.Failed, $"No model is loaded: {failure}", null);
    }

    /// <summary>Ready on the wanted version; else the fallback logged with its reason (Ready when the int8 default was switched off on purpose).</summary>
    private ModelStatus Activated(string candidate, string wanted, string? failure, string? missingInt8)
    {
        if (failure is null)
        {
            return new ModelStatus(ModelStatusKind.Ready, $"Serving {candidate}.", candidate);
        }

        if (failure == missingInt8)
        {
            ModelsLog.QuantizedDefaultMissing(logger, candidate, _options.ActiveModel, failure);
            var deliberate = !_options.MaterializeBuiltIns || !_options.MaterializeQuantized;
            return new ModelStatus(deliberate ? ModelStatusKind.Ready : ModelStatusKind.Degraded, $"Serving {candidate} because {failure}", candidate);
        }

        ModelsLog.Fallback(logger, candidate, wanted, failure);
        return new ModelStatus(ModelStatusKind.Degraded, $"Serving {candidate} because {failure}", candidate);
    }

    /// <summary>The fp32 built-in model whose int8 copy <paramref name="id"/> is, else null.</summary>
    internal static string? BuiltInQuantizedSource(string id) =>
        BuiltInModels.All.FirstOrDefault(m => ModelStore.Id(ModelQuantization.QuantizedName(m.Name), BuiltInModel.Version) == id)?.Id;

    /// <summary>Why the configured int8 copy of a built-in model is not in the registry.</summary>
    private string MissingQuantizedReason(string id) =>
        !_options.MaterializeBuiltIns ? $"Models:ActiveModel is {id}, which start-up writes only with Models:MaterializeBuiltIns on (it is off)."
        : !_options.MaterializeQuantized ? $"Models:ActiveModel is {id}, the int8 copy start-up writes only with Models:MaterializeQuantized on (it is off); set Models:ActiveModel to its fp32 source to silence this."
        : $"Models:ActiveModel is {id}, but quantizing its fp32 source failed at start-up (see the error logged before this).";

    /// <summary>Loads <paramref name="candidate"/> and makes it active; returns null, or why it cannot serve.</summary>
    private async Task<string?> TryActivateAsync(string candidate, CancellationToken cancellationToken)
    {
        try
        {
            var entry = store.Find(candidate) ?? throw new ModelPackageException($"model {candidate} is not in the registry ({store.Root}).");
            cache.Activate(await LoadAsync(entry, cancellationToken));
            return null;
        }
#pragma warning disable CA1031 // any failure of one candidate: try the next, readiness reports it
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            ModelsLog.LoadFailed(logger, e, candidate, e.Message);
            return e.Message;
        }
    }

    /// <summary>The version through the cache (one load per version), failing with the loader's own reason.</summary>
    private async Task<LoadedModel> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            return await cache.ReferenceAsync(entry, cancellationToken);
        }
        catch (ModelUnusableException e) when (e.InnerException is ModelPackageException reason)
        {
            ExceptionDispatchInfo.Throw(reason);
            throw;
        }
    }
}

/// <summary>Runs <see cref="ModelStartup"/> in the background, so the host starts at once.</summary>
internal sealed class ModelStartupService(ModelStartup startup) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await startup.InitializeAsync(stoppingToken);
    }
}
