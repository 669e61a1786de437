using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

internal sealed partial class GraphRewriter
{
    private string Unique(string hint)
    {
        var name = hint;
        for (var i = 1; !_names.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    /// <summary>The quantized weight, its scales and zero points as new initializers (once per distinct weight).</summary>
    private (string Q, string Scale, string ZeroPoint) WeightTensors(NodePlan p, out double error)
    {
        if (_weights.TryGetValue(p.WeightKey, out var known))
        {
            error = double.NaN; // shared with an earlier node; reported there
            return known;
        }

        var qw = WeightQuantizer.QuantizeWeight(p.Weight, p.K, p.N, _o.Weights, _o.PerChannel, p.SourceWeight);
        error = qw.RelativeError;
        var type = _o.Weights == WeightEncoding.Int8Symmetric ? TensorProto.Types.DataType.Int8 : TensorProto.Types.DataType.Uint8;
        var q = new TensorProto { Name = Unique(p.SourceWeight + "_quantized"), DataType = (int)type, RawData = ByteString.CopyFrom(qw.Data) };
        q.Dims.Add(p.K);
        q.Dims.Add(p.N);
        var scale = new TensorProto { Name = Unique(p.SourceWeight + "_scale"), DataType = FloatType, RawData = FloatBytes(qw.Scales) };
        var zp = new TensorProto { Name = Unique(p.SourceWeight + "_zero_point"), DataType = (int)type, RawData = ByteString.CopyFrom(qw.ZeroPoints) };
        if (_o.PerChannel)
        {
            scale.Dims.Add(p.N);
            zp.Dims.Add(p.N);
        }

        _newInitializers.AddRange([q, scale, zp]);
        var names = (q.Name, scale.Name, zp.Name);
        _weights[p.WeightKey] = names;
        return names;
    }

    private static ByteString FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return ByteString.CopyFrom(bytes);
    }

    private string FloatConstant(string hint, float[] values)
    {
        var t = new TensorProto { Name = Unique(hint), DataType = FloatType, RawData = FloatBytes(values) };
        t.Dims.Add(values.Length);
        _newInitializers.Add(t);
        return t.Name;
    }

    /// <summary>DynamicQuantizeLinear of an activation, emitted once, before its first quantized consumer.</summary>
    private (string Q, string Scale, string ZeroPoint) ActivationTensors(string activation, List<NodeProto> output)
    {
        if (_activations.TryGetValue(activation, out var known))
        {
            return known;
        }

        var names = (Unique(activation + "_quantized"), Unique(activation + "_scale"), Unique(activation + "_zero_point"));
        output.Add(NewNode("DynamicQuantizeLinear", Unique(activation + "_DynamicQuantizeLinear"), [activation], [names.Item1, names.Item2, names.Item3]));
        _activations[activation] = names;
        return names;
    }

    private static NodeProto NewNode(string op, string name, string[] inputs, string[] outputs, string domain = "")
    {
        var n = new NodeProto { Name = name, OpType = op, Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    /// <summary>
    /// [K, N1] .. [K, Nm] weights reading the same A: one [K, N1 + .. + Nm] weight (scales are per
    /// column, so the numbers are exactly those of the separate nodes), one node, a Split.
    /// </summary>
    private void EmitMerged(List<NodePlan> members, List<NodeProto> output)
    {
        var k = members[0].K;
        var n = members.Sum(m => m.N);
        var weight = new float[k * n];
        var offset = 0;
        foreach (var m in members)
        {
            for (var r = 0; r < k; r++)
            {
                Array.Copy(m.Weight, r * m.N, weight, (r * n) + offset, m.N);
            }

            offset += m.N;
        }

        var bias = members[0].Bias is null ? null : members.SelectMany(m => m.Bias!).ToArray();
        var name = string.Join("+", members.Select(m => m.Name));
        var joined = Unique(members[0].Output + "_merged");
        var plan = new NodePlan(members[0].Node, name, members[0].Activation, string.Join("|", members.Select(m => m.WeightKey)),
            weight, k, n, joined, bias, null, members[0].SourceWeight + "_merged", null);
        Emit(plan, output);
        foreach (var m in members)
        {
            _replacedWeights.Add(m.SourceWeight);
            if (m.SourceBias is not null)
            {
                _replacedWeights.Add(m.SourceBias);
            }
        }

        _replacedWeights.Remove(plan.SourceWeight);
        output.Add(SplitNode(name, joined, members));
        var last = Quantized[^1];
        Quantized[^1] = last with { OpType = $"MatMul x{members.Count} merged", Weight = string.Join("+", members.Select(m => m.SourceWeight)) };
    }

    /// <summary>Split of the merged output back into the members' outputs (opset 13+: sizes as an input; before: the attribute).</summary>
    private NodeProto SplitNode(string name, string joined, List<NodePlan> members)
    {
        var split = NewNode("Split", Unique(name + "_split"), [joined], [.. members.Select(m => m.Output)]);
        split.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 });
        var sizes = members.Select(m => (long)m.N).ToArray();
        if (_onnxOpset >= 13)
        {
            var t = new TensorProto { Name = Unique(name + "_split_sizes"), DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(sizes.AsSpan())) };
            t.Dims.Add(sizes.Length);
            _newInitializers.Add(t);
            split.Input.Add(t.Name);
        }
        else
        {
            var a = new AttributeProto { Name = "split", Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(sizes);
            split.Attribute.Add(a);
        }

        return split;
    }

    private void Emit(NodePlan p, List<NodeProto> output)
    {
        var (wq, ws, wzp) = WeightTensors(p, out var error);
        _replacedWeights.Add(p.SourceWeight);
        if (p.SourceBias is not null)
        {
            _replacedWeights.Add(p.SourceBias);
        }

        var bias = p.Bias is null ? null : FloatConstant(p.Name + "_bias", p.Bias);
        var biasFolded = bias is not null;
        switch (_o.Format)
        {
            case QuantizedOperatorFormat.DynamicQuantizeMatMul:
                output.Add(NewNode("DynamicQuantizeMatMul", Unique(p.Name + "_quant"),
                    [p.Activation, wq, ws, wzp, .. Optional(bias)], [p.Output], OnnxDynamicQuantizer.MicrosoftDomain));
                break;
            case QuantizedOperatorFormat.MatMulIntegerToFloat:
                var (aq, aScale, azp) = ActivationTensors(p.Activation, output);
                output.Add(NewNode("MatMulIntegerToFloat", Unique(p.Name + "_quant"),
                    [aq, wq, aScale, ws, azp, wzp, .. Optional(bias)], [p.Output], OnnxDynamicQuantizer.MicrosoftDomain));
                break;
            default:
                EmitIntegerChain(p, (wq, ws, wzp), bias, output);
                biasFolded = false;
                break;
        }

        Quantized.Add(new QuantizedNode(p.Name, p.Node.OpType, p.SourceWeight, p.K, p.N, biasFolded && p.Node.OpType == "MatMul", error));
    }

    private static string[] Optional(string? input) => input is null ? [] : [input];

    /// <summary>quantize_dynamic's QOperator chain: DQL -> MatMulInteger -> Cast -> Mul(a_scale * b_scale) [-> Add(bias) for Gemm].</summary>
    private void EmitIntegerChain(NodePlan p, (string Q, string Scale, string ZeroPoint) w, string? bias, List<NodeProto> output)
    {
        var (aq, aScale, azp) = ActivationTensors(p.Activation, output);
        var integer = Unique(p.Name + "_output_quantized");
        var asFloat = Unique(p.Name + "_output_quantized_cast_output");
        var cast = NewNode("Cast", Unique(p.Name + "_output_quantized_cast"), [integer], [asFloat]);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = FloatType });
        var scaleProduct = Unique(p.Name + "_scales_mul_output");
        var scaled = bias is null ? p.Output : Unique(p.Name + "_output_scaled");
        output.AddRange(
        [
            NewNode("MatMulInteger", Unique(p.Name + "_quant"), [aq, w.Q, azp, w.ZeroPoint], [integer]),
            cast,
            NewNode("Mul", Unique(p.Name + "_scales_mul"), [aScale, w.Scale], [scaleProduct]),
            NewNode("Mul", Unique(p.Name + "_output_scale_mul"), [asFloat, scaleProduct], [scaled]),
        ]);
        if (bias is not null)
        {
            output.Add(NewNode("Add", Unique(p.Name + "_bias_add"), [scaled, bias], [p.Output]));
        }
    }
}
