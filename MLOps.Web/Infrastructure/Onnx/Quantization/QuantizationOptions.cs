namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>Which nodes the rewrite emits for one quantized MatMul / Gemm.</summary>
public enum QuantizedOperatorFormat
{
    /// <summary>
    /// com.microsoft <c>DynamicQuantizeMatMul(A, B_q, b_scale, b_zero_point, bias)</c>: one contrib node
    /// that quantizes A on the fly (uint8, per tensor) and returns float. A following bias
    /// <c>Add</c> is folded into it. Needs ONNX Runtime (contrib domain).
    /// </summary>
    DynamicQuantizeMatMul,

    /// <summary>
    /// What onnxruntime.quantization.quantize_dynamic emits (QOperator format): standard-domain
    /// <c>DynamicQuantizeLinear</c> (shared by all MatMuls reading the same activation),
    /// <c>MatMulInteger</c>, <c>Cast</c> to float and <c>Mul</c> by <c>a_scale * b_scale</c>.
    /// Standard ONNX ops only (opset 11+); ONNX Runtime fuses the chain into
    /// <c>DynamicQuantizeMatMul</c>/<c>MatMulIntegerToFloat</c> at ORT_ENABLE_EXTENDED and above.
    /// </summary>
    MatMulInteger,

    /// <summary>
    /// Standard <c>DynamicQuantizeLinear</c> (shared per activation) followed by com.microsoft
    /// <c>MatMulIntegerToFloat(A_q, B_q, a_scale, b_scale, a_zp, b_zp, bias)</c>, bias folded.
    /// </summary>
    MatMulIntegerToFloat,
}

/// <summary>Weight encoding.</summary>
public enum WeightEncoding
{
    /// <summary>int8, symmetric (zero point 0), range [-127, 127]: scale = max|w| / 127.</summary>
    Int8Symmetric,

    /// <summary>uint8, asymmetric over [min(w, 0), max(w, 0)]: scale = (max - min) / 255, zero point = round(-min / scale).</summary>
    UInt8Asymmetric,
}

/// <summary>How the weights are quantized and which nodes are rewritten.</summary>
public sealed record QuantizationOptions
{
    public QuantizedOperatorFormat Format { get; init; } = QuantizedOperatorFormat.MatMulIntegerToFloat;

    public WeightEncoding Weights { get; init; } = WeightEncoding.Int8Symmetric;

    /// <summary>One scale (and zero point) per output column N of the [K, N] weight; false: one per tensor.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Rewrite <c>Gemm</c> nodes with a constant B (transA = 0) too.</summary>
    public bool IncludeGemm { get; init; } = true;

    /// <summary>Fold a following <c>Add</c> of a constant 1-D bias of length N into the contrib node (contrib formats only).</summary>
    public bool FoldBias { get; init; } = true;

    /// <summary>
    /// Contrib formats, per channel: MatMuls that read the same activation (attention Q, K and V) are
    /// merged into one node over the concatenated [K, N1 + N2 + N3] weight, followed by a Split.
    /// Per-column scales make this exact (same numbers as separate nodes); fewer, larger GEMMs.
    /// </summary>
    public bool MergeSharedInputMatMuls { get; init; } = true;

    /// <summary>
    /// Also replace each residual Add + written-out layer normalisation with one com.microsoft
    /// SkipLayerNormalization (<see cref="SkipLayerNormFusion"/>); ONNX Runtime's session optimiser
    /// does not form it for PyTorch exports of BERT encoders.
    /// </summary>
    public bool FuseSkipLayerNormalization { get; init; }

    /// <summary>
    /// Also replace each self-attention block (merged Q/K/V GEMM, heads, scaled scores, mask, softmax,
    /// context) with one com.microsoft QAttention (<see cref="AttentionFusion"/>); needs the
    /// MatMulIntegerToFloat format with the Q/K/V merge and an <c>attention_mask</c> input.
    /// </summary>
    public bool FuseAttention { get; init; }

    /// <summary>Weights with fewer elements than this stay fp32 (tiny MatMuls gain nothing).</summary>
    public long MinimumWeightElements { get; init; } = 16 * 16;

    /// <summary>Node names left in fp32 (e.g. a sensitive output projection).</summary>
    public IReadOnlySet<string> ExcludedNodes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Short method string recorded in the output model's metadata and the report.</summary>
    public string Describe() =>
        $"dynamic int8: {Format}, weights {(Weights == WeightEncoding.Int8Symmetric ? "int8 symmetric" : "uint8 asymmetric")} " +
        $"{(PerChannel ? "per output channel" : "per tensor")}, activations uint8 asymmetric per tensor (computed at run time)" +
        $"{(IncludeGemm ? ", Gemm included" : "")}" +
        $"{(MergeSharedInputMatMuls && PerChannel && Format != QuantizedOperatorFormat.MatMulInteger ? ", shared-input MatMuls (Q/K/V) merged" : "")}" +
        $"{(FuseSkipLayerNormalization ? ", residual Add + LayerNorm fused into SkipLayerNormalization" : "")}" +
        $"{(FuseAttention ? ", self-attention fused into QAttention" : "")}";
}
