using System.Runtime.InteropServices;
using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>Producers, consumers and constants of one graph.</summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs;

    public GraphIndex(GraphProto g)
    {
        _outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = g.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in g.Initializer.Where(t => !inputs.Contains(t.Name)))
        {
            _constants[t.Name] = t;
        }

        foreach (var n in g.Node)
        {
            foreach (var o in n.Output)
            {
                _producers[o] = n;
            }

            if (n.OpType == "Constant" && n.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } value)
            {
                _constants[n.Output[0]] = value;
            }

            foreach (var i in n.Input)
            {
                if (!_consumers.TryGetValue(i, out var list))
                {
                    _consumers[i] = list = [];
                }

                list.Add(n);
            }
        }
    }

    public NodeProto? Producer(string name) => _producers.GetValueOrDefault(name);

    public List<NodeProto> Consumers(string name) => _consumers.GetValueOrDefault(name) ?? [];

    public bool IsConstant(string name) => _constants.ContainsKey(name);

    public bool IsGraphOutput(string name) => _outputs.Contains(name);

    /// <summary>The single consumer of <paramref name="name"/> when it is an <paramref name="op"/> of the default domain.</summary>
    public NodeProto? Only(string name, string op) =>
        Consumers(name) is [var c] && c.OpType == op && c.Domain is "" or "ai.onnx" ? c : null;

    /// <summary>
    /// The one consumer of <paramref name="name"/> that is an <paramref name="op"/>, when every other
    /// consumer is a <c>Shape</c> (exports compute Reshape targets from the tensor itself).
    /// </summary>
    public NodeProto? OnlyBesidesShape(string name, string op)
    {
        var others = Consumers(name).Where(c => c.OpType != "Shape").ToList();
        return others is [var c] && c.OpType == op && c.Domain is "" or "ai.onnx" ? c : null;
    }

    /// <summary>ReduceMean over the last axis only (attribute axes = [-1]), keeping dims.</summary>
    public static bool LastAxis(NodeProto reduceMean) =>
        reduceMean.Input.Count == 1
        && reduceMean.Attribute.FirstOrDefault(a => a.Name == "axes") is { } axes && axes.Ints is [-1]
        && reduceMean.Attribute.FirstOrDefault(a => a.Name == "keepdims") is not { I: 0 };

    /// <summary>The value of a one-element float constant, else null.</summary>
    public float? Scalar(string name) =>
        _constants.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Aggregate(1L, (a, b) => a * b) == 1
            ? (t.RawData.Length == 4 ? MemoryMarshal.Read<float>(t.RawData.Span) : t.FloatData.Count == 1 ? t.FloatData[0] : null)
            : null;

    /// <summary><paramref name="name"/> when it is a 1-D float initializer (gamma, beta), else null.</summary>
    public string? Vector(string name) =>
        _constants.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count == 1 && t.Name == name ? name : null;

    /// <summary>The values of an int64 constant, else null.</summary>
    public long[]? Int64s(string name) =>
        _constants.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Int64
            ? (t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : [.. t.Int64Data])
            : null;

    /// <summary>Removes nodes none of whose outputs is read (or a graph output), until none is left; then initializers nothing reads.</summary>
    public static void RemoveDeadNodes(GraphProto g)
    {
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var read = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
            var dead = g.Node.Where(n => n.Output.All(o => !read.Contains(o) && !outputs.Contains(o))).ToList();
            if (dead.Count == 0)
            {
                break;
            }

            foreach (var n in dead)
            {
                g.Node.Remove(n);
            }
        }

        var used = g.Node.SelectMany(n => n.Input).Concat(outputs).ToHashSet(StringComparer.Ordinal);
        foreach (var t in g.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            g.Initializer.Remove(t);
        }
    }
}
