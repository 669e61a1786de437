using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>
/// Dynamic int8 quantization of an ONNX model's weight MatMuls (and Gemms), as a graph rewrite on
/// the protobuf: model bytes in, model bytes out, plus a report of what was rewritten. No ONNX
/// Runtime dependency: the ONNX protobuf classes come from OnnxSharp (on Google.Protobuf).
/// <para>
/// A node is rewritten when its weight (MatMul input B, Gemm input B) is a constant 2-D float
/// initializer [K, N] that is not also a graph input (an input could be overridden at run time);
/// MatMuls of two activations (attention scores and context) stay fp32. Weights are quantized
/// offline, per output column (channel) or per tensor (<see cref="WeightQuantizer"/>);
/// activations are quantized at run time to uint8, per tensor, over [min(x, 0), max(x, 0)]
/// (DynamicQuantizeLinear semantics), so y = a_s * b_s[n] * sum_k (qa - a_zp)(qb[k, n] - b_zp[n]) (+ bias).
/// </para>
/// <para>
/// Refused with <see cref="OnnxQuantizationException"/> (<see cref="OnnxModelValidation"/>): empty,
/// truncated or non-ONNX bytes; weights in external data files; initializers whose data size does
/// not match their shape; a graph that reads undefined tensors; an already quantized model; NaN/Inf
/// weights; an opset too old for the chosen format; a model with nothing to quantize.
/// </para>
/// Pure and thread-safe (no I/O, no shared state).
/// </summary>
public static class OnnxDynamicQuantizer
{
    public const string Tool = "MLOps OnnxDynamicQuantizer 0.1";
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>Metadata keys written into the output model's metadata_props.</summary>
    public const string MetadataMethod = "mlops.quantization.method";
    public const string MetadataSourceSha256 = "mlops.quantization.source_sha256";
    public const string MetadataTool = "mlops.quantization.tool";
    public const string MetadataNodes = "mlops.quantization.nodes";

    public static QuantizationResult Quantize(byte[] model, QuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new QuantizationOptions();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this quantizer runs on little-endian hosts only.");
        }

        var sourceSha = Sha256(model);
        var m = OnnxModelValidation.Parse(model);
        var g = m.Graph;
        var before = CountOps(g);
        var defaultOpset = OnnxModelValidation.ValidateStructure(m);
        if (options.Format != QuantizedOperatorFormat.DynamicQuantizeMatMul && defaultOpset < 11)
        {
            throw new OnnxQuantizationException(
                $"The model imports ai.onnx opset {defaultOpset}; {options.Format} needs DynamicQuantizeLinear (opset 11 or later). " +
                "Use the DynamicQuantizeMatMul format or convert the model to opset 11+ first.");
        }

        var rewriter = Rewrite(m, options, defaultOpset);
        var method = options.Describe();
        SetMetadata(m, MetadataMethod, method);
        SetMetadata(m, MetadataSourceSha256, sourceSha);
        SetMetadata(m, MetadataTool, Tool);
        SetMetadata(m, MetadataNodes, rewriter.Quantized.Count.ToString(CultureInfo.InvariantCulture));

        // The output must itself pass the checks the input had to pass.
        OnnxModelValidation.CheckTopology(g, "the quantized graph (a bug in the rewrite)");
        var output = m.ToByteArray();
        var report = new QuantizationReport(
            method,
            Tool,
            sourceSha,
            Sha256(output),
            model.LongLength,
            output.LongLength,
            $"{m.ProducerName} {m.ProducerVersion}".Trim(),
            rewriter.Quantized,
            rewriter.Skipped,
            before,
            CountOps(g));
        return new QuantizationResult(output, report);
    }

    /// <summary>The MatMul/Gemm rewrite, then the opt-in fusions; refuses a model in which nothing could be quantized.</summary>
    private static GraphRewriter Rewrite(ModelProto m, QuantizationOptions options, long defaultOpset)
    {
        var g = m.Graph;
        var rewriter = new GraphRewriter(g, options, defaultOpset);
        rewriter.Run();
        if (rewriter.Quantized.Count == 0)
        {
            var why = rewriter.Skipped.Count == 0
                ? "it has no MatMul or Gemm node"
                : "no MatMul/Gemm has a constant 2-D float weight: " + string.Join("; ", rewriter.Skipped.Take(5).Select(s => $"{s.Node}: {s.Reason}"));
            throw new OnnxQuantizationException($"Nothing to quantize: {why}.");
        }

        var fused = (options.FuseSkipLayerNormalization ? SkipLayerNormFusion.Apply(g) : 0)
            + (options.FuseAttention && options.Format == QuantizedOperatorFormat.MatMulIntegerToFloat ? AttentionFusion.Apply(g) : 0);
        if (fused > 0)
        {
            DropUnreachable(g);
        }

        if ((options.Format != QuantizedOperatorFormat.MatMulInteger || fused > 0) && !m.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }

        return rewriter;
    }

    /// <summary>
    /// Removes what a fusion left unreachable: nodes none of whose outputs is read (repeatedly, as removing
    /// one can orphan its inputs' producers) and then initializers no node reads, so ONNX Runtime does not
    /// prune (and warn about) them at every load. Graph outputs count as read. Left alone when a node
    /// carries a subgraph, which may read an outer value by name.
    /// </summary>
    private static void DropUnreachable(GraphProto g)
    {
        if (g.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
        {
            return;
        }

        while (true)
        {
            var read = Read(g);
            var dead = g.Node.Where(n => !n.Output.Any(o => o.Length > 0 && read.Contains(o))).ToList();
            if (dead.Count == 0)
            {
                break;
            }

            dead.ForEach(n => g.Node.Remove(n));
        }

        var used = Read(g);
        g.Initializer.Where(i => !used.Contains(i.Name)).ToList().ForEach(i => g.Initializer.Remove(i));
    }

    private static HashSet<string> Read(GraphProto g) =>
        g.Node.SelectMany(n => n.Input).Concat(g.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static Dictionary<string, int> CountOps(GraphProto g) =>
        g.Node.GroupBy(n => string.IsNullOrEmpty(n.Domain) || n.Domain == "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}", StringComparer.Ordinal)
            .OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal)
            .ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal);

    private static void SetMetadata(ModelProto m, string key, string value)
    {
        var existing = m.MetadataProps.FirstOrDefault(p => p.Key == key);
        if (existing is null)
        {
            m.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        else
        {
            existing.Value = value;
        }
    }
}
