using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLOps.Web.Infrastructure.Onnx;

/// <summary>How token embeddings become one sentence embedding.</summary>
public enum Pooling
{
    /// <summary>Average of the token vectors under the attention mask (sentence-transformers default).</summary>
    Mean,

    /// <summary>The first ([CLS]) token's vector (arctic-embed, BGE).</summary>
    Cls,
}

/// <summary>Where the time of a batch goes: inside <c>InferenceSession.Run</c> or in building tensors and pooling.</summary>
public sealed class InferenceTimings
{
    private long _runTicks;
    private long _prepareTicks;
    private long _postTicks;
    private long _batches;
    private long _items;

    public TimeSpan Run => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _runTicks));

    public TimeSpan Prepare => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _prepareTicks));

    public TimeSpan Post => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _postTicks));

    public long Batches => Interlocked.Read(ref _batches);

    public long Items => Interlocked.Read(ref _items);

    internal void Add(long prepare, long run, long post, int items)
    {
        Interlocked.Add(ref _prepareTicks, prepare);
        Interlocked.Add(ref _runTicks, run);
        Interlocked.Add(ref _postTicks, post);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _items, items);
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _runTicks, 0);
        Interlocked.Exchange(ref _prepareTicks, 0);
        Interlocked.Exchange(ref _postTicks, 0);
        Interlocked.Exchange(ref _batches, 0);
        Interlocked.Exchange(ref _items, 0);
    }
}

/// <summary>
/// One ONNX Runtime session for a transformer with inputs <c>input_ids</c>, <c>attention_mask</c> and
/// optionally <c>token_type_ids</c> (int64). Thread-safe: ORT sessions allow concurrent <c>Run</c>.
/// Inputs are padded to the longest sequence of the batch; tensors are built over managed arrays
/// with the OrtValue API (no copies).
/// </summary>
public sealed class OnnxModelSession : IDisposable
{
    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string TokenTypeIds = "token_type_ids";

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;

    public OnnxModelSession(string modelPath, OnnxSessionSettings settings)
    {
        if (!File.Exists(modelPath))
        {
            throw new ModelPackageException($"Missing model file '{Path.GetFileName(modelPath)}' in {Path.GetDirectoryName(modelPath)}.");
        }

        using var options = settings.ToSessionOptions();
        try
        {
            _session = new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelPackageException($"model.onnx cannot be loaded by ONNX Runtime: {e.Message}", e);
        }

        try
        {
            var inputs = _session.InputMetadata;
            foreach (var required in new[] { InputIds, AttentionMask })
            {
                if (!inputs.ContainsKey(required))
                {
                    throw new ModelPackageException(
                        $"model.onnx has no input '{required}' (inputs: {string.Join(", ", inputs.Keys)}).");
                }
            }

            foreach (var (name, meta) in inputs)
            {
                if (name is not (InputIds or AttentionMask or TokenTypeIds))
                {
                    throw new ModelPackageException($"model.onnx has an unsupported input '{name}'; expected input_ids, attention_mask and optionally token_type_ids.");
                }

                if (meta.ElementDataType != TensorElementType.Int64)
                {
                    throw new ModelPackageException($"model.onnx input '{name}' is {meta.ElementDataType}; int64 is required.");
                }
            }

            _inputNames = inputs.Keys.ToArray();
            HasTokenTypeIds = inputs.ContainsKey(TokenTypeIds);
            Outputs = _session.OutputMetadata.ToDictionary(o => o.Key, o => o.Value.Dimensions.Length);
        }
        catch
        {
            _session.Dispose();
            _runOptions.Dispose();
            throw;
        }
    }

    public bool HasTokenTypeIds { get; }

    /// <summary>Output names and their ranks.</summary>
    public IReadOnlyDictionary<string, int> Outputs { get; }

    public InferenceTimings Timings { get; } = new();

