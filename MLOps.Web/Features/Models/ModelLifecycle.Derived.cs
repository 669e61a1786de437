using System.Diagnostics;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

/// <summary>Versions derived from a registered one: calibrated, quantized (int8) and trained, each a <see cref="StagedModel"/> published like any new version.</summary>
public sealed partial class ModelLifecycle
{
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
}
