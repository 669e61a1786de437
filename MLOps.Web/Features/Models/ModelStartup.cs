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

    /// <summary>The recorded active version, else the recorded previous one, else the configured one: the first that loads becomes active.</summary>
    private async Task<ModelStatus> ActivateFirstLoadableAsync(CancellationToken cancellationToken)
    {
        var state = store.ReadState();
        var wanted = state.Active ?? _options.ActiveModel;
        string? failure = null;
        foreach (var candidate in new[] { wanted, state.Previous, _options.ActiveModel }.Distinct().OfType<string>())
        {
            var error = await TryActivateAsync(candidate, cancellationToken);
            if (error is null)
            {
                if (failure is null)
                {
                    return new ModelStatus(ModelStatusKind.Ready, $"Serving {candidate}.", candidate);
                }

                ModelsLog.Fallback(logger, candidate, wanted, failure);
                return new ModelStatus(ModelStatusKind.Degraded, $"Serving {candidate} because {failure}", candidate);
            }

            failure ??= $"model {candidate} cannot be loaded: {error}";
        }

        return new ModelStatus(ModelStatusKind.Failed, $"No model is loaded: {failure}", null);
    }

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
