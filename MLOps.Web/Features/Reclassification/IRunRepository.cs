using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Features.Reclassification;

/// <summary>A run as stored: its recorded status, times, plan and the Hangfire job of each chunk.</summary>
public sealed record RunState
{
    public required string RunId { get; init; }
    public required string Status { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public RunPlan? Plan { get; init; }
    public string? Error { get; init; }

    /// <summary>Chunk -> id of the Hangfire job enqueued for it (the latest one).</summary>
    public IReadOnlyDictionary<int, string> ChunkJobs { get; init; } = new Dictionary<int, string>();
}

/// <summary>A run's chunks as stored, read in one call: which are done and failed, their stats and errors.</summary>
public sealed record RunProgress
{
    public static RunProgress Empty { get; } = new();

    /// <summary>The recorded status, or null when the run is unknown.</summary>
    public string? Status { get; init; }
    public IReadOnlySet<int> Done { get; init; } = new HashSet<int>();
    public IReadOnlySet<int> Failed { get; init; } = new HashSet<int>();
    public IReadOnlyDictionary<int, ChunkStats> Stats { get; init; } = new Dictionary<int, ChunkStats>();
    public IReadOnlyDictionary<int, string> Errors { get; init; } = new Dictionary<int, string>();

    /// <summary>Done or failed.</summary>
    public IReadOnlySet<int> Finished => Done.Union(Failed).ToHashSet();
}

/// <summary>
/// Where runs are kept, so that every server (on every replica) sees the same plan, the same chunk
/// completion and the same history: Redis when it is configured (<see cref="RedisRunRepository"/>),
/// else files in the data directory (<see cref="FileRunRepository"/>), which survive a restart.
/// Chunk completion is a set, not a counter: a chunk done twice counts once. Also keeps when each
/// classification field was last written (field retention) and the startup run's claim.
/// </summary>
public interface IRunRepository
{
    /// <summary>The run, or null when it never started.</summary>
    Task<RunState?> GetAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Every run of the history, newest first; unfinished ones too (a run a restart cut off can be found).</summary>
    Task<IReadOnlyList<RunState>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The run's done and failed chunks, stats and errors, and its recorded status, in one read.</summary>
    Task<RunProgress> GetProgressAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Starts (or restarts, after a failed planning) the run's record as planning; the first creation time is kept.</summary>
    Task MarkPlanningAsync(string runId, string reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the chunk id lists, the plan and the tag plans every chunk scores from (kept apart from the
    /// run's record, so listing the history does not read hypotheses and hit lists), and marks the run
    /// running, in one step.
    /// </summary>
    Task SavePlanAsync(RunPlan plan, IReadOnlyList<IReadOnlyList<string>> chunks, IReadOnlyList<TagPlan> tagPlans, CancellationToken cancellationToken);

    /// <summary>The run's tag plans, in the plan's tag order; empty when it has none (a cross-encoder run, or planned before tag plans existed).</summary>
    Task<IReadOnlyList<TagPlan>> GetTagPlansAsync(string runId, CancellationToken cancellationToken);

    /// <summary>The document ids of one chunk of the plan.</summary>
    Task<IReadOnlyList<string>> GetChunkIdsAsync(string runId, int chunk, CancellationToken cancellationToken);

    Task SetChunkJobsAsync(string runId, IReadOnlyDictionary<int, string> jobs, CancellationToken cancellationToken);

    Task<bool> IsChunkFinishedAsync(string runId, int chunk, CancellationToken cancellationToken);

    /// <summary>Adds the chunk to the done set with its stats (and takes it out of the failed set), atomically.</summary>
    Task CompleteChunkAsync(string runId, int chunk, ChunkStats stats, CancellationToken cancellationToken);

    /// <summary>Lists the chunk as failed with its error, unless it is done; atomically.</summary>
    Task FailChunkAsync(string runId, int chunk, string? error, CancellationToken cancellationToken);

    /// <summary>The run's completion lock: whoever holds it and finds the run unfinished records it.</summary>
    Task<RunLock> LockCompletionAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Records a finished outcome (status and error) and the time.</summary>
    Task FinishAsync(string runId, RunOutcome outcome, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Removes the oldest finished runs beyond <paramref name="limit"/>.</summary>
    Task TrimAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Classification field -> when a run last wrote it.</summary>
    Task<IReadOnlyDictionary<string, DateTimeOffset>> GetFieldTimesAsync(CancellationToken cancellationToken);

    Task SetFieldTimesAsync(IEnumerable<string> fields, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Starts the retention clock of fields that no run here has recorded; known fields keep theirs.</summary>
    Task TrackUnknownFieldsAsync(IEnumerable<string> fields, DateTimeOffset at, CancellationToken cancellationToken);

    Task ForgetFieldsAsync(IEnumerable<string> fields, CancellationToken cancellationToken);

    /// <summary>Whether any run was ever recorded or a startup run already claimed.</summary>
    Task<bool> AnyRunOrStartupClaimAsync(CancellationToken cancellationToken);

    Task ClaimStartupAsync(string jobId, DateTimeOffset at, CancellationToken cancellationToken);
}
