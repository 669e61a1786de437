using System.Diagnostics;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

/// <summary>
/// What changes the registry: register (a package folder, validated by loading and smoke-testing it
/// before it is moved into place), promote, rollback, calibrate and quantize, one at a time. New versions are
/// built as a <see cref="StagedModel"/>; observers (<see cref="IModelLifecycleObserver"/>) are told
/// afterwards, and an observer's failure never undoes the operation.
/// </summary>
public sealed class ModelLifecycle(
    ModelStore store,
    LoadedModelCache cache,
    IModelLoader loader,
    ModelReadiness readiness,
    IServiceProvider services,
    TimeProvider time,
    ILogger<ModelLifecycle> logger) : IModelRegistry, IDisposable
{
    public const string RollbackReason = "rollback";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public IReadOnlyList<ModelDescriptor> List() => [.. store.ListEntries().Select(e => e.Descriptor)];

    public Task<ModelDescriptor> RegisterAsync(string directory, CancellationToken cancellationToken) =>
        RegisterAsync(directory, $"registered from {directory}", [], cancellationToken);

    /// <summary>
    /// Registers a package folder, recording <paramref name="source"/> as where it came from. A refusal's
    /// message never names <paramref name="hiddenPaths"/> (an upload's temp folder, the import
    /// directory), the folder itself or the registry's staging folders: they read as <c>&lt;package&gt;</c>.
    /// </summary>
    internal async Task<ModelDescriptor> RegisterAsync(string directory, string source, IReadOnlyList<string> hiddenPaths, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(directory) || !Directory.Exists(directory))
        {
            throw new InvalidModelRequestException("path", "The path is not a folder the service can read.");
        }

        directory = Path.GetFullPath(directory);
        string[] hidden = [.. hiddenPaths.Select(Path.GetFullPath), directory, store.Root];
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (manifest, name, version) = ReadPackage(directory, hidden);
            await using var staged = StagedModel.FromFolder(store, name, manifest, directory);
            var sha = await staged.Sha256Async(cancellationToken);
            if (manifest.Sha256 is { } declared && !string.Equals(declared, sha, StringComparison.OrdinalIgnoreCase))
            {
                throw Refuse(directory, $"model.onnx has sha256 {sha} but the manifest says {declared}.", hidden);
            }

            manifest.Source ??= source;
            manifest.CreatedAt = time.GetUtcNow();
            var candidate = await staged.StageAsync(version, cancellationToken);
            await ValidateAsync(new ModelEntry(candidate, manifest), directory, hidden, cancellationToken);
            return await PublishAsync(staged, directory, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task PromoteAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await PromoteCoreAsync(id, reason, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<string> RollbackAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var previous = store.ReadState().Previous ?? throw new NothingToRollBackException();
            await PromoteCoreAsync(previous, RollbackReason, cancellationToken);
            return previous;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<ModelDescriptor> CreateCalibratedVersionAsync(string baseId, Calibration calibration, CancellationToken cancellationToken)
    {
        if (!double.IsFinite(calibration.A) || !double.IsFinite(calibration.B))
        {
            throw new InvalidModelRequestException("calibration", "Calibration coefficients must be finite numbers.");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var entry = store.Get(baseId);
            if (entry.Descriptor.Kind != ModelKind.Embedding)
            {
                throw new InvalidModelRequestException("model", $"{baseId} is an {entry.Descriptor.Kind} model; only embedding models are calibrated.");
            }

            await using var staged = StagedModel.DeriveFrom(store, entry);
            staged.Manifest.Calibration = calibration;
            staged.Manifest.Source = $"{baseId} with calibration fitted from {calibration.FittedFrom ?? "judgments"}";
            staged.Manifest.CreatedAt = time.GetUtcNow();
            await staged.StageAsync(store.NextVersion(entry.Descriptor.Name), cancellationToken);
            return await PublishAsync(staged, baseId, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Writes the int8 copy of <paramref name="sourceId"/> as a new version of <c>&lt;name&gt;-int8</c>
    /// (<see cref="ModelQuantization"/>): the source's files and settings with a quantized model.onnx,
    /// loaded, smoke-tested and (embedding models) checked against the source's embeddings before it
    /// is moved into place; observers are told, as for any new version. Refused (400) when the source
    /// cannot be quantized or the copy drifts; 409 when the same copy is already registered.
    /// </summary>
    public async Task<ModelDescriptor> QuantizeAsync(string sourceId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var source = store.Get(sourceId);
            var name = ModelQuantization.QuantizedName(source.Descriptor.Name);
            if (store.ListEntries().FirstOrDefault(e => e.Descriptor.Name == name && ModelQuantization.IsCurrentCopyOf(e.Manifest, source.Descriptor.Sha256)) is { } existing)
            {
                throw new ModelAlreadyRegisteredException(existing.Descriptor.Id, $"{existing.Descriptor.Id} is already the int8 copy of {sourceId} (same source sha256 and method).");
            }

            var bytes = await File.ReadAllBytesAsync(Path.Combine(source.Descriptor.Directory, StagedModel.ModelFile), cancellationToken);
            var result = await Task.Run(() => ModelQuantization.Quantize(bytes, sourceId), cancellationToken);
            await using var staged = StagedModel.DeriveFrom(store, source, name);
            await staged.AddFileAsync(StagedModel.ModelFile, result.Model, cancellationToken);
            await staged.AddFileAsync(ModelQuantization.ReportFile, ModelQuantization.ReportJson(result.Report), cancellationToken);
            ModelQuantization.Describe(staged.Manifest, sourceId, result.Report, time.GetUtcNow());
            var candidate = await staged.StageAsync(store.NextVersion(name), cancellationToken);
            var minCosine = await CheckQuantizedAsync(source, new ModelEntry(candidate, staged.Manifest), cancellationToken);
            staged.Manifest.Quantization = staged.Manifest.Quantization! with { CheckMinCosine = minCosine };
            await staged.StageAsync(candidate.Version, cancellationToken);
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            ModelsLog.Quantized(logger, sourceId, candidate.Id, elapsed, result.Report.Quantized.Count, result.Report.OutputBytes, minCosine);
            return await PublishAsync(staged, sourceId, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A trained version of <paramref name="baseId"/>'s model: the base's files (model.onnx untouched),
    /// <c>fusion.json</c> added (<see cref="TrainedVersions"/>), the lineage in the manifest; observers told.
    /// </summary>
    public async Task<ModelDescriptor> CreateTrainedVersionAsync(string baseId, ReadOnlyMemory<byte> fusionJson, TrainingLineage lineage, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var entry = store.Get(baseId);
            await using var staged = StagedModel.DeriveFrom(store, entry);
            await staged.AddFileAsync(TrainedVersions.FusionFile, fusionJson, cancellationToken);
            staged.Manifest.Training = lineage;
            staged.Manifest.Source = $"{baseId} with fusion weights trained on {lineage.TrainedOn.Count} judgment set(s)";
            staged.Manifest.CreatedAt = time.GetUtcNow();
            await staged.StageAsync(store.NextVersion(entry.Descriptor.Name), cancellationToken);
            return await PublishAsync(staged, baseId, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> with every other lifecycle operation held back (start-up settles the active model this way).</summary>
    internal async Task RunExclusiveAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await work(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>The package's manifest and the name and version it will be registered under; refuses it when they are unusable or taken.</summary>
    private (ModelManifest Manifest, string Name, string Version) ReadPackage(string directory, string[] hidden)
    {
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.FromDirectory(directory);
        }
        catch (ModelPackageException e)
        {
            throw Refuse(directory, e.Message, hidden);
        }

        var name = ModelStore.SanitizeName(manifest.Name is { Length: > 0 } n ? n : Path.GetFileName(directory));
        var version = manifest.Version ?? store.NextVersion(name);
        if (!ModelStore.IsSafeSegment(version))
        {
            throw Refuse(directory, $"version '{version}' may only use letters, digits, '.', '_' and '-'.", hidden);
        }

        if (store.Exists(name, version))
        {
            throw Refuse(directory, $"{name}@{version} is already registered.", hidden);
        }

        return (manifest, name, version);
    }

    /// <summary>Loads the staged version and smoke-classifies with it; refuses the package with the reason when that fails.</summary>
    private async Task ValidateAsync(ModelEntry candidate, string source, string[] hidden, CancellationToken cancellationToken)
    {
        LoadedModel model;
        try
        {
            model = await loader.LoadAsync(candidate, cancellationToken);
        }
        catch (ModelPackageException e)
        {
            throw Refuse(source, e.Message, hidden);
        }

        await model.ReleaseAndWaitAsync();
    }

    /// <summary>Loads and smoke-tests the staged int8 version; for an embedding model, the lowest cosine of its embeddings to the source's (else null).</summary>
    private async Task<double?> CheckQuantizedAsync(ModelEntry source, ModelEntry candidate, CancellationToken cancellationToken)
    {
        LoadedModel model;
        try
        {
            model = await loader.LoadAsync(candidate, cancellationToken);
        }
        catch (ModelPackageException e)
        {
            throw Refuse(source.Descriptor.Id, $"The int8 copy of {source.Descriptor.Id} cannot be served: {e.Message}", [candidate.Descriptor.Directory, source.Descriptor.Directory]);
        }

        try
        {
            if (model.Scorer is not IEmbeddingScorer quantized)
            {
                return null;
            }

            using var lease = await cache.AcquireAsync(source.Descriptor.Id, cancellationToken);
            return await ModelQuantization.CheckAsync((IEmbeddingScorer)lease.Scorer, quantized, source.Descriptor.Id, cancellationToken);
        }
        finally
        {
            await model.ReleaseAndWaitAsync();
        }
    }

    /// <summary>The tail every new version shares: moved into place, logged, observers told.</summary>
    private async Task<ModelDescriptor> PublishAsync(StagedModel staged, string source, CancellationToken cancellationToken)
    {
        var descriptor = staged.Commit();
        ModelsLog.Registered(logger, descriptor.Id, source);
        await NotifyAsync((o, ct) => o.OnRegisteredAsync(descriptor, ct), cancellationToken);
        return descriptor;
    }

    private async Task PromoteCoreAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var entry = store.Get(id);
        if (cache.ActiveModelId == id)
        {
            return;
        }

        LoadedModel model;
        try
        {
            model = await cache.ReferenceAsync(entry, cancellationToken);
        }
        catch (ModelUnusableException e)
        {
            throw new InvalidModelRequestException("id", e.Message);
        }

        var previous = cache.Activate(model);
        readiness.Status = new ModelStatus(ModelStatusKind.Ready, $"Serving {id}.", id);
        var state = store.ReadState();
        var previousId = previous?.Descriptor.Id ?? state.Active;
        var rolledBack = reason == RollbackReason && previousId is not null ? [.. state.RolledBack.Where(r => r != previousId), previousId] : state.RolledBack;
        store.WriteState(new RegistryState(id, previousId, time.GetUtcNow(), reason) { RolledBack = rolledBack });
        ModelsLog.Promoted(logger, id, previousId, reason);
        var previousDescriptor = previousId is null ? null : previous?.Descriptor ?? store.Find(previousId)?.Descriptor;
        await NotifyAsync((o, ct) => o.OnPromotedAsync(model.Descriptor, previousDescriptor, ct), cancellationToken);
    }

    private async Task NotifyAsync(Func<IModelLifecycleObserver, CancellationToken, Task> notify, CancellationToken cancellationToken)
    {
        foreach (var observer in services.GetServices<IModelLifecycleObserver>())
        {
            try
            {
                await notify(observer, cancellationToken);
            }
#pragma warning disable CA1031 // an observer's failure must not undo a registration or promotion
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                ModelsLog.ObserverFailed(logger, e, observer.GetType().Name);
            }
        }
    }

    private InvalidModelPackageException Refuse(string source, string reason, string[] hidden)
    {
        ModelsLog.Refused(logger, source, reason);
        return new InvalidModelPackageException(Redact(reason, hidden));
    }

    /// <summary><paramref name="reason"/> with every hidden path (longest first) replaced by <c>&lt;package&gt;</c>.</summary>
    internal static string Redact(string reason, IEnumerable<string> hidden)
    {
        foreach (var path in hidden.Where(p => p.Length > 1).OrderByDescending(p => p.Length))
        {
            reason = reason.Replace(path, "<package>", StringComparison.Ordinal);
        }

        return System.Text.RegularExpressions.Regex.Replace(reason, @"<package>/\.staging-[^/\s'""]*", "<package>");
    }
}
