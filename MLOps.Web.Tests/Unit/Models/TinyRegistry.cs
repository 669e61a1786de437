using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Classification;

namespace MLOps.Web.Tests.Unit.Models;

/// <summary>A registry folder of tiny NLI versions (<c>tiny@1</c>, <c>tiny@2</c>, ...) and a store over it.</summary>
internal static class TinyRegistry
{
    public static async Task<ModelStore> CreateAsync(int versions)
    {
        var store = new ModelStore(TempDirectory.Create("tiny-registry"), NullLogger.Instance);
        for (var v = 1; v <= versions; v++)
        {
            await AddVersionAsync(store, "tiny", v.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return store;
    }

    public static async Task AddVersionAsync(ModelStore store, string name, string version)
    {
        var directory = store.VersionDirectory(name, version);
        new TinyNliModel().WriteTo(directory);
        var manifest = ModelManifest.FromDirectory(directory);
        manifest.Name = name;
        manifest.Version = version;
        manifest.Sha256 = await ModelManifest.Sha256Async(Path.Combine(directory, "model.onnx"), CancellationToken.None);
        await manifest.WriteAsync(directory, CancellationToken.None);
    }

    public static ModelLoader RealLoader() =>
        new(Options.Create(new ModelsOptions { IntraOpNumThreads = 1, BatchDelayMilliseconds = 0 }), NullLogger<ModelLoader>.Instance);
}

/// <summary>
/// A loader seam for the cache tests: counts loads per version, can hold a version's load at a gate
/// until the test opens it, fail a version's next load, and tells when a load has started and ended.
/// </summary>
internal sealed class ScriptedLoader(IModelLoader inner) : IModelLoader
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _entered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<LoadedModel>> _loaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _failNext = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Loads { get; } = new(StringComparer.Ordinal);

    /// <summary>Loads of <paramref name="id"/> wait until the returned gate is opened (<c>TrySetResult</c>).</summary>
    public TaskCompletionSource Hold(string id) => _gates.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public void FailNext(string id) => _failNext[id] = true;

    /// <summary>Completes when a load of <paramref name="id"/> has started.</summary>
    public Task Entered(string id) => Signal(_entered, id).Task;

    /// <summary>The model the first load of <paramref name="id"/> produced, once it has.</summary>
    public Task<LoadedModel> Loaded(string id) => _loaded.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public async Task<LoadedModel> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        var id = entry.Descriptor.Id;
        Loads.AddOrUpdate(id, 1, (_, n) => n + 1);
        Signal(_entered, id).TrySetResult();
        if (_gates.TryGetValue(id, out var gate))
        {
            await gate.Task;
        }

        if (_failNext.TryRemove(id, out _))
        {
            throw new ModelPackageException($"scripted failure of {id}");
        }

        var model = await inner.LoadAsync(entry, cancellationToken);
        _loaded.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(model);
        return model;
    }

    private static TaskCompletionSource Signal(ConcurrentDictionary<string, TaskCompletionSource> signals, string id) =>
        signals.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
}
