using System.Text.Json;

namespace MLOps.Web.Tests.Unit.Classification;

/// <summary>
/// A tiny ONNX sequence-classification model the tests write themselves (hand-encoded protobuf):
/// inputs input_ids, attention_mask, token_type_ids (int64 [batch, seq]); output logits [batch, 3] =
/// (sum over unmasked tokens of E[input_id] + T[token_type_id]) x W. A tiny vocab.txt and a Hugging
/// Face config.json with label2id go next to it. <see cref="Logits"/> computes the same thing in C#.
/// </summary>
public sealed class TinyNliModel
{
    public static readonly string[] Words =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "this", "example", "is", "a", "the", "about",
        "movie", "christmas", "santa", "snow", "gifts", "basketball", "game", "aliens", "ocean", "fish", "lost",
        "father", "son", "toy", "sea", "space", "sports", "story", "of",
    ];

    /// <summary>Logit order of the model: entailment first, so that the test proves ids come from label2id.</summary>
    public static readonly string[] Classes = ["ENTAILMENT", "NEUTRAL", "CONTRADICTION"];

    public const int Dim = 3;

    public TinyNliModel(int seed = 7)
    {
        var random = new Random(seed);
        float Next() => (float)Math.Round((random.NextDouble() * 2) - 1, 3);
        E = new float[Words.Length, Dim];
        for (var i = 0; i < Words.Length; i++)
        {
            for (var j = 0; j < Dim; j++)
            {
                E[i, j] = Next();
            }
        }

        T = new float[2, Dim];
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < Dim; j++)
            {
                T[i, j] = Next();
            }
        }

        W = new float[Dim, Classes.Length];
        for (var i = 0; i < Dim; i++)
        {
            for (var j = 0; j < Classes.Length; j++)
            {
                W[i, j] = Next();
            }
        }
    }

    public float[,] E { get; }

    public float[,] T { get; }

    public float[,] W { get; }

    public static int Id(string word) => Array.IndexOf(Words, word) is var i and >= 0 ? i : throw new ArgumentException($"'{word}' is not in the tiny vocabulary");

    /// <summary>The logits the graph computes, from token ids and segment ids (no padding).</summary>
    public double[] Logits(IReadOnlyList<int> ids, IReadOnlyList<int> types)
    {
        var sum = new double[Dim];
        for (var t = 0; t < ids.Count; t++)
        {
            for (var j = 0; j < Dim; j++)
            {
                sum[j] += E[ids[t], j] + T[types[t], j];
            }
        }

        var logits = new double[Classes.Length];
        for (var c = 0; c < logits.Length; c++)
        {
            for (var j = 0; j < Dim; j++)
            {
                logits[c] += sum[j] * W[j, c];
            }
        }

        return logits;
    }

    /// <summary>Writes model.onnx, vocab.txt, config.json (and tokenizer_config.json) into <paramref name="directory"/>.</summary>
    public void WriteTo(string directory, int? modelMaxLength = null, bool withConfig = true)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), BuildOnnx());
        File.WriteAllText(Path.Combine(directory, "vocab.txt"), string.Join("\n", Words) + "\n");
        if (withConfig)
        {
            var config = new Dictionary<string, object>
            {
                ["_name_or_path"] = "tests/tiny-nli",
                ["architectures"] = new[] { "BertForSequenceClassification" },
                ["model_type"] = "bert",
                ["max_position_embeddings"] = 512,
                ["label2id"] = Classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i),
                ["id2label"] = Classes.Select((c, i) => (c, i)).ToDictionary(x => x.i.ToString(System.Globalization.CultureInfo.InvariantCulture), x => x.c),
            };
            File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config));
        }

        var tokenizerConfig = new Dictionary<string, object> { ["do_lower_case"] = true };
        if (modelMaxLength is { } max)
        {
            tokenizerConfig["model_max_length"] = max;
        }

        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(tokenizerConfig));
    }

    // ---- ONNX protobuf, by hand (field numbers from onnx.proto) ----

    private byte[] BuildOnnx()
    {
        var graph = new ProtoWriter();
        graph.Message(1, Node("Gather", ["E", "input_ids"], ["e"]));
        graph.Message(1, Node("Gather", ["T", "token_type_ids"], ["t"]));
        graph.Message(1, Node("Add", ["e", "t"], ["h"]));
        graph.Message(1, Node("Cast", ["attention_mask"], ["mf"], p => p.Message(5, IntAttribute("to", 1))));
        graph.Message(1, Node("Unsqueeze", ["mf", "axes2"], ["m3"]));
        graph.Message(1, Node("Mul", ["h", "m3"], ["hm"]));
        graph.Message(1, Node("ReduceSum", ["hm", "axes1"], ["s"], p => p.Message(5, IntAttribute("keepdims", 0))));
        graph.Message(1, Node("MatMul", ["s", "W"], ["logits"]));
        graph.String(2, "tiny-nli");
        graph.Message(5, FloatTensor("E", E));
        graph.Message(5, FloatTensor("T", T));
        graph.Message(5, FloatTensor("W", W));
        graph.Message(5, Int64Tensor("axes1", 1));
        graph.Message(5, Int64Tensor("axes2", 2));
        foreach (var input in new[] { "input_ids", "attention_mask", "token_type_ids" })
        {
            graph.Message(11, ValueInfo(input, 7, ["batch", "sequence"], null));
        }

        graph.Message(12, ValueInfo("logits", 1, ["batch"], Classes.Length));

        var model = new ProtoWriter();
        model.Varint(1, 8); // ir_version
        model.String(2, "mlops-tests");
        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Varint(2, 13);
        model.Message(8, opset);
        model.Message(7, graph);
        return model.ToArray();
    }

    private static ProtoWriter Node(string op, string[] inputs, string[] outputs, Action<ProtoWriter>? more = null)
    {
        var p = new ProtoWriter();
        foreach (var i in inputs)
        {
            p.String(1, i);
        }

        foreach (var o in outputs)
        {
            p.String(2, o);
        }

        p.String(3, op + "_" + outputs[0]);
        p.String(4, op);
        more?.Invoke(p);
        return p;
    }

    private static ProtoWriter IntAttribute(string name, long value)
    {
        var p = new ProtoWriter();
        p.String(1, name);
        p.Varint(3, value);
        p.Varint(20, 2); // AttributeType.INT
        return p;
    }

    private static ProtoWriter FloatTensor(string name, float[,] values)
    {
        var p = new ProtoWriter();
        p.Varint(1, values.GetLength(0));
        p.Varint(1, values.GetLength(1));
        p.Varint(2, 1); // FLOAT
        p.String(8, name);
        var raw = new byte[values.Length * 4];
        var k = 0;
        foreach (var v in values)
        {
            BitConverter.TryWriteBytes(raw.AsSpan(k), v);
            k += 4;
        }

        p.Bytes(9, raw);
        return p;
    }

    private static ProtoWriter Int64Tensor(string name, long value)
    {
        var p = new ProtoWriter();
        p.Varint(1, 1);
        p.Varint(2, 7); // INT64
        p.String(8, name);
        p.Bytes(9, BitConverter.GetBytes(value));
        return p;
    }

    private static ProtoWriter ValueInfo(string name, int elemType, string[] symbolicDims, int? lastDim)
    {
        var shape = new ProtoWriter();
        foreach (var d in symbolicDims)
        {
            var dim = new ProtoWriter();
            dim.String(2, d);
            shape.Message(1, dim);
        }

        if (lastDim is { } n)
        {
            var dim = new ProtoWriter();
            dim.Varint(1, n);
            shape.Message(1, dim);
        }

        var tensor = new ProtoWriter();
        tensor.Varint(1, elemType);
        tensor.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensor);
        var p = new ProtoWriter();
        p.String(1, name);
        p.Message(2, type);
        return p;
    }
}
