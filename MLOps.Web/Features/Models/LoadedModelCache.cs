using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// The versions in memory: the active slot plus an LRU of up to <see cref="ModelsOptions.MaxLoadedInactiveModels"/>
/// inactive versions, each a ref-counted <see cref="LoadedModel"/>. A slot owns one reference and every
/// lease another, so a promotion never unloads a session under a request in flight. A version not in
/// memory is loaded on the thread pool, outside any lock, once however many callers ask at the same
/// time (they all await the same load); a failed load is forgotten, so the next caller tries again.
/// </summary>
public sealed class LoadedModelCache : IScorerProvider, IAsyncDisposable
{
    private readonly ModelStore _store;
    private readonly IModelLoader _loader;
    private readonly ModelReadiness _readiness;
    private readonly int _maxInactive;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LoadedModel> _inactive = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _inactiveOrder = new();
    private readonly Dictionary<string, PendingLoad> _loading = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();
    private LoadedModel? _active;

    public LoadedModelCache(ModelStore store, IModelLoader loader, ModelReadiness readiness, IOptions<ModelsOptions> options)
        : this(store, loader, readiness, options.Value.MaxLoadedInactiveModels)
    {
    }

    public LoadedModelCache(ModelStore store, IModelLoader loader, ModelReadiness readiness, int maxLoadedInactiveModels)
    {
        _store = store;
        _loader = loader;
        _readiness = readiness;
        _maxInactive = maxLoadedInactiveModels;
    }

    public string? ActiveModelId => Volatile.Read(ref _active)?.Descriptor.Id;

    /// <summary>The active version in memory (for timings and diagnostics).</summary>
    public LoadedModel? ActiveModel => Volatile.Read(ref _active);

    public async ValueTask<ScorerLease> AcquireAsync(string? modelId, CancellationToken cancellationToken)
    {
        if (modelId is null)
        {
            return LeaseActive();
        }

        var model = TryReferenceLoaded(modelId) ?? await ReferenceAsync(_store.Get(modelId), cancellationToken);
        return new ScorerLease(model.Scorer, model.Release);
    }

    /// <summary>
    /// <paramref name="entry"/> in memory with one reference taken for the caller (release it, or hand
    /// it to <see cref="Activate"/>): the loaded session when there is one, else the one load of it in
    /// flight. Throws <see cref="ModelUnusableException"/> when the version cannot be loaded.
    /// </summary>
    public async Task<LoadedModel> ReferenceAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        var (loaded, pending) = ReferenceOrJoinLoad(entry);
        if (loaded is not null)
        {
            return loaded;
        }

