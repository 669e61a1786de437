using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>A registered version with what the API shows about it.</summary>
public sealed record ModelEntry(ModelDescriptor Descriptor, ModelManifest Manifest);

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

/// <summary>The active and previous version, persisted in <c>&lt;registry&gt;/registry.json</c>.</summary>
public sealed record RegistryState(string? Active, string? Previous, DateTimeOffset? UpdatedAt, string? Reason);

/// <summary>
/// The model registry folder and the scorers served from it. One <see cref="LoadedModel"/> (ONNX
/// session) per version, shared by every request; the active one is swapped atomically on
/// promotion, and an old session is disposed only when its last lease is released.
/// </summary>
public sealed partial class ModelRegistry : IModelRegistry, IScorerProvider, IAsyncDisposable
{
    public const string StateFile = "registry.json";

    private readonly ModelsOptions _options;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelRegistry> _logger;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly Lock _loadedLock = new();
    private readonly Dictionary<string, LoadedModel> _inactive = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _inactiveOrder = new();
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoadedModel? _active;
    private volatile ModelStatus _status;

    public ModelRegistry(IOptions<ModelsOptions> options, DataDirectory data, IServiceProvider services, TimeProvider time, ILogger<ModelRegistry> logger)
    {
        _options = options.Value;
        _services = services;
        _time = time;
        _logger = logger;
        Root = data.Resolve(_options.RegistryDirectory);
        _status = new ModelStatus(ModelStatusKind.Loading, $"Loading model {_options.ActiveModel}.", null);
        OnnxSettings = new OnnxSessionSettings(_options.IntraOpNumThreads, _options.AllowSpinning);
        Batching = new BatchingSettings(_options.MaxBatchSize, TimeSpan.FromMilliseconds(_options.BatchDelayMilliseconds), _options.LengthBucketing);
    }

    /// <summary>Absolute path of the registry folder.</summary>
    public string Root { get; }

    public OnnxSessionSettings OnnxSettings { get; }

    public BatchingSettings Batching { get; }

    public ModelStatus Status => _status;

    /// <summary>Completes when start-up (materialisation and loading the active model) has finished, successfully or not.</summary>
    public Task Initialization => _initialized.Task;

    public string? ActiveModelId => Volatile.Read(ref _active)?.Descriptor.Id;

    /// <summary>The active version in memory (for timings and diagnostics).</summary>
    public LoadedModel? ActiveModel => Volatile.Read(ref _active);

    // ---------------------------------------------------------------- start-up

