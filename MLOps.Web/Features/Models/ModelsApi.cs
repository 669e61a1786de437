using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

/// <summary>Logistic calibration of an embedding model, as the API shows it.</summary>
public sealed record CalibrationInfo(
    [property: JsonPropertyName("a")] double A,
    [property: JsonPropertyName("b")] double B,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("fitted_from")] string? FittedFrom);

/// <summary>One registered model version.</summary>
public sealed record ModelInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("previous")] bool Previous,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("pooling")] string? Pooling,
    [property: JsonPropertyName("max_tokens")] int MaxTokens,
    [property: JsonPropertyName("hypothesis_template")] string HypothesisTemplate,
    [property: JsonPropertyName("calibration")] CalibrationInfo? Calibration,
    [property: JsonPropertyName("created_at")] DateTimeOffset? CreatedAt,
    [property: JsonPropertyName("metrics")] JsonObject? Metrics,
    [property: JsonPropertyName("quantization")] QuantizationInfo? Quantization = null,
    [property: JsonPropertyName("training")] TrainingLineage? Training = null);

/// <summary>Registers a model folder the service can read.</summary>
public sealed record RegisterModelRequest([property: JsonPropertyName("path")] string? Path);

/// <summary>Why a version is promoted (recorded in the registry).</summary>
public sealed record PromoteModelRequest([property: JsonPropertyName("reason")] string? Reason);

/// <summary>Which version is active after a rollback, and which one it replaced.</summary>
public sealed record RollbackResponse(
    [property: JsonPropertyName("active")] string Active,
    [property: JsonPropertyName("previous")] string? Previous);

/// <summary>The API's view of the registry: every version with its manifest, flagged active or previous.</summary>
internal static class ModelInfos
{
    public static ModelInfo[] Describe(ModelStore store, string? active)
    {
        var previous = store.ReadState().Previous;
        return [.. store.ListEntries().Select(e => new ModelInfo(
            e.Descriptor.Id,
            e.Descriptor.Name,
            e.Descriptor.Version,
            e.Descriptor.Kind.ToString().ToLowerInvariant(),
            e.Descriptor.Id == active,
            e.Descriptor.Id == previous,
            e.Descriptor.Sha256,
            e.Manifest.Source,
            e.Descriptor.Kind == ModelKind.Embedding ? e.Manifest.Pooling.ToString().ToLowerInvariant() : null,
            e.Manifest.MaxTokens,
            e.Manifest.HypothesisTemplate,
            e.Manifest.Calibration is { } c ? new CalibrationInfo(c.A, c.B, c.Method, c.FittedFrom) : null,
            e.Manifest.CreatedAt,
            e.Manifest.Metrics,
            e.Manifest.Quantization,
            e.Manifest.Training))];
    }
}
