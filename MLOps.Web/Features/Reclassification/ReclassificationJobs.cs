namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// The names the reclassification jobs share with Hangfire: the queues, and the job parameters they
/// write. The jobs are <see cref="ReclassificationCoordinatorJob"/> (one per run; its job id is the
/// run id) and <see cref="ReclassificationChunkJob"/> (one per chunk).
/// </summary>
public static class ReclassificationJobs
{
    /// <summary>Chunk jobs: every server on every replica takes them.</summary>
    public const string Queue = "reclassify";

    /// <summary>Coordinator jobs.</summary>
    public const string CoordinatorQueue = "default";

    /// <summary>Job parameter of the run's (coordinator's) job: the progress text shown on its dashboard page.</summary>
    public const string ProgressParameter = "Progress";

    /// <summary>Job parameter of a chunk job: how many retries it had.</summary>
    internal const string RetryCountParameter = "ReclassifyRetryCount";
}