    /// <summary>Materialises the built-in models and loads the active version (the recorded one, else the configured one).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var locked = false;
        try
        {
            // promotions and registrations wait until start-up has settled the active model
            await _lifecycle.WaitAsync(cancellationToken);
            locked = true;
            Directory.CreateDirectory(Root);
            if (_options.MaterializeBuiltIns)
            {
                var cache = string.IsNullOrWhiteSpace(_options.BuiltInCacheDirectory) ? null : Path.GetFullPath(_options.BuiltInCacheDirectory);
                var materializer = new BuiltInModelMaterializer(Root, cache, _time, _logger);
                foreach (var model in BuiltInModels.All)
                {
                    try
                    {
                        await materializer.MaterializeAsync(model, cancellationToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        ModelsLog.MaterializeFailed(_logger, e, model.Id);
                    }
                }
            }

            var state = ReadState();
            var wanted = state.Active ?? _options.ActiveModel;
            string? failure = null;
            foreach (var candidate in new[] { wanted, state.Previous, _options.ActiveModel }.Distinct())
            {
                if (candidate is null)
                {
                    continue;
                }

                try
                {
                    var model = await LoadAsync(candidate, cancellationToken);
                    Volatile.Write(ref _active, model);
                    if (failure is null)
                    {
                        _status = new ModelStatus(ModelStatusKind.Ready, $"Serving {candidate}.", candidate);
                    }
                    else
                    {
                        ModelsLog.Fallback(_logger, candidate, wanted, failure);
                        _status = new ModelStatus(ModelStatusKind.Degraded, $"Serving {candidate} because {failure}", candidate);
                    }

                    return;
                }
#pragma warning disable CA1031 // any failure of one candidate: try the next, readiness reports it
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    var reason = $"model {candidate} cannot be loaded: {e.Message}";
                    failure ??= reason;
                    ModelsLog.LoadFailed(_logger, e, candidate, e.Message);
                }
            }

            _status = new ModelStatus(ModelStatusKind.Failed, $"No model is loaded: {failure}", null);
        }
        catch (OperationCanceledException)
        {
            _status = new ModelStatus(ModelStatusKind.Failed, "Start-up was cancelled.", null);
        }
#pragma warning disable CA1031 // start-up must never crash the host: readiness reports the failure
        catch (Exception e)
#pragma warning restore CA1031
        {
            ModelsLog.LoadFailed(_logger, e, _options.ActiveModel, e.Message);
            _status = new ModelStatus(ModelStatusKind.Failed, $"No model is loaded: {e.Message}", null);
        }
        finally
        {
            if (locked)
            {
                _lifecycle.Release();
            }

            _initialized.TrySetResult();
        }
    }

    // ---------------------------------------------------------------- listing

    public IReadOnlyList<ModelDescriptor> List() => ListEntries().Select(e => e.Descriptor).ToList();

    /// <summary>Every version with its manifest, sorted by name then version.</summary>
    public IReadOnlyList<ModelEntry> ListEntries()
    {
        var result = new List<ModelEntry>();
        if (!Directory.Exists(Root))
        {
            return result;
        }

        foreach (var nameDir in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(nameDir);
            if (!IsSafeSegment(name) || name.StartsWith('.'))
            {
                continue;
            }

            foreach (var versionDir in Directory.EnumerateDirectories(nameDir))
            {
                var version = Path.GetFileName(versionDir);
                if (!IsSafeSegment(version) || !File.Exists(Path.Combine(versionDir, ModelManifest.FileName)))
                {
                    continue;
                }

                try
                {
                    result.Add(Entry(name, version, versionDir));
                }
                catch (ModelPackageException e)
                {
                    ModelsLog.SkippedFolder(_logger, versionDir, e.Message);
                }
            }
        }

        return [.. result.OrderBy(e => e.Descriptor.Name, StringComparer.Ordinal).ThenBy(e => VersionKey(e.Descriptor.Version))];
    }

    /// <summary>The entry of <paramref name="id"/>, or null when no such version is registered.</summary>
    public ModelEntry? Find(string id)
    {
        if (!TrySplitId(id, out var name, out var version))
        {
            return null;
        }

        var directory = Path.Combine(Root, name, version);
        if (!File.Exists(Path.Combine(directory, ModelManifest.FileName)))
        {
            return null;
        }

        try
        {
            return Entry(name, version, directory);
        }
        catch (ModelPackageException e)
        {
            throw new ProblemException(StatusCodes.Status409Conflict, "Model unusable", $"Model {id} has a broken manifest: {e.Message}");
        }
    }

    public RegistryState ReadState()
    {
        var path = Path.Combine(Root, StateFile);
        if (!File.Exists(path))
        {
            return new RegistryState(null, null, null, null);
        }

        try
        {
            return JsonSerializer.Deserialize<RegistryState>(File.ReadAllText(path), ModelManifest.Json) ?? new RegistryState(null, null, null, null);
        }
        catch (JsonException)
        {
            return new RegistryState(null, null, null, null);
        }
    }

    // ---------------------------------------------------------------- leases

    public ScorerLease Acquire(string? modelId = null)
    {
        if (modelId is null)
        {
            while (true)
            {
                var active = Volatile.Read(ref _active)
                    ?? throw new ProblemException(StatusCodes.Status503ServiceUnavailable, "Model not ready", _status.Message);
                if (active.TryAddReference())
                {
                    return new ScorerLease(active.Scorer, active.Release);
                }
                // swapped out and released in between: read the new active one
            }
        }

        if (Volatile.Read(ref _active) is { } current && current.Descriptor.Id == modelId && current.TryAddReference())
        {
            return new ScorerLease(current.Scorer, current.Release);
        }

        var entry = Find(modelId) ?? throw ProblemException.NotFound($"Model '{modelId}' is not registered.");
        lock (_loadedLock)
        {
            if (!_inactive.TryGetValue(modelId, out var model) || !model.TryAddReference())
            {
                try
                {
                    model = LoadedModel.Load(entry.Descriptor, entry.Manifest, OnnxSettings, Batching);
                }
                catch (ModelPackageException e)
                {
                    throw new ProblemException(StatusCodes.Status409Conflict, "Model unusable", $"Model {modelId} cannot be loaded: {e.Message}");
                }

                KeepInactive(model);
                model.TryAddReference();
            }

            Touch(modelId);
            return new ScorerLease(model.Scorer, model.Release);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    public async Task<ModelDescriptor> RegisterAsync(string directory, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(directory) || !Directory.Exists(directory))
        {
            throw ProblemException.BadRequest("path", $"'{directory}' is not a folder the service can read.");
        }

        directory = Path.GetFullPath(directory);
        await _lifecycle.WaitAsync(cancellationToken);
        string? staging = null;
        try
        {
            ModelManifest manifest;
            try
            {
                manifest = ModelManifest.FromDirectory(directory);
            }
            catch (ModelPackageException e)
            {
                throw Refuse(directory, e.Message);
            }

            var name = manifest.Name is { Length: > 0 } n ? SanitizeName(n) : SanitizeName(Path.GetFileName(directory));
            var version = manifest.Version ?? NextVersion(name);
            if (!IsSafeSegment(version))
            {
                throw Refuse(directory, $"version '{version}' may only use letters, digits, '.', '_' and '-'.");
            }

            var target = Path.Combine(Root, name, version);
            if (Directory.Exists(target))
            {
                throw Refuse(directory, $"{name}@{version} is already registered.");
            }

            staging = Path.Combine(Root, $".staging-{name}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            CopyFolder(directory, staging);

            var sha = await ModelManifest.Sha256Async(Path.Combine(staging, "model.onnx"), cancellationToken);
            if (manifest.Sha256 is { } declared && !string.Equals(declared, sha, StringComparison.OrdinalIgnoreCase))
            {
                throw Refuse(directory, $"model.onnx has sha256 {sha} but the manifest says {declared}.");
            }

            manifest.Name = name;
            manifest.Version = version;
            manifest.Sha256 = sha;
            manifest.Source ??= $"registered from {directory}";
            manifest.CreatedAt = _time.GetUtcNow();
            await manifest.WriteAsync(staging, cancellationToken);

            var id = $"{name}@{version}";
            await ValidateAsync(new ModelDescriptor(id, name, version, manifest.Kind, sha, staging), manifest, directory, cancellationToken);

            Directory.CreateDirectory(Path.Combine(Root, name));
            Directory.Move(staging, target);
            staging = null;
            var descriptor = new ModelDescriptor(id, name, version, manifest.Kind, sha, target);
            ModelsLog.Registered(_logger, id, directory);
            await NotifyAsync((o, ct) => o.OnRegisteredAsync(descriptor, ct), cancellationToken);
            return descriptor;
        }
        finally
        {
            if (staging is not null && Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            _lifecycle.Release();
        }
    }

    public async Task PromoteAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            await PromoteCoreAsync(id, reason, cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task<string> RollbackAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            var previous = ReadState().Previous
                ?? throw new ProblemException(StatusCodes.Status409Conflict, "Nothing to roll back to", "No previous model version is recorded.");
            await PromoteCoreAsync(previous, "rollback", cancellationToken);
            return previous;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task<ModelDescriptor> CreateCalibratedVersionAsync(string baseId, Calibration calibration, CancellationToken cancellationToken)
    {
        if (!double.IsFinite(calibration.A) || !double.IsFinite(calibration.B))
        {
            throw ProblemException.BadRequest("calibration", "Calibration coefficients must be finite numbers.");
        }

        await _lifecycle.WaitAsync(cancellationToken);
        string? staging = null;
        try
        {
            var entry = Find(baseId) ?? throw ProblemException.NotFound($"Model '{baseId}' is not registered.");
            if (entry.Descriptor.Kind != ModelKind.Embedding)
            {
                throw ProblemException.BadRequest("model", $"{baseId} is an {entry.Descriptor.Kind} model; only embedding models are calibrated.");
            }

            var name = entry.Descriptor.Name;
            var version = NextVersion(name);
            staging = Path.Combine(Root, $".staging-{name}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            CopyFolder(entry.Descriptor.Directory, staging);
            var manifest = entry.Manifest.Clone();
            manifest.Version = version;
            manifest.Calibration = calibration;
            manifest.Source = $"{baseId} with calibration fitted from {calibration.FittedFrom ?? "judgments"}";
            manifest.CreatedAt = _time.GetUtcNow();
            manifest.Metrics = null;
            await manifest.WriteAsync(staging, cancellationToken);

            var target = Path.Combine(Root, name, version);
            Directory.Move(staging, target);
            staging = null;
            var descriptor = new ModelDescriptor($"{name}@{version}", name, version, manifest.Kind, entry.Descriptor.Sha256, target);
            ModelsLog.Registered(_logger, descriptor.Id, baseId);
            await NotifyAsync((o, ct) => o.OnRegisteredAsync(descriptor, ct), cancellationToken);
            return descriptor;
        }
        finally
        {
            if (staging is not null && Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            _lifecycle.Release();
        }
    }

    private async Task PromoteCoreAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var entry = Find(id) ?? throw ProblemException.NotFound($"Model '{id}' is not registered.");
        var current = ActiveModel;
        if (current?.Descriptor.Id == id)
        {
            return;
        }

        LoadedModel? model;
        lock (_loadedLock)
        {
            if (_inactive.Remove(id, out model))
            {
                _inactiveOrder.Remove(id);
            }
        }

        if (model is null)
        {
            try
            {
                model = await LoadAsync(entry, cancellationToken);
            }
            catch (ModelPackageException e)
            {
                throw ProblemException.BadRequest("id", $"Model {id} cannot be loaded: {e.Message}");
            }
        }

        // The swap: new requests lease the new model from here on; leases on the old one keep it alive.
        var previous = Interlocked.Exchange(ref _active, model);
        _status = new ModelStatus(ModelStatusKind.Ready, $"Serving {id}.", id);
        var previousId = previous?.Descriptor.Id ?? ReadState().Active;
        WriteState(new RegistryState(id, previousId, _time.GetUtcNow(), reason));
        if (previous is not null)
        {
            lock (_loadedLock)
            {
                KeepInactive(previous);
            }
        }

        ModelsLog.Promoted(_logger, id, previousId, reason);
        var previousDescriptor = previousId is null ? null : previous?.Descriptor ?? Find(previousId)?.Descriptor;
        await NotifyAsync((o, ct) => o.OnPromotedAsync(model.Descriptor, previousDescriptor, ct), cancellationToken);
    }

    private async Task ValidateAsync(ModelDescriptor descriptor, ModelManifest manifest, string source, CancellationToken cancellationToken)
    {
        LoadedModel? model = null;
        try
        {
            model = LoadedModel.Load(descriptor, manifest, OnnxSettings, Batching);
            await model.SmokeTestAsync(cancellationToken);
        }
        catch (ModelPackageException e)
        {
            throw Refuse(source, e.Message);
        }
        finally
        {
            if (model is not null)
            {
                await model.ReleaseAndWaitAsync();
            }
        }
    }

    private Task<LoadedModel> LoadAsync(string id, CancellationToken cancellationToken)
    {
        var entry = Find(id) ?? throw new ModelPackageException($"model {id} is not in the registry ({Root}).");
        return LoadAsync(entry, cancellationToken);
    }

    private async Task<LoadedModel> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var model = await Task.Run(() => LoadedModel.Load(entry.Descriptor, entry.Manifest, OnnxSettings, Batching), cancellationToken);
        try
        {
            await model.SmokeTestAsync(cancellationToken);
        }
        catch
        {
            await model.ReleaseAndWaitAsync();
            throw;
        }

        var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        ModelsLog.Loaded(_logger, entry.Descriptor.Id, elapsed);
        return model;
    }

    private void KeepInactive(LoadedModel model)
    {
        var id = model.Descriptor.Id;
        if (_inactive.Remove(id, out var replaced))
        {
            _inactiveOrder.Remove(id);
            replaced.Release();
        }

        _inactive[id] = model;
        _inactiveOrder.AddFirst(id);
        while (_inactive.Count > _options.MaxLoadedInactiveModels && _inactiveOrder.Last is { } last)
        {
            _inactiveOrder.RemoveLast();
            if (_inactive.Remove(last.Value, out var evicted))
            {
                evicted.Release();
            }
        }
    }

    private void Touch(string id)
    {
        if (_inactiveOrder.Remove(id))
        {
            _inactiveOrder.AddFirst(id);
        }
    }

    private void WriteState(RegistryState state)
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, StateFile);
        var tmp = $"{path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(tmp, JsonSerializer.Serialize(state, ModelManifest.Json));
        File.Move(tmp, path, overwrite: true);
    }

    private async Task NotifyAsync(Func<IModelLifecycleObserver, CancellationToken, Task> notify, CancellationToken cancellationToken)
    {
        foreach (var observer in _services.GetServices<IModelLifecycleObserver>())
        {
            try
            {
                await notify(observer, cancellationToken);
            }
#pragma warning disable CA1031 // an observer's failure must not undo a registration or promotion
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                ModelsLog.ObserverFailed(_logger, e, observer.GetType().Name);
            }
        }
    }

    private ProblemException Refuse(string source, string reason)
    {
        ModelsLog.Refused(_logger, source, reason);
        return new ProblemException(StatusCodes.Status400BadRequest, "Model refused", reason,
            new Dictionary<string, string[]> { ["model"] = [reason] });
    }

    private static ModelEntry Entry(string name, string version, string directory)
    {
        var manifest = ModelManifest.Read(Path.Combine(directory, ModelManifest.FileName));
        return new ModelEntry(
            new ModelDescriptor($"{name}@{version}", name, version, manifest.Kind, manifest.Sha256 ?? "", directory),
            manifest);
    }

    private string NextVersion(string name)
    {
        var folder = Path.Combine(Root, name);
        var max = 0;
        if (Directory.Exists(folder))
        {
            foreach (var d in Directory.EnumerateDirectories(folder))
            {
                if (int.TryParse(Path.GetFileName(d), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
                {
                    max = Math.Max(max, v);
                }
            }
        }

        return (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void CopyFolder(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith(".staging", StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static (int, string) VersionKey(string version) =>
        int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? (v, "") : (int.MaxValue, version);

    public static bool TrySplitId(string id, out string name, out string version)
    {
        var at = id.LastIndexOf('@');
        name = at > 0 ? id[..at] : "";
        version = at > 0 ? id[(at + 1)..] : "";
        return at > 0 && IsSafeSegment(name) && IsSafeSegment(version);
    }

    private static bool IsSafeSegment(string s) => s is not ("." or "..") && SafeSegment().IsMatch(s);

    private static string SanitizeName(string name)
    {
        var cleaned = UnsafeChars().Replace(name, "-").Trim('-', '.');
        return cleaned.Length == 0 ? "model" : cleaned;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex SafeSegment();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex UnsafeChars();

    public async ValueTask DisposeAsync()
    {
        var tasks = new List<Task>();
        if (Interlocked.Exchange(ref _active, null) is { } active)
        {
            tasks.Add(active.ReleaseAndWaitAsync());
        }

        lock (_loadedLock)
        {
            foreach (var m in _inactive.Values)
            {
                tasks.Add(m.ReleaseAndWaitAsync());
            }

            _inactive.Clear();
            _inactiveOrder.Clear();
        }

        await Task.WhenAll(tasks);
        _lifecycle.Dispose();
    }
}
