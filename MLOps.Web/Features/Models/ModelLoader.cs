using System.Diagnostics;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Features.Models;

/// <summary>Turns a version folder into a <see cref="LoadedModel"/>: the seam the cache loads through (tests slow it down or count it).</summary>
public interface IModelLoader
{
    /// <summary>
    /// Loads and smoke-tests a version; the result holds one reference, the caller's. Throws
    /// <see cref="ModelPackageException"/> with the reason when the folder cannot be served.
    /// </summary>
    Task<LoadedModel> LoadAsync(ModelEntry entry, CancellationToken cancellationToken);
}

/// <summary>Loads ONNX sessions with the configured threads and batching, on the thread pool.</summary>
public sealed class ModelLoader(IOptions<ModelsOptions> options, ILogger<ModelLoader> logger) : IModelLoader
{
    private readonly OnnxSessionSettings _onnx = options.Value.Session;
    private readonly BatchingSettings _batching = options.Value.Batching;

    public async Task<LoadedModel> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var model = await Task.Run(() => LoadedModel.Load(entry.Descriptor, entry.Manifest, _onnx, _batching), cancellationToken);
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
        ModelsLog.Loaded(logger, entry.Descriptor.Id, elapsed);
        return model;
    }
}
