using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Infrastructure.Onnx.Quantization;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Classification;

namespace MLOps.Web.Tests.Unit.Quantization;

/// <summary>The rewrite on the real all-MiniLM-L6-v2 (the built-in model, from its NuGet package): same interface, embeddings within 0.98 cosine of fp32.</summary>
public sealed class MiniLmQuantizationTests
{
    private static readonly string[] Sentences =
    [
        "A father hunts for a sold-out toy for his son on Christmas Eve.",
        "A clownfish is lost in the ocean.",
        "Cartoon characters play basketball against aliens.",
        "This example is heist.",
        "Two rival magicians in Victorian London become obsessed with outdoing each other.",
        "The quick brown fox jumps over the lazy dog.",
    ];

    private static readonly Lazy<Task<(string Source, string Int8, QuantizationReport Report)>> Models = new(async () =>
    {
        var source = Path.Combine(await BuiltInModelFiles.DirectoryOfAsync("all-MiniLM-L6-v2"), "model.onnx");
        var result = OnnxDynamicQuantizer.Quantize(await File.ReadAllBytesAsync(source));
        var int8 = Path.Combine(TempDirectory.Create("minilm-int8"), "model.onnx");
        await File.WriteAllBytesAsync(int8, result.Model);
        return (source, int8, result.Report);
    });

    [Fact]
    public async Task The_int8_model_has_the_inputs_and_outputs_of_the_source_with_their_types_and_shapes()
    {
        var (source, int8, report) = await Models.Value;
        using var fp32Session = new InferenceSession(source);
        using var int8Session = new InferenceSession(int8);

        Assert.Equal(Describe(fp32Session.InputMetadata), Describe(int8Session.InputMetadata));
        Assert.Equal(Describe(fp32Session.OutputMetadata), Describe(int8Session.OutputMetadata));
        Assert.Equal(["attention_mask", "input_ids", "token_type_ids"], int8Session.InputMetadata.Keys.Order(StringComparer.Ordinal).ToArray());

        // 36 weight MatMuls (Q/K/V merged per layer: 6 x 3 -> 6) and the pooler Gemm; the 12 attention MatMuls stay fp32.
        Assert.Equal(6 * 4 + 1, report.Quantized.Count);
        Assert.Equal(12, report.Skipped.Count(s => s.Reason.Contains("activation", StringComparison.Ordinal)));
        Assert.All(report.Quantized, q => Assert.True(double.IsNaN(q.RelativeError) || q.RelativeError < 0.05, $"{q.Node}: {q.RelativeError}"));
        Assert.True(report.OutputBytes < report.SourceBytes * 0.7, $"{report.OutputBytes} of {report.SourceBytes} bytes");
    }

    [Fact]
    public async Task Its_sentence_embeddings_are_within_0_98_cosine_of_the_fp32_ones()
    {
        var (source, int8, _) = await Models.Value;
        var tokenizer = ModelTokenizer.Load(Path.GetDirectoryName(source)!, "wordpiece", lowercase: true);
        var batch = Sentences.Select(s => tokenizer.Encode(s, 256)).ToList();
        var settings = new OnnxSessionSettings(IntraOpNumThreads: 1, AllowSpinning: false);
        using var fp32 = new OnnxModelSession(source, settings);
        using var quantized = new OnnxModelSession(int8, settings);

        var expected = fp32.RunEmbeddings(batch, "last_hidden_state", Pooling.Mean);
        var actual = quantized.RunEmbeddings(batch, "last_hidden_state", Pooling.Mean);
        for (var i = 0; i < Sentences.Length; i++)
        {
            var cosine = TensorPrimitives.CosineSimilarity(expected[i], actual[i]);
            Assert.True(cosine >= 0.98f, $"'{Sentences[i]}': cosine {cosine}");
            Assert.True(cosine < 0.99999f, $"'{Sentences[i]}': cosine {cosine} (the int8 model computes exactly what fp32 does: was it quantized?)");
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task The_opt_in_fusions_replace_every_attention_block_and_layer_norm_and_keep_the_embeddings(bool attention, bool skipLayerNorm)
    {
        var (source, _, _) = await Models.Value;
        var result = OnnxDynamicQuantizer.Quantize(await File.ReadAllBytesAsync(source), new QuantizationOptions { FuseAttention = attention, FuseSkipLayerNormalization = skipLayerNorm });
        var ops = result.Report.OperatorsAfter;
        Assert.Equal(attention ? 6 : 0, ops.GetValueOrDefault("com.microsoft.QAttention"));
        Assert.Equal(attention ? 0 : 6, ops.GetValueOrDefault("Softmax"));
        Assert.Equal(skipLayerNorm ? 13 : 0, ops.GetValueOrDefault("com.microsoft.SkipLayerNormalization"));
        Assert.Equal(skipLayerNorm ? 0 : 26, ops.GetValueOrDefault("ReduceMean"));
        var graph = global::Onnx.ModelProto.Parser.ParseFrom(result.Model).Graph;
        var read = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(graph.Node.Where(n => !n.Output.Any(read.Contains)).Select(n => $"{n.OpType} {n.Name}")); // nothing the fusion orphaned is left
        Assert.Empty(graph.Initializer.Where(i => !read.Contains(i.Name)).Select(i => i.Name));
        var fused = Path.Combine(TempDirectory.Create("minilm-int8-fused"), "model.onnx");
        await File.WriteAllBytesAsync(fused, result.Model);

        var tokenizer = ModelTokenizer.Load(Path.GetDirectoryName(source)!, "wordpiece", lowercase: true);
        var batch = Sentences.Select(s => tokenizer.Encode(s, 256)).ToList();
        var settings = new OnnxSessionSettings(IntraOpNumThreads: 1, AllowSpinning: false);
        using var fp32 = new OnnxModelSession(source, settings);
        using var quantized = new OnnxModelSession(fused, settings);
        var expected = fp32.RunEmbeddings(batch, "last_hidden_state", Pooling.Mean);
        var actual = quantized.RunEmbeddings(batch, "last_hidden_state", Pooling.Mean);
        Assert.All(expected.Zip(actual), p => Assert.InRange(TensorPrimitives.CosineSimilarity(p.First, p.Second), 0.98f, 1f));
    }

    [Fact]
    public async Task Quantizing_the_int8_model_again_is_refused_as_already_quantized()
    {
        var (_, int8, _) = await Models.Value;
        var e = Assert.Throws<OnnxQuantizationException>(() => OnnxDynamicQuantizer.Quantize(File.ReadAllBytes(int8)));
        Assert.Contains("already quantized", e.Message, StringComparison.Ordinal);
    }

    private static string[] Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        [.. metadata.Select(m => $"{m.Key}: {m.Value.ElementDataType} [{string.Join(", ", m.Value.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : m.Value.SymbolicDimensions[i]))}]")];
}
