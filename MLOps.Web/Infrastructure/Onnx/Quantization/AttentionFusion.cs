using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>
/// Replaces each BERT self-attention block of the rewritten graph with one com.microsoft
/// <c>QAttention</c>: the merged Q/K/V <c>MatMulIntegerToFloat</c> + <c>Split</c>, the per-head
/// Reshape/Transpose of Q, K and V, QK^T, the 1/sqrt(head size) scaling, the additive mask
/// ((1 - mask) x -10000 from <c>attention_mask</c>), Softmax, the product with V and the Transpose +
/// Reshape back to [batch, sequence, hidden]. The int8 weights, scales and zero points are the
/// merged node's own; the mask becomes <c>attention_mask</c> cast to int32 (QAttention's raw 2-D
/// mask, filled with -10000 as the original). Blocks that differ in any part are left as they are.
/// </summary>
internal static class AttentionFusion
{
    private const string MaskInput = "attention_mask";

    public static int Apply(GraphProto g)
    {
        if (!g.Input.Any(i => i.Name == MaskInput))
        {
            return 0;
        }

        var graph = new GraphIndex(g);
        var blocks = g.Node.Where(n => n.OpType == "Softmax").Select(s => Match(graph, s)).OfType<Block>().ToList();
        if (blocks.Count == 0)
        {
            return 0;
        }

        var maskIndex = $"{MaskInput}_int32_for_QAttention";
        var cast = new NodeProto { Name = maskIndex + "_Cast", OpType = "Cast" };
        cast.Input.Add(MaskInput);
        cast.Output.Add(maskIndex);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Int32 });
        var replaced = new Dictionary<NodeProto, NodeProto>();
        var removed = new HashSet<NodeProto>();
        foreach (var b in blocks)
        {
            var mm = b.QkvMatMul;
            var node = new NodeProto { Name = b.Output.Name + "_QAttention", OpType = "QAttention", Domain = OnnxDynamicQuantizer.MicrosoftDomain };
            // MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zp, b_zp, bias) -> QAttention(input, weight, bias, input_scale, weight_scale, mask_index, input_zp, weight_zp)
            node.Input.AddRange([mm.Input[0], mm.Input[1], mm.Input[6], mm.Input[2], mm.Input[3], maskIndex, mm.Input[4], mm.Input[5]]);
            node.Output.Add(b.Output.Output[0]);
            node.Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = b.Heads });
            removed.UnionWith(b.Nodes);
            replaced[b.Output] = node;
        }

        var (original, initializers) = (g.Node.ToList(), g.Initializer.ToList());
        var output = new List<NodeProto>(g.Node.Count) { cast };
        output.AddRange(g.Node.Where(n => !removed.Contains(n) || replaced.ContainsKey(n)).Select(n => replaced.GetValueOrDefault(n, n)));
        g.Node.Clear();
        g.Node.AddRange(output);
        GraphIndex.RemoveDeadNodes(g);

        // A value of a removed node that something still reads (beyond the Shape nodes that died with it): keep the graph as it was.
        var gone = removed.SelectMany(n => n.Output).Except(replaced.Values.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        if (g.Node.Any(n => n.Input.Any(gone.Contains)))
        {
            g.Node.Clear();
            g.Node.AddRange(original);
            g.Initializer.Clear();
            g.Initializer.AddRange(initializers);
            return 0;
        }

        return blocks.Count;
    }

    private sealed record Block(NodeProto QkvMatMul, NodeProto Output, int Heads, List<NodeProto> Nodes);

    /// <summary>The attention block around <paramref name="softmax"/>, or null when any part is not the expected one.</summary>
    private static Block? Match(GraphIndex g, NodeProto softmax)
    {
        var add = g.Producer(softmax.Input[0]);
        var div = add is { OpType: "Add" } ? add.Input.Select(g.Producer).FirstOrDefault(p => p is { OpType: "Div" }) : null;
        var mask = div is null ? null : add!.Input.First(i => i != div.Output[0]);
        var scores = div is null ? null : g.Producer(div.Input[0]);
        var context = g.Only(softmax.Output[0], "MatMul");
        var back = context is null ? null : g.Only(context.Output[0], "Transpose");
        var output = back is null ? null : g.OnlyBesidesShape(back.Output[0], "Reshape");
        if (scores is not { OpType: "MatMul" } || output is null || !Perm(back!, 0, 2, 1, 3) || !IsAttentionMask(g, mask!)
            || g.Consumers(add!.Output[0]).Count != 1 || g.Consumers(div!.Output[0]).Count != 1 || g.Consumers(scores.Output[0]).Count != 1)
        {
            return null;
        }

        var (q, qNodes) = Head(g, scores.Input[0], 0, 2, 1, 3);
        var (k, kNodes) = Head(g, scores.Input[1], 0, 2, 3, 1);
        var (v, vNodes) = Head(g, context!.Input[1], 0, 2, 1, 3);
        var split = q is null ? null : g.Producer(q);
        var qkv = split is { OpType: "Split", Output.Count: 3 } ? g.Producer(split.Input[0]) : null;
        if (qkv is not { OpType: "MatMulIntegerToFloat", Input.Count: 7 } || split!.Output[0] != q || split.Output[1] != k || split.Output[2] != v
            || split.Output.Any(o => g.OnlyBesidesShape(o, "Reshape") is null) || g.Consumers(qkv.Output[0]).Count != 1
            || Heads(g, qNodes[0]) is not { } shape || g.Scalar(div.Input[1]) is not { } d || Math.Abs(d - Math.Sqrt(shape.HeadSize)) > 1e-3)
        {
            return null;
        }

        return new Block(qkv, output, shape.Heads,
            [qkv, split, .. qNodes, .. kNodes, .. vNodes, scores, div, add!, softmax, context!, back!, output]);
    }

    /// <summary>Reshape then Transpose(perm) ending in <paramref name="value"/>: the tensor reshaped, and the two nodes.</summary>
    private static (string? Source, List<NodeProto> Nodes) Head(GraphIndex g, string value, params long[] perm)
    {
        var transpose = g.Producer(value);
        var reshape = transpose is { OpType: "Transpose" } && Perm(transpose, perm) ? g.Producer(transpose.Input[0]) : null;
        return reshape is { OpType: "Reshape" } && g.Consumers(reshape.Output[0]).Count == 1 && g.Consumers(value) is [{ OpType: "MatMul" }]
            ? (reshape.Input[0], [reshape, transpose!])
            : (null, []);
    }

    /// <summary>Heads and head size from the per-head Reshape's target shape [.., .., heads, head size] (a constant, or a Concat ending in two constants).</summary>
    private static (int Heads, int HeadSize)? Heads(GraphIndex g, NodeProto reshape)
    {
        var shape = reshape.Input[1];
        var dims = g.Int64s(shape);
        if (dims is null && g.Producer(shape) is { OpType: "Concat", Input.Count: 4 } concat
            && g.Int64s(concat.Input[2]) is [var h] && g.Int64s(concat.Input[3]) is [var s])
        {
            dims = [0, 0, h, s];
        }

        return dims is [_, _, > 0 and var heads, > 0 and var size] ? ((int)heads, (int)size) : null;
    }

    private static bool Perm(NodeProto transpose, params long[] perm) =>
        transpose.Attribute.FirstOrDefault(a => a.Name == "perm") is { } p && p.Ints.SequenceEqual(perm);

    /// <summary>The additive mask is computed from attention_mask only (Unsqueeze/Cast/Sub/Mul) with a -10000 fill, as QAttention fills a raw mask.</summary>
    private static bool IsAttentionMask(GraphIndex g, string mask)
    {
        var pending = new Stack<string>([mask]);
        var reachesInput = false;
        var fill = false;
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (value == MaskInput)
            {
                reachesInput = true;
                continue;
            }

            if (g.IsConstant(value))
            {
                fill |= g.Scalar(value) == -10000f;
                continue;
            }

            if (g.Producer(value) is not { OpType: "Unsqueeze" or "Cast" or "Sub" or "Mul" or "Constant" } p)
            {
                return false;
            }

            foreach (var i in p.Input)
            {
                pending.Push(i);
            }
        }

        return reachesInput && fill;
    }
}
