using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// What changes the registry: register (a package folder, validated by loading and smoke-testing it
/// before it is moved into place), promote, rollback, calibrate and quantize, one at a time. New versions are
/// built as a <see cref="StagedModel"/>; observers (<see cref="IModelLifecycleObserver"/>) are told
/// afterwards, and an observer's failure never undoes the operation. Versions derived from another
/// (calibrated, quantized, trained) are made in ModelLifecycle.Derived.cs.
/// </summary>
public sealed partial class ModelLifecycle(
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
