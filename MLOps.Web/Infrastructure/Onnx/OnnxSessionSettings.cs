using Microsoft.ML.OnnxRuntime;

namespace MLOps.Web.Infrastructure.Onnx;

/// <summary>How much of ONNX Runtime's graph optimiser runs when a session loads (its <c>GraphOptimizationLevel</c>).</summary>
public enum OnnxGraphOptimization
{
    /// <summary>No rewrite.</summary>
    Disabled,

    /// <summary>Constant folding and redundant-node removal only.</summary>
    Basic,

    /// <summary>Plus the fusions (LayerNormalization, Gelu, quantized GEMMs: what int8 needs).</summary>
    Extended,

    /// <summary>Plus layout optimisations (ONNX Runtime's default; the measured best here).</summary>
    All,
}

/// <summary>Whether independent branches of the graph run one after another or on inter-op threads.</summary>
public enum OnnxExecutionMode
{
    /// <summary>One node at a time, each using the intra-op threads (a transformer is a chain: the measured best).</summary>
    Sequential,

    /// <summary>Independent nodes on <see cref="OnnxSessionSettings.InterOpNumThreads"/> threads.</summary>
    Parallel,
}

/// <summary>ONNX Runtime settings for one session (docs/benchmarks.md, "Session options", has the measurements behind the defaults).</summary>
/// <param name="IntraOpNumThreads">Threads used inside one operator; 0 takes <see cref="Environment.ProcessorCount"/> (cgroup-aware).</param>
/// <param name="AllowSpinning">Let idle intra-op threads spin (ONNX Runtime's default); off is kinder to shared CPUs.</param>
/// <param name="GraphOptimization">The optimiser level applied at load.</param>
/// <param name="ExecutionMode">Sequential or parallel execution of the graph.</param>
/// <param name="InterOpNumThreads">Threads running independent nodes (parallel mode); 0 lets ONNX Runtime choose.</param>
/// <param name="MemoryPattern">Plan allocations from the first run's shapes and reuse the plan.</param>
/// <param name="CpuMemoryArena">Allocate tensors from ONNX Runtime's CPU arena (kept between runs).</param>
public sealed record OnnxSessionSettings(
    int IntraOpNumThreads = 0,
    bool AllowSpinning = true,
    OnnxGraphOptimization GraphOptimization = OnnxGraphOptimization.All,
    OnnxExecutionMode ExecutionMode = OnnxExecutionMode.Sequential,
    int InterOpNumThreads = 1,
    bool MemoryPattern = true,
    bool CpuMemoryArena = true)
{
    public int EffectiveIntraOpThreads => IntraOpNumThreads > 0 ? IntraOpNumThreads : Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// These settings for a model whose batches run on <paramref name="workers"/> threads at once:
    /// unset intra-op threads (0) become the CPU count shared among the workers (at least 1 each), so
    /// that workers × threads fill the CPUs without oversubscribing them. A set count stays.
    /// </summary>
    public OnnxSessionSettings ForWorkers(int workers) =>
        IntraOpNumThreads > 0 ? this : this with { IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, workers)) };

    /// <summary>One line for logs and benchmark headers.</summary>
    public string Describe() =>
        $"intra-op threads {EffectiveIntraOpThreads}, spinning {(AllowSpinning ? "on" : "off")}, optimisation {GraphOptimization}, " +
        $"{ExecutionMode}{(ExecutionMode == OnnxExecutionMode.Parallel ? $" ({InterOpNumThreads} inter-op threads)" : "")}, " +
        $"memory pattern {(MemoryPattern ? "on" : "off")}, CPU arena {(CpuMemoryArena ? "on" : "off")}";

    /// <summary>The ONNX Runtime session options these settings stand for (the caller disposes them).</summary>
    public Microsoft.ML.OnnxRuntime.SessionOptions ToSessionOptions()
    {
        var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = EffectiveIntraOpThreads,
            InterOpNumThreads = ExecutionMode == OnnxExecutionMode.Parallel ? InterOpNumThreads : 1,
            ExecutionMode = ExecutionMode == OnnxExecutionMode.Parallel ? Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_PARALLEL : Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimization switch
            {
                OnnxGraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                OnnxGraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                OnnxGraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            EnableMemoryPattern = MemoryPattern,
            EnableCpuMemArena = CpuMemoryArena,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", AllowSpinning ? "1" : "0");
        return options;
    }
}
