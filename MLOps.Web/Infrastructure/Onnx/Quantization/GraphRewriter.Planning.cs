using System.Globalization;
using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

internal sealed partial class GraphRewriter
{
    /// <summary>What one MatMul/Gemm becomes: its activation, its [K, N] weight (Gemm: transposed and scaled to A x W), the output it must produce, a folded bias.</summary>
    private sealed record NodePlan(
        NodeProto Node,
        string Name,
        string Activation,
        string WeightKey,
        float[] Weight,
        int K,
        int N,
        string Output,
        float[]? Bias,
        NodeProto? FoldedAdd,
        string SourceWeight,
        string? SourceBias);

    private NodePlan? Plan(NodeProto node, string name, out string? reason)
    {
        reason = CommonSkipReason(node, name, out var w);
        if (reason is not null)
        {
            return null;
        }

        int k = checked((int)w!.Dims[0]), n = checked((int)w.Dims[1]);
        if ((long)k * n < _o.MinimumWeightElements)
        {
            reason = $"weight [{k}x{n}] is below the minimum size";
            return null;
        }

        return node.OpType == "MatMul" ? PlanMatMul(node, name, w, k, n) : PlanGemm(node, name, w, k, n, out reason);
    }

    /// <summary>Why a MatMul/Gemm stays fp32 whatever its op type (null: its weight <paramref name="w"/> is a quantizable 2-D float constant).</summary>
    private string? CommonSkipReason(NodeProto node, string name, out TensorProto? w)
    {
        w = null;
        if (_o.ExcludedNodes.Contains(name))
        {
            return "excluded by the options";
        }

        if (node.Input.Count < 2 || node.Output.Count != 1)
        {
            return "unexpected arity";
        }

        var a = node.Input[0];
        var b = node.Input[1];
        if (!_initializers.TryGetValue(b, out w) || _graphInputs.Contains(b))
        {
            return _initializers.ContainsKey(a) && !_graphInputs.Contains(a)
                ? "the constant is input A, not the weight B (not supported)"
                : "B is an activation (activation x activation, e.g. attention scores): stays fp32";
        }

        if (_initializers.ContainsKey(a))
        {
            return "both inputs are constants (constant-foldable)";
        }

        if (w.DataType != FloatType)
        {
            return $"weight '{b}' is {(TensorProto.Types.DataType)w.DataType}, only float weights are quantized";
        }

        return w.Dims.Count != 2 ? $"weight '{b}' has rank {w.Dims.Count}; only 2-D [K, N] weights are quantized" : null;
    }

    private NodePlan PlanMatMul(NodeProto node, string name, TensorProto w, int k, int n)
    {
        float[]? bias = null;
        NodeProto? add = null;
        if (_o.FoldBias && _o.Format != QuantizedOperatorFormat.MatMulInteger)
        {
            (bias, add) = FindBias(node.Output[0], n);
        }

        var b = node.Input[1];
        return new NodePlan(node, name, node.Input[0], b, WeightQuantizer.ReadFloats(w), k, n, add?.Output[0] ?? node.Output[0], bias, add, b,
            add is null ? null : (add.Input[0] == node.Output[0] ? add.Input[1] : add.Input[0]));
    }

    /// <summary>Gemm: Y = alpha * A * B' + beta * C, with transA = 0; B' (transB) is turned into [K, N] and alpha multiplied in, C becomes the bias.</summary>
    private NodePlan? PlanGemm(NodeProto node, string name, TensorProto w, int k, int n, out string? reason)
    {
        reason = null;
        if (!_o.IncludeGemm)
        {
            reason = "Gemm excluded by the options";
            return null;
        }

        var (alpha, beta, transA, transB) = GemmAttributes(node);
        if (transA != 0)
        {
            reason = "Gemm with transA = 1 is not supported";
            return null;
        }

        var weight = WeightQuantizer.ReadFloats(w);
        if (transB != 0)
        {
            (k, n) = (n, k);
            weight = Transpose(weight, rows: n, columns: k);
        }

        if (alpha != 1)
        {
            for (var i = 0; i < weight.Length; i++)
            {
                weight[i] *= alpha;
            }
        }

        var hasC = node.Input.Count > 2 && node.Input[2] != "";
        float[]? bias = null;
        if (hasC && !TryGemmBias(node.Input[2], n, beta, out bias, out reason))
        {
            return null;
        }

        var b = node.Input[1];
        var key = transB != 0 || alpha != 1 ? $"{b}|t{transB}|a{alpha.ToString(CultureInfo.InvariantCulture)}" : b;
        return new NodePlan(node, name, node.Input[0], key, weight, k, n, node.Output[0], bias, null, b, hasC ? node.Input[2] : null);
    }

    private static (float Alpha, float Beta, long TransA, long TransB) GemmAttributes(NodeProto node)
    {
        float alpha = 1, beta = 1;
        long transA = 0, transB = 0;
        foreach (var attr in node.Attribute)
        {
            switch (attr.Name)
            {
                case "alpha": alpha = attr.F; break;
                case "beta": beta = attr.F; break;
                case "transA": transA = attr.I; break;
                case "transB": transB = attr.I; break;
            }
        }

        return (alpha, beta, transA, transB);
    }

    /// <summary>A row-major [rows, columns] matrix as [columns, rows].</summary>
    private static float[] Transpose(float[] m, int rows, int columns)
    {
        var t = new float[m.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                t[(c * rows) + r] = m[(r * columns) + c];
            }
        }

        return t;
    }

    /// <summary>Gemm's C as a bias of length N (times beta): a constant float [N], [1, N] or scalar.</summary>
    private bool TryGemmBias(string input, int n, float beta, out float[]? bias, out string? reason)
    {
        bias = null;
        reason = null;
        if (!_initializers.TryGetValue(input, out var c) || _graphInputs.Contains(input) || c.DataType != FloatType)
        {
            reason = "Gemm's C is not a constant float initializer";
            return false;
        }

        var cv = WeightQuantizer.ReadFloats(c);
        var elements = c.Dims.Aggregate(1L, (x, y) => x * y);
        if (!((c.Dims.Count == 1 && c.Dims[0] == n) || (c.Dims.Count == 2 && c.Dims[0] == 1 && c.Dims[1] == n) || elements == 1))
        {
            reason = $"Gemm's C [{string.Join(",", c.Dims)}] is not a bias of length N = {n}";
            return false;
        }

        bias = new float[n];
        for (var i = 0; i < n; i++)
        {
            bias[i] = beta * cv[elements == 1 ? 0 : i];
        }

        return true;
    }

    /// <summary>The single Add that consumes <paramref name="output"/> with a constant [N] float bias.</summary>
    private (float[]? Bias, NodeProto? Add) FindBias(string output, int n)
    {
        if (_graphOutputs.Contains(output) || !_consumers.TryGetValue(output, out var consumers) || consumers.Count != 1)
        {
            return (null, null);
        }

        var add = consumers[0];
        if (add.OpType != "Add" || add.Domain is not ("" or "ai.onnx") || add.Input.Count != 2)
        {
            return (null, null);
        }

        var other = add.Input[0] == output ? add.Input[1] : add.Input[0];
        if (other == output || !_initializers.TryGetValue(other, out var t) || _graphInputs.Contains(other) ||
            t.DataType != FloatType || t.Dims.Count != 1 || t.Dims[0] != n)
        {
            return (null, null);
        }

        return (WeightQuantizer.ReadFloats(t), add);
    }
}
