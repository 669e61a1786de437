using System.Runtime.InteropServices;
using Onnx;

namespace MLOps.Web.Infrastructure.Onnx.Quantization;

/// <summary>A row-major [K, N] weight quantized offline: the integer data, one scale and zero point per channel (or one), and its reconstruction error.</summary>
/// <param name="Data">The [K, N] integer values, row-major (int8 as two's complement bytes).</param>
/// <param name="Scales">One scale per output column (per channel) or one.</param>
/// <param name="ZeroPoints">One zero point per scale (0 for int8 symmetric).</param>
/// <param name="RelativeError">||W - s(q - zp)|| / ||W|| (Frobenius).</param>
internal sealed record QuantizedWeight(byte[] Data, float[] Scales, byte[] ZeroPoints, double RelativeError);

/// <summary>
/// Offline weight quantization, per output column n of W[K, N] (or one group for per-tensor):
/// int8 symmetric: s_n = max_k |w_kn| / 127 (1 for an all-zero column), q = clamp(round(w / s_n), -127, 127), zero point 0;
/// uint8 asymmetric: lo = min(w, 0), hi = max(w, 0), s = (hi - lo) / 255, zp = clamp(round(-lo / s), 0, 255),
/// q = clamp(round(w / s) + zp, 0, 255). Rounding is half to even, as in ONNX Runtime.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>Reads a float initializer (raw_data or float_data) as a row-major array.</summary>
    public static float[] ReadFloats(TensorProto t)
    {
        var count = checked((int)t.Dims.Aggregate(1L, (a, b) => a * b));
        if (!t.RawData.IsEmpty)
        {
            var data = new float[count];
            MemoryMarshal.Cast<byte, float>(t.RawData.Span).CopyTo(data);
            return data;
        }

        if (t.FloatData.Count == count)
        {
            return [.. t.FloatData];
        }

        throw new OnnxQuantizationException($"Initializer '{t.Name}' [{string.Join(",", t.Dims)}] has {t.FloatData.Count} float values where its shape needs {count}: the model is corrupt.");
    }

    public static QuantizedWeight QuantizeWeight(ReadOnlySpan<float> w, int k, int n, WeightEncoding encoding, bool perChannel, string name = "weight")
    {
        var (lo, hi) = Ranges(w, k, n, perChannel, name);
        var (scales, zeroPoints) = Parameters(lo, hi, encoding);
        var q = new byte[w.Length];
        double err2 = 0, norm2 = 0;
        for (var r = 0; r < k; r++)
        {
            for (var c = 0; c < n; c++)
            {
                var i = (r * n) + c;
                var ch = perChannel ? c : 0;
                var back = Encode(w[i], scales[ch], zeroPoints[ch], encoding, out q[i]);
                err2 += (w[i] - back) * (double)(w[i] - back);
                norm2 += w[i] * (double)w[i];
            }
        }

        return new QuantizedWeight(q, scales, zeroPoints, norm2 > 0 ? Math.Sqrt(err2 / norm2) : 0);
    }

    /// <summary>[min(w, 0), max(w, 0)] per channel; refuses a non-finite weight, naming where it is.</summary>
    private static (float[] Lo, float[] Hi) Ranges(ReadOnlySpan<float> w, int k, int n, bool perChannel, string name)
    {
        var channels = perChannel ? n : 1;
        var lo = new float[channels];
        var hi = new float[channels];
        for (var r = 0; r < k; r++)
        {
            var row = w.Slice(r * n, n);
            for (var c = 0; c < n; c++)
            {
                var v = row[c];
                if (!float.IsFinite(v))
                {
                    throw new OnnxQuantizationException($"Weight '{name}' holds a non-finite value ({v}) at [{r}, {c}]: the model is corrupt.");
                }

                var ch = perChannel ? c : 0;
                lo[ch] = Math.Min(lo[ch], v);
                hi[ch] = Math.Max(hi[ch], v);
            }
        }

        return (lo, hi);
    }

    private static (float[] Scales, byte[] ZeroPoints) Parameters(float[] lo, float[] hi, WeightEncoding encoding)
    {
        var scales = new float[lo.Length];
        var zeroPoints = new byte[lo.Length];
        for (var ch = 0; ch < lo.Length; ch++)
        {
            if (encoding == WeightEncoding.Int8Symmetric)
            {
                var absMax = Math.Max(Math.Abs(lo[ch]), Math.Abs(hi[ch]));
                scales[ch] = absMax > 0 ? absMax / 127f : 1f;
            }
            else
            {
                var range = hi[ch] - lo[ch];
                scales[ch] = range > 0 ? range / 255f : 1f;
                zeroPoints[ch] = (byte)Math.Clamp(MathF.Round(-lo[ch] / scales[ch], MidpointRounding.ToEven), 0, 255);
            }
        }

        return (scales, zeroPoints);
    }

    /// <summary>One value: its stored byte (int8 as two's complement) and the value it dequantizes back to.</summary>
    private static float Encode(float w, float scale, byte zeroPoint, WeightEncoding encoding, out byte stored)
    {
        if (encoding == WeightEncoding.Int8Symmetric)
        {
            var v = (sbyte)Math.Clamp(MathF.Round(w / scale, MidpointRounding.ToEven), -127, 127);
            stored = unchecked((byte)v);
            return v * scale;
        }

        var u = (int)Math.Clamp(MathF.Round(w / scale, MidpointRounding.ToEven) + zeroPoint, 0, 255);
        stored = (byte)u;
        return (u - zeroPoint) * scale;
    }
}
