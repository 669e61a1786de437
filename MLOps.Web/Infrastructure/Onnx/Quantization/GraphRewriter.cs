using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>
/// The rewrite of one graph, in three steps: a plan (or a reason to skip) for every MatMul/Gemm
/// (<c>GraphRewriter.Planning.cs</c>), groups of MatMuls sharing an input to merge, then a new node
/// list in the same (topological) order with the quantized nodes emitted in place of the originals
/// (<c>GraphRewriter.Emission.cs</c>); fp32 weights nothing reads any more are dropped.
/// </summary>
internal sealed partial class GraphRewriter
{
    private const int FloatType = (int)TensorProto.Types.DataType.Float;

    private readonly GraphProto _g;
    private readonly QuantizationOptions _o;
    private readonly long _onnxOpset;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly HashSet<string> _graphInputs;
    private readonly HashSet<string> _graphOutputs;
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Q, string Scale, string ZeroPoint)> _weights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Q, string Scale, string ZeroPoint)> _activations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _replacedWeights = new(StringComparer.Ordinal);
    private readonly List<TensorProto> _newInitializers = [];

    public GraphRewriter(GraphProto g, QuantizationOptions o, long onnxOpset)
    {
        _g = g;
        _o = o;
        _onnxOpset = onnxOpset;
        _initializers = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _graphInputs = g.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _graphOutputs = g.Output.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            _names.Add(n.Name);
            _names.UnionWith(n.Output);
            foreach (var i in n.Input)
            {
                if (!_consumers.TryGetValue(i, out var list))
                {
                    _consumers[i] = list = [];
                }

                list.Add(n);
            }
        }

        _names.UnionWith(_initializers.Keys);
        _names.UnionWith(_graphInputs);
        _names.UnionWith(_graphOutputs);
        _names.UnionWith(g.ValueInfo.Select(v => v.Name));
    }

    public List<QuantizedNode> Quantized { get; } = [];

    public List<SkippedNode> Skipped { get; } = [];

    public void Run()
    {
        var plans = PlanAll();
        var groups = MergeGroups(plans);
        var merged = groups.Values.SelectMany(m => m.Skip(1)).Select(m => m.Node).ToHashSet();
        var removed = plans.Values.Where(p => p.FoldedAdd is not null).Select(p => p.FoldedAdd!).ToHashSet();
        var output = new List<NodeProto>(_g.Node.Count + 64);
        foreach (var node in _g.Node)
        {
            if (removed.Contains(node) || merged.Contains(node))
            {
                continue;
            }

            if (groups.TryGetValue(node, out var members))
            {
                EmitMerged(members, output);
            }
            else if (plans.TryGetValue(node, out var plan))
            {
                Emit(plan, output);
            }
            else
            {
                output.Add(node);
            }
        }

        _g.Node.Clear();
        _g.Node.AddRange(output);
        _g.Initializer.AddRange(_newInitializers);
        DropUnreadWeights();
    }

    /// <summary>Pass 1: a plan (or a reason to skip) for every MatMul/Gemm.</summary>
    private Dictionary<NodeProto, NodePlan> PlanAll()
    {
        var plans = new Dictionary<NodeProto, NodePlan>();
        var unnamed = 0;
        foreach (var node in _g.Node)
        {
            if (node.OpType is not ("MatMul" or "Gemm") || node.Domain is not ("" or "ai.onnx"))
            {
                continue;
            }

            var name = string.IsNullOrEmpty(node.Name) ? $"{node.OpType}_{unnamed++}" : node.Name;
            var plan = Plan(node, name, out var reason);
            if (plan is null)
            {
                Skipped.Add(new SkippedNode(name, node.OpType, reason!));
            }
            else
            {
                plans[node] = plan;
            }
        }

        return plans;
    }

    /// <summary>Pass 2: MatMuls that read the same activation (Q, K, V) become one wider GEMM + Split, keyed by the first member.</summary>
    private Dictionary<NodeProto, List<NodePlan>> MergeGroups(Dictionary<NodeProto, NodePlan> plans)
    {
        var groups = new Dictionary<NodeProto, List<NodePlan>>();
        if (!_o.MergeSharedInputMatMuls || !_o.PerChannel || _o.Format == QuantizedOperatorFormat.MatMulInteger)
        {
            return groups;
        }

        foreach (var g in plans.Values.Where(p => p.Node.OpType == "MatMul").GroupBy(p => p.Activation, StringComparer.Ordinal))
        {
            var members = g.ToList();
            if (members.Count >= 2 && members.All(m => m.K == members[0].K) &&
                (members.All(m => m.Bias is not null) || members.All(m => m.Bias is null)) &&
                members.Select(m => m.WeightKey).Distinct(StringComparer.Ordinal).Count() == members.Count)
            {
                groups[members[0].Node] = members;
            }
        }

        return groups;
    }

    /// <summary>Drops the fp32 weights nothing reads any more (kept when another node or a subgraph uses them).</summary>
    private void DropUnreadWeights()
    {
        var stillRead = new HashSet<string>(StringComparer.Ordinal);
        CollectInputs(_g, stillRead);
        foreach (var w in _replacedWeights.Where(w => !stillRead.Contains(w) && !_graphOutputs.Contains(w)))
        {
            _g.Initializer.Remove(_initializers[w]);
            var vi = _g.ValueInfo.FirstOrDefault(v => v.Name == w);
            if (vi is not null)
            {
                _g.ValueInfo.Remove(vi);
            }
        }
    }

    private static void CollectInputs(GraphProto g, HashSet<string> names)
    {
        foreach (var n in g.Node)
        {
            names.UnionWith(n.Input);
            foreach (var a in n.Attribute)
            {
                if (a.G is not null)
                {
                    CollectInputs(a.G, names);
                }

                foreach (var sub in a.Graphs)
                {
                    CollectInputs(sub, names);
                }
            }
        }
    }
}
