using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

/// <summary>How an int8 version was made (<c>quantization</c> in <c>mlops-model.json</c>); the new file's sha256 is the manifest's own.</summary>
/// <param name="SourceModel">The version it was quantized from (<c>name@version</c>).</param>
/// <param name="SourceSha256">sha256 of that version's model.onnx.</param>
/// <param name="Method">The rewrite (weights, granularity, operators), as <c>OnnxDynamicQuantizer</c> describes it.</param>
/// <param name="Tool">The quantizer and its version.</param>
/// <param name="QuantizedNodes">MatMul/Gemm nodes now in int8 (merged Q/K/V count once).</param>
/// <param name="Fp32Nodes">MatMul/Gemm nodes left in fp32 (activation x activation), listed in quantization.json.</param>
/// <param name="SourceBytes">Size of the source model.onnx.</param>
/// <param name="Bytes">Size of the int8 model.onnx.</param>
/// <param name="CheckMinCosine">Lowest cosine of int8 to fp32 embeddings over the check sentences (null: not checked, e.g. at materialisation).</param>
public sealed record QuantizationInfo(
    [property: JsonPropertyName("source_model")] string SourceModel,
    [property: JsonPropertyName("source_sha256")] string SourceSha256,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("tool")] string Tool,
    [property: JsonPropertyName("quantized_nodes")] int QuantizedNodes,
    [property: JsonPropertyName("fp32_nodes")] int Fp32Nodes,
    [property: JsonPropertyName("source_bytes")] long SourceBytes,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("check_min_cosine")] double? CheckMinCosine = null);

/// <summary>
/// <c>mlops-model.json</c>: what the service needs to know to serve a model folder. Written for every
/// version in the registry; a folder registered without one gets it generated from the Hugging Face
/// <c>config.json</c>.
/// </summary>
public sealed class ModelManifest
{
    public const string FileName = "mlops-model.json";
    public const string DefaultTemplate = "This example is {}.";

    public string? Name { get; set; }

    public string? Version { get; set; }

    public ModelKind Kind { get; set; } = ModelKind.Embedding;

    public Pooling Pooling { get; set; } = Pooling.Mean;

    public int MaxTokens { get; set; } = 512;

    /// <summary>NLI: class name -> logit index (from the model's config.json).</summary>
    [JsonPropertyName("label2id")]
    public Dictionary<string, int>? Label2Id { get; set; }

    public string HypothesisTemplate { get; set; } = DefaultTemplate;

    /// <summary>Embedding: text put before each hypothesis (the model's query instruction), e.g. arctic-embed's.</summary>
    public string? QueryPrefix { get; set; }

    /// <summary>wordpiece | bpe | sentencepiece; null picks by the files present.</summary>
    public string? Tokenizer { get; set; }

    /// <summary>WordPiece: lower-case (and strip accents) before tokenising. Default true.</summary>
    public bool? Lowercase { get; set; }

    /// <summary>Name of the model output to read; null picks last_hidden_state / logits.</summary>
    public string? Output { get; set; }

    /// <summary>Embedding: cosine -> [0,1].</summary>
    public Calibration? Calibration { get; set; }

    public string? Source { get; set; }

    /// <summary>An int8 version: which version it was quantized from, how, and what the check measured (null for fp32 models).</summary>
    public QuantizationInfo? Quantization { get; set; }

    /// <summary>A trained version: its lineage (base, data, hyperparameters, held-back metrics); its learned fusion is <c>fusion.json</c> beside the manifest.</summary>
    public TrainingLineage? Training { get; set; }