        try
        {
            return await pending!.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Leave(pending!);
            throw;
        }
        catch (ModelPackageException e)
        {
            throw new ModelUnusableException($"Model {entry.Descriptor.Id} cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>
    /// Makes <paramref name="model"/> the active version; the caller's reference becomes the active
    /// slot's. The version it replaces moves to the LRU (its session lives on while leases hold it).
    /// Returns the replaced version, or null.
    /// </summary>
    public LoadedModel? Activate(LoadedModel model)
    {
        lock (_lock)
        {
            var id = model.Descriptor.Id;
            if (_inactive.Remove(id, out var kept))
            {
                _inactiveOrder.Remove(id);
                kept.Release(); // the LRU's reference; the caller's one now owns the slot
            }

            // The swap: new requests lease the new model from here on; leases on the old one keep it alive.
            var previous = Interlocked.Exchange(ref _active, model);
            if (previous is not null)
            {
                KeepInactive(previous);
            }

            return previous;
        }
    }

    private ScorerLease LeaseActive()
    {
        while (true)
        {
            var active = Volatile.Read(ref _active) ?? throw new ModelUnavailableException(_readiness.Status.Message);
            if (active.TryAddReference())
            {
                return new ScorerLease(active.Scorer, active.Release);
            }
            // swapped out and released in between: read the new active one
        }
    }

    private LoadedModel? TryReferenceLoaded(string id)
    {
        if (Volatile.Read(ref _active) is { } current && current.Descriptor.Id == id && current.TryAddReference())
        {
            return current;
        }

        lock (_lock)
        {
            return TryReferenceLoadedLocked(id);
        }
    }

    private LoadedModel? TryReferenceLoadedLocked(string id)
    {
        if (_active is { } current && current.Descriptor.Id == id && current.TryAddReference())
        {
            return current;
        }

        if (_inactive.TryGetValue(id, out var model) && model.TryAddReference())
        {
            Touch(id);
            return model;
        }

        return null;
    }

    /// <summary>
    /// Under the lock, so that a load publishing meanwhile is seen: a reference on the version in
    /// memory, else the load in flight joined (or started) with the caller counted as a waiter.
    /// </summary>
    private (LoadedModel? Loaded, PendingLoad? Pending) ReferenceOrJoinLoad(ModelEntry entry)
    {
        var id = entry.Descriptor.Id;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
            if (TryReferenceLoadedLocked(id) is { } loaded)
            {
                return (loaded, null);
            }

            if (!_loading.TryGetValue(id, out var pending))
            {
                pending = new PendingLoad();
                _loading[id] = pending;
                pending.Task = Task.Run(() => LoadAndPublishAsync(entry, pending));
            }

            pending.Waiters++;
            return (null, pending);
        }
    }

    /// <summary>A caller gave up waiting: it no longer needs a reference, or gives back the one taken for it.</summary>
    private void Leave(PendingLoad pending)
    {
        LoadedModel? reserved;
        lock (_lock)
        {
            reserved = pending.Model;
            if (reserved is null)
            {
                pending.Waiters--;
            }
        }

        reserved?.Release();
    }

    /// <summary>
    /// The one load of a version: outside the lock, then published under it with one reference per
    /// waiter taken before the LRU may evict it. A failure leaves nothing behind.
    /// </summary>
    private async Task<LoadedModel> LoadAndPublishAsync(ModelEntry entry, PendingLoad pending)
    {
        var id = entry.Descriptor.Id;
        LoadedModel model;
        try
        {
            model = await _loader.LoadAsync(entry, _disposing.Token);
        }
        catch
        {
            lock (_lock)
            {
                _loading.Remove(id);
            }

            throw;
        }

        lock (_lock)
        {
            _loading.Remove(id);
            pending.Model = model;
            for (var i = 0; i < pending.Waiters; i++)
            {
                model.TryAddReference(); // the load's own reference is still held: this cannot fail
            }

            KeepInactive(model); // the load's reference becomes the LRU's
        }

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
        while (_inactive.Count > _maxInactive && _inactiveOrder.Last is { } last)
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

    public async ValueTask DisposeAsync()
    {
        Task[] loads;
        lock (_lock)
        {
            if (_disposing.IsCancellationRequested)
            {
                return;
            }

            _disposing.Cancel();
            loads = [.. _loading.Values.Select(p => p.Task)];
        }

        // loads in flight stop at their next cancellation check; one that finishes lands in the LRU, released below
        await Task.WhenAll(loads).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var releases = new List<Task>();
        lock (_lock)
        {
            if (Interlocked.Exchange(ref _active, null) is { } active)
            {
                releases.Add(active.ReleaseAndWaitAsync());
            }

            releases.AddRange(_inactive.Values.Select(m => m.ReleaseAndWaitAsync()));
            _inactive.Clear();
            _inactiveOrder.Clear();
        }

        await Task.WhenAll(releases);
        _disposing.Dispose();
    }

    /// <summary>One load in flight and the callers waiting for it (both guarded by the cache's lock).</summary>
    private sealed class PendingLoad
    {
        public Task<LoadedModel> Task { get; set; } = null!;

        public int Waiters { get; set; }

        /// <summary>Set when the load is published, with one reference taken for each waiter.</summary>
        public LoadedModel? Model { get; set; }
    }
}
