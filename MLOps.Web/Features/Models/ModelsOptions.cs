using System.ComponentModel.DataAnnotations;
using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Features.Models;

/// <summary>
/// Model registry and inference settings (section <c>Models</c>). The ONNX Runtime session
/// defaults are the measured best on the 2-vCPU shared host the benchmarks ran on
/// (docs/benchmarks.md, "Throughput"): two inference workers sharing the CPUs (intra-op threads =
/// CPU count / 2), spinning off, optimisation level All, sequential execution, memory pattern and
/// CPU arena on.
/// </summary>
public sealed class ModelsOptions : IValidatableObject
{
    public const string SectionName = "Models";

    /// <summary>Registry folder; relative paths resolve under the data directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string RegistryDirectory { get; set; } = "models";

    /// <summary>
    /// Model served when the registry has no recorded active version (<c>name@version</c>). Default: the int8
    /// copy of MiniLM, as good as fp32 on the dev judgments and the genre task and 2.2x faster to embed
    /// (docs/benchmarks.md, "Quality cost of int8"). When start-up did not write it (<see cref="MaterializeQuantized"/>
    /// off, or its quantization failed) its fp32 source <c>all-MiniLM-L6-v2@1</c> serves, with a warning.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$", ErrorMessage = "Models:ActiveModel must look like name@version.")]
    public string ActiveModel { get; set; } = "all-MiniLM-L6-v2-int8@1";

    /// <summary>Write the built-in models into the registry on start.</summary>
    public bool MaterializeBuiltIns { get; set; } = true;

    /// <summary>
    /// Also write the int8 copy of each built-in embedding model as its own version
    /// (<c>all-MiniLM-L6-v2-int8@1</c>, <c>snowflake-arctic-embed-xs-int8@1</c>), checked by sha256 like
    /// the fp32 ones. <see cref="ActiveModel"/> decides what serves; its default is the MiniLM int8 copy, so turning
    /// this off serves the fp32 one unless ActiveModel names another version.
    /// </summary>
    public bool MaterializeQuantized { get; set; } = true;

    /// <summary>
    /// Optional folder where built-in model files are extracted once and linked from, so that many
    /// registries on one machine (tests, several instances) share one copy.
    /// </summary>
    public string? BuiltInCacheDirectory { get; set; }

    /// <summary>
    /// ONNX Runtime intra-op threads of each inference worker; 0 = the CPU count the process sees
    /// (cgroup-aware) divided by <see cref="InferenceWorkers"/>, at least 1.
    /// </summary>
    [Range(0, 1024)]
    public int IntraOpNumThreads { get; set; }

    /// <summary>
    /// Let idle ONNX Runtime threads spin between operators. Off by default: on a shared or
    /// CPU-limited node spinning threads steal the cores the next operator needs (measured 2-8x
    /// slower under load, docs/benchmarks.md); turn it on for a dedicated inference node.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>ONNX Runtime graph optimisation at load: Disabled, Basic, Extended or All (int8 needs Extended or All: 20-25 % slower at Basic).</summary>
    [EnumDataType(typeof(OnnxGraphOptimization))]
    public OnnxGraphOptimization GraphOptimizationLevel { get; set; } = OnnxGraphOptimization.All;

    /// <summary>Sequential (one node at a time; a transformer is a chain) or Parallel (independent nodes on inter-op threads: 30-40 % slower here).</summary>
    [EnumDataType(typeof(OnnxExecutionMode))]
    public OnnxExecutionMode ExecutionMode { get; set; } = OnnxExecutionMode.Sequential;

    /// <summary>Inter-op threads of the Parallel mode; 0 lets ONNX Runtime choose. Sequential uses none, so it must stay 1 there.</summary>
    [Range(0, 1024)]
    public int InterOpNumThreads { get; set; } = 1;

    /// <summary>ONNX Runtime's memory pattern (allocation plan reused across runs of the same shapes). No measurable effect here.</summary>
    public bool MemoryPattern { get; set; } = true;

    /// <summary>ONNX Runtime's CPU memory arena (tensor buffers kept between runs). No measurable gain from turning it off.</summary>
    public bool CpuMemoryArena { get; set; } = true;

    /// <summary>The session settings every loaded model version gets.</summary>
    public OnnxSessionSettings Session => new OnnxSessionSettings(
        IntraOpNumThreads, AllowSpinning, GraphOptimizationLevel, ExecutionMode, InterOpNumThreads, MemoryPattern, CpuMemoryArena).ForWorkers(InferenceWorkers);

    /// <summary>
    /// Most sequences in one ONNX Runtime run. Default 1: with two workers, one sequence per run is
    /// the fastest measured (no padding; the 12,000-document cold run 1.16x faster than at 32,
    /// docs/benchmarks.md), and each text is embedded alone, so an int8 version's scores do not
    /// depend on what else is in the request or chunk (dynamic int8 quantizes each run's
    /// activations with one scale). Larger batches pay off for bigger models or more threads per run.
    /// </summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 1;

    /// <summary>How long the batcher waits for more concurrent requests before running (ms).</summary>
    [Range(0, 1000)]
    public int BatchDelayMilliseconds { get; set; } = 2;

    /// <summary>Sort queued sequences by length before cutting batches.</summary>
    public bool LengthBucketing { get; set; } = true;

    /// <summary>
    /// Batches of one model run at the same time, each with <see cref="IntraOpNumThreads"/> threads
    /// (by default the CPUs shared among the workers). Default 2: MiniLM does not keep two cores
    /// busy inside one run, and two runs side by side on one thread each, with no barrier between
    /// them, embed level to 1.1x more documents/s than one run on both on a quiet 2-vCPU VM and
    /// 1.2-1.4x more when a neighbour is busy, and eight concurrent classify clients get 1.5-1.8x the
    /// requests/s (docs/benchmarks.md, "Data-parallel inference"); a lone request takes 2-3 ms
    /// longer on one thread. 1 runs batches one after the other on every CPU.
    /// </summary>
    [Range(1, 64)]
    public int InferenceWorkers { get; set; } = 2;

    /// <summary>The micro-batching settings every loaded model version gets.</summary>
    public BatchingSettings Batching => new(MaxBatchSize, TimeSpan.FromMilliseconds(BatchDelayMilliseconds), LengthBucketing, InferenceWorkers);

    /// <summary>Non-active versions kept loaded (for rollback and per-request model choice).</summary>
    [Range(0, 16)]
    public int MaxLoadedInactiveModels { get; set; } = 2;

    /// <summary>
    /// The only folder <c>POST /api/models {"path": ...}</c> registers from (relative paths resolve
    /// under the data directory; a relative request path under this folder). Default <c>incoming</c>.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string ImportDirectory { get; set; } = "incoming";

    /// <summary>Largest zip upload to <c>POST /api/models</c>, and most bytes it may expand to, in MiB.</summary>
    [Range(1, 16384)]
    public int MaxUploadMegabytes { get; set; } = 2048;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ExecutionMode == OnnxExecutionMode.Sequential && InterOpNumThreads != 1)
        {
            yield return new ValidationResult(
                "Models:InterOpNumThreads applies to Models:ExecutionMode=Parallel only; leave it at 1 with Sequential.",
                [nameof(InterOpNumThreads), nameof(ExecutionMode)]);
        }
    }
}
