using Google.Protobuf;
using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>
/// What a model must be for the rewrite to touch it: readable protobuf with a graph, a supported IR
/// version, an ai.onnx opset, not already quantized, weights embedded and of the size their shape
/// needs, and a graph in which every node reads only defined tensors. Each refusal says why.
/// </summary>
internal static class OnnxModelValidation
{
    private static readonly HashSet<string> QuantizedOps = new(StringComparer.Ordinal)
    {
        "MatMulInteger", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "QLinearConv",
        "ConvInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QAttention", "QGemm", "MatMulNBits",
        "DynamicQuantizeLSTM", "QEmbedLayerNormalization",
    };

    public static ModelProto Parse(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw new OnnxQuantizationException("The model is empty (0 bytes).");
        }

        ModelProto m;
        try
        {
            m = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxQuantizationException($"Not a readable ONNX model ({bytes.Length:N0} bytes): the protobuf is corrupt or truncated ({e.Message}).", e);
        }

        if (m.Graph is null || m.Graph.Node.Count == 0)
        {
            throw new OnnxQuantizationException($"Not an ONNX model: the {bytes.Length:N0} bytes parse as protobuf but hold no graph nodes.");
        }

        return m;
    }

    /// <summary>Checks the parts the rewrite relies on; returns the ai.onnx opset version.</summary>
    public static long ValidateStructure(ModelProto m)
    {
        if (m.IrVersion is < 3 or > 12)
        {
            throw new OnnxQuantizationException($"Unsupported ONNX IR version {m.IrVersion} (3..12 are supported); the file may be corrupt.");
        }

        var onnxOpset = m.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new OnnxQuantizationException("The model imports no ai.onnx opset; not a valid ONNX model.");
        var g = m.Graph;
        var already = g.Node.FirstOrDefault(n => QuantizedOps.Contains(n.OpType));
        if (already is not null)
        {
            throw new OnnxQuantizationException(
                $"The model is already quantized: node '{already.Name}' is {already.OpType}. Quantize the fp32 source instead.");
        }

        foreach (var t in g.Initializer)
        {
            CheckInitializer(t);
        }

        CheckTopology(g, "the source graph");
        return onnxOpset.Version;
    }

    /// <summary>Every node reads only graph inputs, initializers or outputs of earlier nodes; every graph output is produced.</summary>
    public static void CheckTopology(GraphProto g, string what)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal) { "" };
        defined.UnionWith(g.Input.Select(i => i.Name));
        defined.UnionWith(g.Initializer.Select(i => i.Name));
        defined.UnionWith(g.SparseInitializer.Select(i => i.Values.Name));
        foreach (var n in g.Node)
        {
            foreach (var input in n.Input)
            {
                if (!defined.Contains(input))
                {
                    throw new OnnxQuantizationException(
                        $"In {what}, node '{n.Name}' ({n.OpType}) reads '{input}', which no graph input, initializer or earlier node defines: the graph is broken or not topologically sorted.");
                }
            }

            defined.UnionWith(n.Output);
        }

        foreach (var o in g.Output)
        {
            if (!defined.Contains(o.Name))
            {
                throw new OnnxQuantizationException($"In {what}, graph output '{o.Name}' is produced by no node.");
            }
        }
    }

    private static void CheckInitializer(TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
        {
            throw new OnnxQuantizationException(
                $"Initializer '{t.Name}' keeps its data in an external file; external-data models are not supported (embed the weights first).");
        }

        if (t.Dims.Any(d => d < 0))
        {
            throw new OnnxQuantizationException($"Initializer '{t.Name}' has a negative dimension [{string.Join(",", t.Dims)}]: the model is corrupt.");
        }

        var size = ElementSize(t.DataType);
        if (size > 0 && !t.RawData.IsEmpty)
        {
            var expected = t.Dims.Aggregate(1L, (a, b) => a * b) * size;
            if (t.RawData.Length != expected)
            {
                throw new OnnxQuantizationException(
                    $"Initializer '{t.Name}' [{string.Join(",", t.Dims)}] has {t.RawData.Length:N0} bytes of data where its shape needs {expected:N0}: the model is corrupt or truncated.");
            }
        }
    }

    private static int ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 8,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
        _ => 0,
    };
}
