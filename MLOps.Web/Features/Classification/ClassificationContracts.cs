using System.Text.Json.Serialization;

namespace MLOps.Web.Features.Classification;

/// <summary>
/// Zero-shot request, as the Hugging Face pipeline takes it. <c>multi_class</c> is the pipeline's older
/// name for <c>multi_label</c> (the reference Python service sent it); both given and different is a 400.
/// </summary>
public sealed record ClassifyRequest(
    [property: JsonPropertyName("sequence")] string? Sequence,
    [property: JsonPropertyName("labels")] IReadOnlyList<string>? Labels,
    [property: JsonPropertyName("multi_label")] bool? MultiLabel = null,
    [property: JsonPropertyName("hypothesis_template")] string? HypothesisTemplate = null,
    [property: JsonPropertyName("model")] string? Model = null,
    [property: JsonPropertyName("multi_class")] bool? MultiClass = null);

/// <summary>Many sequences against one label set.</summary>
public sealed record ClassifyBatchRequest(
    [property: JsonPropertyName("sequences")] IReadOnlyList<string>? Sequences,
    [property: JsonPropertyName("labels")] IReadOnlyList<string>? Labels,
    [property: JsonPropertyName("multi_label")] bool? MultiLabel = null,
    [property: JsonPropertyName("hypothesis_template")] string? HypothesisTemplate = null,
    [property: JsonPropertyName("model")] string? Model = null,
    [property: JsonPropertyName("multi_class")] bool? MultiClass = null);

/// <summary>
/// The Hugging Face pipeline's answer (<c>sequence</c>, <c>labels</c> sorted by score descending,
/// <c>scores</c>), plus the model version and the mode it was scored in (<c>multi_label</c>: true
/// when asked for, and always with a single label).
/// </summary>
public sealed record ClassifyResponse(
    [property: JsonPropertyName("sequence")] string Sequence,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("scores")] IReadOnlyList<float> Scores,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("multi_label")] bool MultiLabel);

public sealed record ClassifyBatchResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("results")] IReadOnlyList<ClassifyResponse> Results);
