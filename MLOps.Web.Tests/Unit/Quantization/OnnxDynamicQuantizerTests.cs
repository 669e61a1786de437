using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MLOps.Web.Infrastructure.Onnx.Quantization;
using Onnx;

namespace MLOps.Web.Tests.Unit.Quantization;

/// <summary>
/// The int8 graph rewrite on a small synthetic model built here (no model file, no shared data), run
/// in ONNX Runtime against its fp32 source:
/// X[b, s, 64] -> MatMul(Wq) + bq, MatMul(Wk) + bk (same input: merged), MatMul(Wo) of their sum + bo,
/// plus a MatMul of two activations that must stay fp32, and a Gemm (transB) on a 2-D input.
/// </summary>
public sealed class OnnxDynamicQuantizerTests
{
    private const int K = 64;
    private const int N = 48;

    private static TensorProto Floats(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static float[] Random(int n, int seed, float scale = 0.1f)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2) - 1) * scale)];
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + output };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    internal static byte[] SyntheticModel(long opset = 13)
    {
        var g = new GraphProto { Name = "synthetic" };
        g.Input.Add(Value("x", "b", "s", K));
        g.Input.Add(Value("z", "m", K));
        g.Output.Add(Value("y", "b", "s", N));
        g.Output.Add(Value("scores", "b", "s", "s"));
        g.Output.Add(Value("g", "m", N));
        g.Initializer.Add(Floats("wq", Random(K * N, 1), K, N));
        g.Initializer.Add(Floats("wk", Random(K * N, 2), K, N));
        g.Initializer.Add(Floats("bq", Random(N, 3), N));
        g.Initializer.Add(Floats("bk", Random(N, 4), N));
        g.Initializer.Add(Floats("wo", Random(N * N, 5), N, N));
        g.Initializer.Add(Floats("bo", Random(N, 6), N));
        g.Initializer.Add(Floats("wg", Random(N * K, 7), N, K)); // Gemm B with transB = 1: [N, K]
        g.Initializer.Add(Floats("cg", Random(N, 8), N));
        g.Node.Add(Node("MatMul", ["x", "wq"], "q0"));
        g.Node.Add(Node("Add", ["q0", "bq"], "q"));
        g.Node.Add(Node("MatMul", ["x", "wk"], "k0"));
        g.Node.Add(Node("Add", ["bk", "k0"], "k"));
        g.Node.Add(Node("Add", ["q", "k"], "h"));
        g.Node.Add(Node("MatMul", ["h", "wo"], "o0"));
        g.Node.Add(Node("Add", ["o0", "bo"], "y"));
        g.Node.Add(Node("Transpose", ["k"], "kt", new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 2, 1 } }));
        g.Node.Add(Node("MatMul", ["q", "kt"], "scores"));
        g.Node.Add(Node("Gemm", ["z", "wg", "cg"], "g",
            new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 },
            new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f }));
        var m = new ModelProto { IrVersion = 7, ProducerName = "test", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m.ToByteArray();
    }

    private static Dictionary<string, float[]> Run(byte[] model, int b = 2, int s = 5, int rows = 3)
    {
        using var o = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, o);
        using var x = OrtValue.CreateTensorValueFromMemory(Random(b * s * K, 11, 1f), [b, s, K]);
        using var z = OrtValue.CreateTensorValueFromMemory(Random(rows * K, 12, 1f), [rows, K]);
        using var ro = new RunOptions();
        using var outputs = session.Run(ro, ["x", "z"], [x, z], ["y", "scores", "g"]);
        return new Dictionary<string, float[]>
        {
            ["y"] = outputs[0].GetTensorDataAsSpan<float>().ToArray(),
            ["scores"] = outputs[1].GetTensorDataAsSpan<float>().ToArray(),
            ["g"] = outputs[2].GetTensorDataAsSpan<float>().ToArray(),
        };
    }

    /// <summary>Whether the CPU has AVX-512 VNNI or AVX-VNNI (Linux: <c>/proc/cpuinfo</c>; elsewhere assumed).</summary>
    private static readonly bool HasVnni = !File.Exists("/proc/cpuinfo")
        || File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal) && (l.Contains(" avx512_vnni", StringComparison.Ordinal) || l.Contains(" avx_vnni", StringComparison.Ordinal)));

    private static double Cosine(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    [Theory]
    [InlineData("MatMulIntegerToFloat", "Int8Symmetric", true, 13)]
    [InlineData("MatMulIntegerToFloat", "Int8Symmetric", true, 11)]
    [InlineData("MatMulIntegerToFloat", "UInt8Asymmetric", false, 13)]
    [InlineData("DynamicQuantizeMatMul", "Int8Symmetric", true, 13)]
    [InlineData("MatMulInteger", "Int8Symmetric", true, 13)]
    [InlineData("MatMulInteger", "UInt8Asymmetric", true, 13)]
    public void The_quantized_graph_keeps_inputs_and_outputs_and_computes_what_the_fp32_one_does(string format, string weights, bool perChannel, long opset)
    {
        var source = SyntheticModel(opset);
        var options = new QuantizationOptions
        {
            Format = Enum.Parse<QuantizedOperatorFormat>(format),
            Weights = Enum.Parse<WeightEncoding>(weights),
            PerChannel = perChannel,
        };
        var result = OnnxDynamicQuantizer.Quantize(source, options);

        // Same inputs and outputs, weight MatMuls and the Gemm quantized, the activation x activation MatMul kept.
        var before = ModelProto.Parser.ParseFrom(source).Graph;
        var after = ModelProto.Parser.ParseFrom(result.Model);
        Assert.Equal(before.Input.Select(i => i.Name), after.Graph.Input.Select(i => i.Name));
        Assert.Equal(before.Output.Select(i => i.Name), after.Graph.Output.Select(i => i.Name));
        Assert.Single(result.Report.Skipped);
        Assert.Contains("activation", result.Report.Skipped[0].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(after.Graph.Initializer, t => t.Name is "wq" or "wk" or "wo" or "wg");
        Assert.Equal(OnnxDynamicQuantizer.Sha256(source), after.MetadataProps.Single(p => p.Key == OnnxDynamicQuantizer.MetadataSourceSha256).Value);
        Assert.Equal(OnnxDynamicQuantizer.Sha256(result.Model), result.Report.OutputSha256);

        var merged = format != "MatMulInteger" && perChannel;
        Assert.Equal(merged ? 3 : 4, result.Report.Quantized.Count);
        Assert.Equal(merged, after.Graph.Node.Any(n => n.OpType == "Split"));

        // Without VNNI (AVX2 only) ONNX Runtime's u8 x s8 kernels add pairs of products in 16 bits,
        // which saturate on this graph's large activations: int8-symmetric weights reach 0.97-0.985
        // there (u8 x u8 is not affected). The real MiniLM keeps its 0.98 bar on both
        // (MiniLmQuantizationTests); 7-bit weights ("reduce range") would be the remedy.
        var bar = weights == "Int8Symmetric" && !HasVnni ? 0.95 : 0.99;
        var expected = Run(source);
        var actual = Run(result.Model);
        foreach (var (name, v) in expected)
        {
            Assert.True(Cosine(v, actual[name]) > bar, $"{name}: cosine {Cosine(v, actual[name])} (bar {bar}; VNNI {HasVnni})");
        }
    }

    [Fact]
    public void The_fusions_leave_a_graph_without_attention_or_layer_norm_as_the_plain_rewrite_makes_it()
    {
        var source = SyntheticModel();
        var plain = OnnxDynamicQuantizer.Quantize(source);
        var fused = OnnxDynamicQuantizer.Quantize(source, new QuantizationOptions { FuseAttention = true, FuseSkipLayerNormalization = true });
        Assert.Equal(plain.Report.OperatorsAfter, fused.Report.OperatorsAfter);
        Assert.Equal(Run(plain.Model)["y"], Run(fused.Model)["y"]);
    }

    [Fact]
    public void Merging_the_MatMuls_that_share_an_input_changes_no_number()
    {
        var source = SyntheticModel();
        var merged = Run(OnnxDynamicQuantizer.Quantize(source).Model);
        var separate = Run(OnnxDynamicQuantizer.Quantize(source, new QuantizationOptions { MergeSharedInputMatMuls = false }).Model);
        foreach (var (name, v) in separate)
        {
            Assert.True(Cosine(v, merged[name]) > 0.999999, name);
        }
    }

    public static TheoryData<string, string> BrokenModels() => new()
    {
        { "empty", "empty" },
        { "text", "corrupt or truncated" },
        { "truncated", "corrupt or truncated" },
        { "short raw_data", "bytes of data where its shape needs" },
        { "external data", "external file" },
        { "NaN weight", "non-finite" },
        { "undefined input", "no graph input, initializer or earlier node defines" },
        { "already quantized", "already quantized" },
        { "nothing to quantize", "Nothing to quantize" },
    };

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void A_corrupt_or_unsupported_model_is_refused_with_the_reason(string kind, string reason)
    {
        var good = SyntheticModel();
        byte[] Mutate(Action<ModelProto> change)
        {
            var m = ModelProto.Parser.ParseFrom(good);
            change(m);
            return m.ToByteArray();
        }

        var bytes = kind switch
        {
            "empty" => [],
            "text" => "hello, not a model"u8.ToArray(),
            "truncated" => good[..(good.Length / 2)],
            "short raw_data" => Mutate(m => m.Graph.Initializer[0].RawData = ByteString.CopyFrom(m.Graph.Initializer[0].RawData.Span[..^4])),
            "external data" => Mutate(m => m.Graph.Initializer[0].DataLocation = TensorProto.Types.DataLocation.External),
            "NaN weight" => Mutate(m =>
            {
                var raw = m.Graph.Initializer[0].RawData.ToByteArray();
                BitConverter.GetBytes(float.NaN).CopyTo(raw, 8);
                m.Graph.Initializer[0].RawData = ByteString.CopyFrom(raw);
            }),
            "undefined input" => Mutate(m => m.Graph.Node[0].Input[0] = "missing"),
            "already quantized" => OnnxDynamicQuantizer.Quantize(good).Model,
            "nothing to quantize" => Mutate(m =>
            {
                var keep = m.Graph.Node.Where(n => n.OpType == "Transpose").ToList();
                keep[0].Input[0] = "x";
                m.Graph.Node.Clear();
                m.Graph.Node.AddRange(keep);
                m.Graph.Output.Clear();
                m.Graph.Output.Add(Value("kt", "b", K, "s"));
            }),
            _ => throw new ArgumentException(kind),
        };

        var e = Assert.Throws<OnnxQuantizationException>(() => OnnxDynamicQuantizer.Quantize(bytes));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_standard_op_format_needs_opset_11()
    {
        var e = Assert.Throws<OnnxQuantizationException>(() =>
            OnnxDynamicQuantizer.Quantize(SyntheticModel(opset: 10), new QuantizationOptions { Format = QuantizedOperatorFormat.MatMulInteger }));
        Assert.Contains("opset 11", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Per_channel_scales_follow_the_formula()
    {
        // Column 0: max |w| = 2 -> scale 2/127; column 1 all zero -> scale 1.
        float[] w = [1f, 0f, -2f, 0f, 0.5f, 0f];
        var q = WeightQuantizer.QuantizeWeight(w, 3, 2, WeightEncoding.Int8Symmetric, perChannel: true);
        Assert.Equal(2f / 127, q.Scales[0], 6);
        Assert.Equal(1f, q.Scales[1]);
        Assert.Equal([64, 0, unchecked((byte)(sbyte)-127), 0, 32, 0], q.Data); // round-half-even(63.5) = 64, 31.75 -> 32
    }
}
