using System.ComponentModel.DataAnnotations;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Where document embeddings are cached between runs.</summary>
public enum EmbeddingCacheKind
{
    /// <summary>Redis when <c>Redis:ConnectionString</c> is set, else the data directory.</summary>
    Auto,

    /// <summary>One append-only file per model sha256 under the data directory.</summary>
    Disk,

    /// <summary>One Redis hash per model sha256 (shared by every replica).</summary>
    Redis,

    /// <summary>No cache: every run embeds every document.</summary>
    None,
}

/// <summary>Nightly and on-demand reclassification (<c>Reclassification</c> section).</summary>
public sealed class ReclassificationOptions
{
    public const string SectionName = "Reclassification";

    /// <summary>Cron of the recurring job <c>reclassify-trending</c> (5 or 6 fields); empty disables the schedule.</summary>
    public string? Cron { get; set; } = "0 3 * * *";

    /// <summary>Time zone id the cron is read in (IANA or Windows id).</summary>
    [Required(AllowEmptyStrings = false)]
    public string TimeZone { get; set; } = "UTC";

    /// <summary>How many of the top trending tags a run scores when no labels are given.</summary>
    [Range(1, 100)]
    public int TopTags { get; set; } = 5;

    /// <summary>How the trending topics a run scores are chosen: <c>burst</c> (what is new, the default) or <c>count</c>.</summary>
    public TrendingRank TrendingRank { get; set; } = TrendingRank.Burst;

    /// <summary>Documents per chunk job.</summary>
    [Range(1, 100_000)]
    public int ChunkSize { get; set; } = 500;

    /// <summary>Retries of a failed chunk before it is listed as failed.</summary>
    [Range(0, 20)]
    public int RetryAttempts { get; set; } = 3;

    /// <summary>Delay before each retry, in seconds; the last one repeats. 0 re-enqueues at once. Unset: 10, 60, 300.</summary>
    public int[]? RetryDelaysSeconds { get; set; }

    /// <summary>The configured retry delays, or the defaults (10, 60, 300 s).</summary>
    public IReadOnlyList<int> EffectiveRetryDelaysSeconds => RetryDelaysSeconds is { Length: > 0 } d ? d : [10, 60, 300];

    /// <summary>How long the fields of a tag that left the trending set are kept before being removed.</summary>
    public TimeSpan FieldRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Run once at startup when no document has ever been classified.</summary>
    public bool RunAtStartup { get; set; } = true;

    /// <summary>How long the startup run waits for a model, documents and trending tags.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the startup check looks again while waiting.</summary>
    public TimeSpan StartupPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>When a run is already in progress, a new run job is put back for this long (0: re-enqueued at once); so is a chunk job whose chunk lock another copy holds.</summary>
    public TimeSpan BusyRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the coordinator updates progress (job parameter and log) while chunks run.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the coordinator checks that every unfinished chunk still has a live job (re-enqueues lost ones).</summary>
    public TimeSpan ChunkCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Hypothesis template; null takes the model manifest's default.</summary>
    public string? HypothesisTemplate { get; set; }

    public EmbeddingCacheKind EmbeddingCache { get; set; } = EmbeddingCacheKind.Auto;

    /// <summary>Folder of the on-disk embedding cache, relative to the data directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string CacheDirectory { get; set; } = "embedding-cache";

    /// <summary>How many runs the history keeps.</summary>
    [Range(1, 10_000)]
    public int HistoryLimit { get; set; } = 100;

    /// <summary>The delay before retry <paramref name="attempt"/> (1-based).</summary>
    public static TimeSpan RetryDelay(IReadOnlyList<int> delaysSeconds, int attempt) =>
        delaysSeconds.Count == 0
            ? TimeSpan.Zero
            : TimeSpan.FromSeconds(delaysSeconds[Math.Clamp(attempt - 1, 0, delaysSeconds.Count - 1)]);
}
