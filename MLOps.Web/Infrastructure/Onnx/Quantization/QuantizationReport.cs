namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>The source model cannot be quantized; the message says why (corrupt, unsupported, nothing to do).</summary>
public sealed class OnnxQuantizationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One MatMul/Gemm that now runs in int8.</summary>
/// <param name="Node">Name of the source node (or a generated name when it had none).</param>
/// <param name="OpType">MatMul or Gemm.</param>
/// <param name="Weight">Initializer that held the fp32 weight.</param>
/// <param name="K">Rows of the [K, N] weight (input features).</param>
/// <param name="N">Columns (output features, the channel axis).</param>
/// <param name="BiasFolded">A following bias Add (or Gemm's C) went into the quantized node.</param>
/// <param name="RelativeError">||W - dequant(quant(W))|| / ||W|| of this weight (Frobenius).</param>
public sealed record QuantizedNode(string Node, string OpType, string Weight, int K, int N, bool BiasFolded, double RelativeError);

/// <summary>A MatMul/Gemm left in fp32, and why (activation x activation, non-constant weight, excluded, ...).</summary>
public sealed record SkippedNode(string Node, string OpType, string Reason);

/// <summary>What the rewrite did. Recorded next to the int8 model (and its key facts in the model's metadata_props).</summary>
public sealed record QuantizationReport(
    string Method,
    string Tool,
    string SourceSha256,
    string OutputSha256,
    long SourceBytes,
    long OutputBytes,
    string SourceProducer,
    IReadOnlyList<QuantizedNode> Quantized,
    IReadOnlyList<SkippedNode> Skipped,
    IReadOnlyDictionary<string, int> OperatorsBefore,
    IReadOnlyDictionary<string, int> OperatorsAfter);

/// <summary>The int8 model bytes and what was done to make them.</summary>
public sealed record QuantizationResult(byte[] Model, QuantizationReport Report);
