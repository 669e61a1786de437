using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>
/// Replaces a residual <c>Add</c> followed by a layer normalisation written out in primitives
/// (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta: how PyTorch's
/// exporter writes <c>LayerNorm</c>) with one com.microsoft <c>SkipLayerNormalization</c>, which ONNX
/// Runtime's session optimiser does not form for these exports. Each chain is matched strictly:
/// every intermediate value has exactly the consumers the pattern needs, gamma and beta are 1-D
/// float constants, eps and the exponent are scalar constants; anything else is left as it is.
/// </summary>
internal static class SkipLayerNormFusion
{
    public static int Apply(GraphProto g)
    {
        var graph = new GraphIndex(g);
        var replaced = new Dictionary<NodeProto, NodeProto>();
        var removed = new HashSet<NodeProto>();
        var fused = 0;
        foreach (var mean in g.Node.Where(n => n.OpType == "ReduceMean").ToList())
        {
            if (Match(graph, mean) is not { } m || m.Nodes.Any(removed.Contains))
            {
                continue;
            }

            var node = new NodeProto { Name = $"{m.Nodes[^1].Name}_SkipLayerNormalization", OpType = "SkipLayerNormalization", Domain = OnnxDynamicQuantizer.MicrosoftDomain };
            node.Input.AddRange([m.Input, m.Skip, m.Gamma, m.Beta]);
            node.Output.Add(m.Nodes[^1].Output[0]);
            node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = m.Epsilon });
            removed.UnionWith(m.Nodes);
            replaced[m.Nodes[^1]] = node;
            fused++;
        }

        var output = new List<NodeProto>(g.Node.Count);
        foreach (var n in g.Node)
        {
            if (replaced.TryGetValue(n, out var fusedNode))
            {
                output.Add(fusedNode);
            }
            else if (!removed.Contains(n))
            {
                output.Add(n);
            }
        }

        g.Node.Clear();
        g.Node.AddRange(output);
        return fused;
    }

    private sealed record Chain(string Input, string Skip, string Gamma, string Beta, float Epsilon, List<NodeProto> Nodes);

    /// <summary>The chain that starts at <paramref name="mean"/> (the first ReduceMean over the last axis), or null.</summary>
    private static Chain? Match(GraphIndex g, NodeProto mean)
    {
        var x = mean.Input[0];
        if (!GraphIndex.LastAxis(mean) || g.Producer(x) is not { OpType: "Add" } residual || residual.Input.Count != 2
            || residual.Input.Any(g.IsConstant) || g.IsGraphOutput(x))
        {
            return null;
        }

        var sub = g.Only(mean.Output[0], "Sub");
        if (sub is null || sub.Input[0] != x || g.Consumers(x).Count != 2 || !g.Consumers(x).Contains(sub))
        {
            return null;
        }

        var centered = sub.Output[0];
        var consumers = g.Consumers(centered);
        var pow = consumers.FirstOrDefault(c => c.OpType == "Pow");
        var div = consumers.FirstOrDefault(c => c.OpType == "Div");
        if (consumers.Count != 2 || pow is null || div is null || g.Scalar(pow.Input[1]) != 2f || div.Input[0] != centered)
        {
            return null;
        }

        var variance = g.Only(pow.Output[0], "ReduceMean");
        var plusEps = variance is null || !GraphIndex.LastAxis(variance) ? null : g.Only(variance.Output[0], "Add");
        var eps = plusEps is null ? null : g.Scalar(plusEps.Input[0] == variance!.Output[0] ? plusEps.Input[1] : plusEps.Input[0]);
        var sqrt = plusEps is null ? null : g.Only(plusEps.Output[0], "Sqrt");
        if (eps is null || sqrt is null || div.Input[1] != sqrt.Output[0] || g.Consumers(sqrt.Output[0]).Count != 1)
        {
            return null;
        }

        var mul = g.Only(div.Output[0], "Mul");
        var add = mul is null ? null : g.Only(mul.Output[0], "Add");
        var gamma = mul is null ? null : g.Vector(mul.Input[0] == div.Output[0] ? mul.Input[1] : mul.Input[0]);
        var beta = add is null ? null : g.Vector(add.Input[0] == mul!.Output[0] ? add.Input[1] : add.Input[0]);
        if (gamma is null || beta is null || new[] { centered, pow.Output[0], variance!.Output[0], plusEps!.Output[0], sqrt.Output[0], div.Output[0], mul!.Output[0] }.Any(g.IsGraphOutput))
        {
            return null;
        }

        return new Chain(residual.Input[0], residual.Input[1], gamma, beta, eps.Value, [residual, mean, sub, pow, variance, plusEps, sqrt, div, mul, add!]);
    }
}
