using System.Numerics.Tensors;
using System.Text.Json;
using MLOps.Web.Infrastructure.Onnx.Quantization;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// What an int8 version is in the registry: its name (<c>&lt;source name&gt;-int8</c>, numbered on
/// its own), its <c>model.onnx</c> (<see cref="OnnxDynamicQuantizer"/> with its default method), its
/// manifest (the source's settings, plus <see cref="QuantizationInfo"/>), the full report in
/// <c>quantization.json</c>, and the check that its embeddings stay close to the source's.
/// </summary>
public static class ModelQuantization
{
    /// <summary>
    /// int8 versions live under their own name, so version numbers keep meaning "same weights, other
    /// settings" (a calibration is <c>@2</c>), and a name alone (KServe, <c>model</c> in requests)
    /// never resolves to an int8 copy by being the latest version.
    /// </summary>
    public const string NameSuffix = "-int8";

    /// <summary>The rewrite's full report (every node quantized or left fp32, with the reason), next to the model.</summary>
    public const string ReportFile = "quantization.json";

    /// <summary>int8 embeddings must keep at least this cosine to the source's on every check sentence.</summary>
    public const double MinimumCosine = 0.98;

    /// <summary>The check sentences: plot lines, a hypothesis, a pangram (cosine 0.988-0.995 for MiniLM, docs/benchmarks.md).</summary>
    public static readonly IReadOnlyList<string> CheckSentences =
    [
        "A father hunts for a sold-out toy for his son on Christmas Eve.",
        "A clownfish is lost in the ocean.",
        "Cartoon characters play basketball against aliens.",
        "This example is heist.",
        "Two rival magicians in Victorian London become obsessed with outdoing each other.",
        "A retired boxer returns to the ring for one last fight.",
        "The quick brown fox jumps over the lazy dog.",
        "A crew of astronauts is stranded on a hostile planet after their ship crashes.",
    ];

    private static readonly string Method = new QuantizationOptions().Describe();

    public static string QuantizedName(string sourceName) => sourceName + NameSuffix;

    /// <summary>True when <paramref name="manifest"/> describes the int8 copy this build would make of a source with <paramref name="sourceSha256"/>.</summary>
    public static bool IsCurrentCopyOf(ModelManifest manifest, string sourceSha256) =>
        manifest.Quantization is { } q
        && string.Equals(q.SourceSha256, sourceSha256, StringComparison.OrdinalIgnoreCase)
        && q.Method == Method
        && q.Tool == OnnxDynamicQuantizer.Tool;

    /// <summary>The int8 model of <paramref name="sourceId"/>'s bytes; a model the rewrite cannot take is refused (400) with the rewrite's reason.</summary>
    public static QuantizationResult Quantize(byte[] model, string sourceId)
    {
        try
        {
            return OnnxDynamicQuantizer.Quantize(model);
        }
        catch (OnnxQuantizationException e)
        {
            throw new InvalidModelPackageException($"{sourceId} cannot be quantized: {e.Message}", "id");
        }
    }

    /// <summary>The source's manifest turned into the int8 version's: source, quantization block, creation time.</summary>
    public static void Describe(ModelManifest manifest, string sourceId, QuantizationReport report, DateTimeOffset now, double? checkMinCosine = null)
    {
        manifest.Source = $"{sourceId} quantized to int8 ({report.Method})";
        manifest.Quantization = new QuantizationInfo(
            sourceId,
            report.SourceSha256,
            report.Method,
            report.Tool,
            report.Quantized.Count,
            report.Skipped.Count,
            report.SourceBytes,
            report.OutputBytes,
            checkMinCosine);
        manifest.Metrics = null;
        manifest.CreatedAt = now;
    }

    /// <summary>How quantization.json is written and read (a weight shared by two nodes reports its error once, as NaN on the second).</summary>
    public static JsonSerializerOptions ReportJsonOptions { get; } = new(ModelManifest.Json)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static byte[] ReportJson(QuantizationReport report) => JsonSerializer.SerializeToUtf8Bytes(report, ReportJsonOptions);

    /// <summary>
    /// Embeds <see cref="CheckSentences"/> with both versions and returns the lowest cosine; refuses
    /// the int8 version (400) when one falls below <see cref="MinimumCosine"/>.
    /// </summary>
    public static async Task<double> CheckAsync(IEmbeddingScorer source, IEmbeddingScorer quantized, string sourceId, CancellationToken cancellationToken)
    {
        var expected = await source.EmbedAsync(CheckSentences, cancellationToken);
        var actual = await quantized.EmbedAsync(CheckSentences, cancellationToken);
        var cosines = expected.Zip(actual, (e, a) => (double)TensorPrimitives.CosineSimilarity(e, a)).ToArray();
        var worst = Array.IndexOf(cosines, cosines.Min());
        if (!(cosines[worst] >= MinimumCosine))
        {
            throw new InvalidModelPackageException(
                $"The int8 copy of {sourceId} is too far from it: cosine {cosines[worst]:F4} to the fp32 embedding of '{CheckSentences[worst]}' (at least {MinimumCosine} is required).", "id");
        }

        return cosines[worst];
    }
}
