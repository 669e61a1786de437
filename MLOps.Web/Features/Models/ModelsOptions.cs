using System.ComponentModel.DataAnnotations;

namespace MLOps.Web.Features.Models;

/// <summary>Model registry and inference settings (section <c>Models</c>).</summary>
public sealed class ModelsOptions
{
    public const string SectionName = "Models";

    /// <summary>Registry folder; relative paths resolve under the data directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string RegistryDirectory { get; set; } = "models";

    /// <summary>Model served when the registry has no recorded active version (<c>name@version</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$", ErrorMessage = "Models:ActiveModel must look like name@version.")]
    public string ActiveModel { get; set; } = "all-MiniLM-L6-v2@1";

    /// <summary>Write the built-in models into the registry on start.</summary>
    public bool MaterializeBuiltIns { get; set; } = true;

    /// <summary>
    /// Optional folder where built-in model files are extracted once and linked from, so that many
    /// registries on one machine (tests, several instances) share one copy.
    /// </summary>
    public string? BuiltInCacheDirectory { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 = the CPU count the process sees (cgroup-aware).</summary>
    [Range(0, 1024)]
    public int IntraOpNumThreads { get; set; }

    /// <summary>
    /// Let idle ONNX Runtime threads spin between operators. Off by default: on a shared or
    /// CPU-limited node spinning threads steal the cores the next operator needs (measured 2-8x
    /// slower under load, docs/benchmarks.md); turn it on for a dedicated inference node.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>Most sequences in one ONNX Runtime run.</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>How long the batcher waits for more concurrent requests before running (ms).</summary>
    [Range(0, 1000)]
    public int BatchDelayMilliseconds { get; set; } = 2;

    /// <summary>Sort queued sequences by length before cutting batches.</summary>
    public bool LengthBucketing { get; set; } = true;

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
}