    /// <summary>Runs a padded batch and returns the named float output with its shape.</summary>
    public float[][] Run(IReadOnlyList<EncodedText> batch, string outputName, Func<ReadOnlySpan<float>, ReadOnlySpan<long>, long[], int, float[][]> postProcess)
    {
        var t0 = Stopwatch.GetTimestamp();
        var rows = batch.Count;
        var width = 0;
        foreach (var e in batch)
        {
            width = Math.Max(width, e.Length);
        }

        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var types = HasTokenTypeIds ? new long[rows * width] : null;
        for (var r = 0; r < rows; r++)
        {
            var e = batch[r];
            var offset = r * width;
            for (var i = 0; i < e.Length; i++)
            {
                ids[offset + i] = e.Ids[i];
                mask[offset + i] = 1;
            }

            if (types is not null && e.TypeIds is { } t)
            {
                for (var i = 0; i < t.Length; i++)
                {
                    types[offset + i] = t[i];
                }
            }
        }

        long[] shape = [rows, width];
        var values = new List<OrtValue>(3);
        try
        {
            foreach (var name in _inputNames)
            {
                values.Add(OrtValue.CreateTensorValueFromMemory(
                    name switch { InputIds => ids, AttentionMask => mask, _ => types! }, shape));
            }

            var t1 = Stopwatch.GetTimestamp();
            using var outputs = _session.Run(_runOptions, _inputNames, values, [outputName]);
            var t2 = Stopwatch.GetTimestamp();
            var output = outputs[0];
            var outShape = output.GetTensorTypeAndShape().Shape;
            var result = postProcess(output.GetTensorDataAsSpan<float>(), outShape, mask, width);
            var t3 = Stopwatch.GetTimestamp();
            Timings.Add(t1 - t0, t2 - t1, t3 - t2, rows);
            return result;
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>Sentence embeddings (pooled, L2-normalised) from a token-level or sentence-level output.</summary>
    public float[][] RunEmbeddings(IReadOnlyList<EncodedText> batch, string outputName, Pooling pooling) =>
        Run(batch, outputName, (data, shape, mask, width) => Pool(data, shape, mask, width, pooling));

    /// <summary>The rows of a <c>[batch, classes]</c> output (logits).</summary>
    public float[][] RunRows(IReadOnlyList<EncodedText> batch, string outputName) =>
        Run(batch, outputName, (data, shape, _, _) =>
        {
            if (shape.Length != 2)
            {
                throw new ModelPackageException($"Output '{outputName}' has rank {shape.Length}; [batch, classes] expected.");
            }

            var n = (int)shape[1];
            var rows = new float[shape[0]][];
            for (var r = 0; r < rows.Length; r++)
            {
                rows[r] = data.Slice(r * n, n).ToArray();
            }

            return rows;
        });

    internal static float[][] Pool(ReadOnlySpan<float> data, ReadOnlySpan<long> shape, long[] mask, int width, Pooling pooling)
    {
        if (shape.Length == 2)
        {
            // Already one vector per sentence (e.g. a sentence_embedding output).
            var d2 = (int)shape[1];
            var direct = new float[shape[0]][];
            for (var r = 0; r < direct.Length; r++)
            {
                direct[r] = data.Slice(r * d2, d2).ToArray();
                Normalize(direct[r]);
            }

            return direct;
        }

        if (shape.Length != 3)
        {
            throw new ModelPackageException($"Embedding output has rank {shape.Length}; [batch, tokens, hidden] expected.");
        }

        var rows = (int)shape[0];
        var tokens = (int)shape[1];
        var dim = (int)shape[2];
        var result = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            var v = new float[dim];
            var baseIndex = r * tokens * dim;
            if (pooling == Pooling.Cls)
            {
                data.Slice(baseIndex, dim).CopyTo(v);
            }
            else
            {
                var count = 0;
                for (var t = 0; t < tokens; t++)
                {
                    if (mask[(r * width) + t] == 0)
                    {
                        continue;
                    }

                    System.Numerics.Tensors.TensorPrimitives.Add(v, data.Slice(baseIndex + (t * dim), dim), v);
                    count++;
                }

                if (count > 0)
                {
                    System.Numerics.Tensors.TensorPrimitives.Divide(v, count, v);
                }
            }

            Normalize(v);
            result[r] = v;
        }

        return result;
    }

    internal static void Normalize(Span<float> v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (norm > 1e-12f)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