    public string? Sha256 { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>Free-form figures other features record (evaluation).</summary>
    public JsonObject? Metrics { get; set; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public ModelManifest Clone() =>
        JsonSerializer.Deserialize<ModelManifest>(JsonSerializer.Serialize(this, Json), Json)!;

    public static ModelManifest Read(string path)
    {
        try
        {
            using var s = File.OpenRead(path);
            return JsonSerializer.Deserialize<ModelManifest>(s, Json)
                ?? throw new ModelPackageException($"{FileName} is empty.");
        }
        catch (JsonException e)
        {
            throw new ModelPackageException($"{FileName} is not valid: {e.Message}", e);
        }
    }

    public async Task WriteAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, FileName);
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(tmp, JsonSerializer.Serialize(this, Json), cancellationToken);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// The manifest of a folder: its <c>mlops-model.json</c>, else one derived from the Hugging Face
    /// <c>config.json</c> (a <c>*ForSequenceClassification</c> architecture with label ids is <c>nli</c>,
    /// anything else <c>embedding</c>; a sentence-transformers <c>1_Pooling/config.json</c> sets the pooling).
    /// </summary>
    public static ModelManifest FromDirectory(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "model.onnx")))
        {
            throw new ModelPackageException("Missing model file 'model.onnx'.");
        }

        var manifestPath = Path.Combine(directory, FileName);
        var manifest = File.Exists(manifestPath) ? Read(manifestPath) : null;
        var configPath = Path.Combine(directory, "config.json");
        JsonObject? config = null;
        if (File.Exists(configPath))
        {
            try
            {
                config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject;
            }
            catch (JsonException e)
            {
                throw new ModelPackageException($"config.json is not valid JSON: {e.Message}", e);
            }
        }

        if (manifest is null && config is null)
        {
            throw new ModelPackageException($"Missing manifest: the folder needs {FileName} or a Hugging Face config.json.");
        }

        manifest ??= FromHuggingFaceConfig(directory, config!);
        if (manifest.Kind == ModelKind.Nli && manifest.Label2Id is null && config is not null)
        {
            manifest.Label2Id = LabelIds(config);
        }

        return manifest;
    }

    private static ModelManifest FromHuggingFaceConfig(string directory, JsonObject config)
    {
        var architectures = config["architectures"] is JsonArray a ? a.Select(x => x?.GetValue<string>() ?? "").ToList() : [];
        var labels = LabelIds(config);
        var nli = architectures.Exists(x => x.EndsWith("ForSequenceClassification", StringComparison.Ordinal)) && labels is not null;
        var manifest = new ModelManifest
        {
            Name = (config["_name_or_path"]?.GetValue<string>() is { Length: > 0 } n ? n.Split('/', '\\')[^1] : null),
            Kind = nli ? ModelKind.Nli : ModelKind.Embedding,
            Label2Id = nli ? labels : null,
            Source = "huggingface config.json",
        };

        var maxPositions = config["max_position_embeddings"]?.GetValue<int>() ?? 512;
        manifest.MaxTokens = Math.Min(512, maxPositions > 514 ? 512 : maxPositions - (config["model_type"]?.GetValue<string>() is "roberta" or "xlm-roberta" ? 2 : 0));
        var tokenizerConfig = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig) && JsonNode.Parse(File.ReadAllText(tokenizerConfig)) is JsonObject tc)
        {
            if (tc["model_max_length"] is JsonValue v && v.TryGetValue<double>(out var max) && max is > 0 and < 100_000)
            {
                manifest.MaxTokens = Math.Min(manifest.MaxTokens, (int)max);
            }

            if (tc["do_lower_case"] is JsonValue lc && lc.TryGetValue<bool>(out var lower))
            {
                manifest.Lowercase = lower;
            }
        }

        var pooling = Path.Combine(directory, "1_Pooling", "config.json");
        if (File.Exists(pooling) && JsonNode.Parse(File.ReadAllText(pooling)) is JsonObject pc
            && pc["pooling_mode_cls_token"]?.GetValue<bool>() == true)
        {
            manifest.Pooling = Pooling.Cls;
        }

        if (manifest.Kind == ModelKind.Embedding)
        {
            manifest.Calibration = new Calibration(10, -3, FittedFrom: "default");
        }

        return manifest;
    }

    private static Dictionary<string, int>? LabelIds(JsonObject config)
    {
        if (config["label2id"] is JsonObject l2i && l2i.Count > 0)
        {
            return l2i.ToDictionary(p => p.Key, p => p.Value!.GetValue<int>(), StringComparer.OrdinalIgnoreCase);
        }

        if (config["id2label"] is JsonObject i2l && i2l.Count > 0)
        {
            return i2l.ToDictionary(p => p.Value!.GetValue<string>(), p => int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        }

        return null;
    }

    /// <summary>Entailment and contradiction logit indexes, found case-insensitively in <see cref="Label2Id"/>.</summary>
    public (int Entailment, int Contradiction) NliLabelIds()
    {
        if (Label2Id is not { Count: >= 2 } labels)
        {
            throw new ModelPackageException("An nli model needs label2id (or id2label) with at least entailment and contradiction.");
        }

        int? Find(params string[] prefixes) =>
            labels.Where(l => prefixes.Any(p => l.Key.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
                .Select(l => (int?)l.Value).FirstOrDefault();

        var entail = Find("entail") ?? throw new ModelPackageException(
            $"label2id has no entailment label (labels: {string.Join(", ", labels.Keys)}).");
        var contra = Find("contradict", "not_entail", "not entail", "non_entail", "non-entail") ?? throw new ModelPackageException(
            $"label2id has no contradiction label (labels: {string.Join(", ", labels.Keys)}).");
        return (entail, contra);
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var hash = await SHA256.HashDataAsync(s, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }
}
