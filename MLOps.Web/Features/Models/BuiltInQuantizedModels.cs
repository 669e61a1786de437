using System.Diagnostics;
using System.Text.Json;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Infrastructure.Onnx.Quantization;

namespace MLOps.Web.Features.Models;

/// <summary>
/// Writes the int8 copy of a materialised built-in model as its own version,
/// <c>&lt;registry&gt;/&lt;name&gt;-int8/1/</c> (model.onnx, vocab.txt, mlops-model.json, quantization.json),
/// right after the fp32 one (<c>Models:MaterializeQuantized</c>). Skipped when the folder is complete,
/// its model.onnx has the manifest's sha256 and the manifest names the fp32 file's sha256 and this
/// build's method; rebuilt otherwise. The folder is assembled in a staging folder and moved into
/// place. With a cache folder the quantization runs once per source file and the result is linked.
/// </summary>
public sealed class BuiltInQuantizedMaterializer(string registryRoot, string? cacheDirectory, TimeProvider time, ILogger logger)
{
    public async Task MaterializeAsync(BuiltInModel model, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var sourceDir = Path.Combine(registryRoot, model.Name, BuiltInModel.Version);
        var source = ModelManifest.Read(Path.Combine(sourceDir, ModelManifest.FileName));
        var sourceSha = source.Sha256 ?? throw new ModelPackageException($"{model.Id} has no sha256 in its manifest.");
        var name = ModelQuantization.QuantizedName(model.Name);
        var id = ModelStore.Id(name, BuiltInModel.Version);
        var target = Path.Combine(registryRoot, name, BuiltInModel.Version);
        if (await CompleteManifestAsync(target, sourceSha, cancellationToken) is { } existing)
        {
            await RefreshManifestAsync(source, existing, target, cancellationToken);
            ModelsLog.AlreadyPresent(logger, id);
            return;
        }

        var staging = Path.Combine(registryRoot, $".staging-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var report = await WriteModelAsync(model, Path.Combine(sourceDir, StagedModel.ModelFile), sourceSha, staging, cancellationToken);
            File.Copy(Path.Combine(sourceDir, "vocab.txt"), Path.Combine(staging, "vocab.txt"));
            var manifest = Derive(source, model.Id, report, null);
            manifest.Sha256 = await ModelManifest.Sha256Async(Path.Combine(staging, StagedModel.ModelFile), cancellationToken);
            await manifest.WriteAsync(staging, cancellationToken);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(staging, target);
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            ModelsLog.Materialized(logger, id, elapsed);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The fp32 manifest's settings (pooling, calibration, ...) with the int8 name, source and quantization block.</summary>
    private ModelManifest Derive(ModelManifest source, string sourceId, QuantizationReport report, ModelManifest? existing)
    {
        var manifest = source.Clone();
        ModelQuantization.Describe(manifest, sourceId, report, existing?.CreatedAt ?? time.GetUtcNow());
        manifest.Name = ModelQuantization.QuantizedName(source.Name ?? sourceId.Split('@')[0]);
        manifest.Version = BuiltInModel.Version;
        manifest.Sha256 = existing?.Sha256;
        manifest.Metrics = existing?.Metrics;
        return manifest;
    }

    /// <summary>Same int8 weights; rewrites the manifest when the fp32 one's settings changed (e.g. a new calibration default).</summary>
    private static async Task RefreshManifestAsync(ModelManifest source, ModelManifest existing, string target, CancellationToken cancellationToken)
    {
        var expected = source.Clone();
        expected.Name = existing.Name;
        expected.Version = existing.Version;
        expected.Source = existing.Source;
        expected.Quantization = existing.Quantization;
        expected.Sha256 = existing.Sha256;
        expected.CreatedAt = existing.CreatedAt;
        expected.Metrics = existing.Metrics;
        if (JsonSerializer.Serialize(expected, ModelManifest.Json) != JsonSerializer.Serialize(existing, ModelManifest.Json))
        {
            await expected.WriteAsync(target, cancellationToken);
        }
    }

    /// <summary>model.onnx and quantization.json in <paramref name="staging"/>: quantized here, or linked from the cache (quantized there once).</summary>
    private async Task<QuantizationReport> WriteModelAsync(BuiltInModel model, string sourceModel, string sourceSha, string staging, CancellationToken cancellationToken)
    {
        var folder = staging;
        if (cacheDirectory is { Length: > 0 })
        {
            // Keyed by the source file and the quantizer: a new model or a new rewrite gets a new folder.
            var tool = OnnxDynamicQuantizer.Sha256(System.Text.Encoding.UTF8.GetBytes(OnnxDynamicQuantizer.Tool))[..8];
            folder = Path.Combine(cacheDirectory, $"{ModelQuantization.QuantizedName(model.Name)}-{sourceSha[..16]}-{tool}");
            if (!File.Exists(Path.Combine(folder, ".complete")))
            {
                Directory.CreateDirectory(folder);
                await QuantizeIntoAsync(model, sourceModel, folder, cancellationToken);
                await File.WriteAllTextAsync(Path.Combine(folder, ".complete"), time.GetUtcNow().ToString("O"), cancellationToken);
            }

            File.CreateSymbolicLink(Path.Combine(staging, StagedModel.ModelFile), Path.Combine(folder, StagedModel.ModelFile));
            File.Copy(Path.Combine(folder, ModelQuantization.ReportFile), Path.Combine(staging, ModelQuantization.ReportFile));
        }
        else
        {
            await QuantizeIntoAsync(model, sourceModel, folder, cancellationToken);
        }

        await using var report = File.OpenRead(Path.Combine(staging, ModelQuantization.ReportFile));
        return await JsonSerializer.DeserializeAsync<QuantizationReport>(report, ModelQuantization.ReportJsonOptions, cancellationToken)
            ?? throw new ModelPackageException($"{ModelQuantization.ReportFile} of {model.Id}'s int8 copy is empty.");
    }

    private static async Task QuantizeIntoAsync(BuiltInModel model, string sourceModel, string folder, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(sourceModel, cancellationToken);
        var result = await Task.Run(() => ModelQuantization.Quantize(bytes, model.Id), cancellationToken);
        await WriteAtomicAsync(Path.Combine(folder, StagedModel.ModelFile), result.Model, cancellationToken);
        await WriteAtomicAsync(Path.Combine(folder, ModelQuantization.ReportFile), ModelQuantization.ReportJson(result.Report), cancellationToken);
    }

    private static async Task WriteAtomicAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var tmp = $"{path}.tmp-{Guid.NewGuid():N}";
        await File.WriteAllBytesAsync(tmp, content, cancellationToken);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The manifest of a complete int8 folder made from <paramref name="sourceSha256"/> by this build's method, whose model.onnx matches its sha256; else null.</summary>
    private static async Task<ModelManifest?> CompleteManifestAsync(string target, string sourceSha256, CancellationToken cancellationToken)
    {
        var manifestPath = Path.Combine(target, ModelManifest.FileName);
        var model = Path.Combine(target, StagedModel.ModelFile);
        if (!File.Exists(manifestPath) || !File.Exists(model) || !File.Exists(Path.Combine(target, "vocab.txt")))
        {
            return null;
        }

        try
        {
            var manifest = ModelManifest.Read(manifestPath);
            return ModelQuantization.IsCurrentCopyOf(manifest, sourceSha256) && manifest.Sha256 is { } sha
                && string.Equals(sha, await ModelManifest.Sha256Async(model, cancellationToken), StringComparison.OrdinalIgnoreCase)
                ? manifest
                : null;
        }
        catch (Exception e) when (e is ModelPackageException or IOException)
        {
            return null;
        }
    }
}
