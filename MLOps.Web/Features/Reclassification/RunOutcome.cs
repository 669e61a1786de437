namespace MLOps.Web.Features.Reclassification;

/// <summary>Run statuses, as the API reports them. The rules that pick one are in <see cref="RunOutcome"/>.</summary>
public static class RunStatus
{
    public const string Pending = "pending";
    public const string Planning = "planning";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string CompletedWithFailures = "completed_with_failures";
    public const string Failed = "failed";
    public const string Skipped = "skipped";

    public static bool IsFinished(string? status) => RunOutcome.IsFinishedStatus(status);
}

/// <summary>What the coordinator does with a run it is handed.</summary>
public enum RunStep
{
    /// <summary>Nothing: the run was recorded finished.</summary>
    None,

    /// <summary>Plan it: it never started, planning was cut off, or planning failed and the job is retried.</summary>
    Plan,

    /// <summary>Resume it: it has a plan and is running; finished chunks are not redone.</summary>
    Resume,
}

/// <summary>
/// Every rule about a run's status, as a pure value: from the plan's chunk count and the done and
/// failed chunk sets (or a planning that found no tags, or failed) to the status, whether the run is
/// finished, the counts, the error text and what a finished run records. A chunk in both sets counts
/// as done (it was retried and succeeded); chunk numbers outside the plan are ignored.
/// </summary>
public sealed record RunOutcome
{
    public required string Status { get; init; }
    public int Chunks { get; init; }
    public int ChunksDone { get; init; }
    public int ChunksFailed { get; init; }
    public string? Error { get; init; }

    public int ChunksFinished => ChunksDone + ChunksFailed;

    /// <summary>Every planned chunk is done or failed (a planned run with no chunk: at once).</summary>
    public bool AllChunksFinished => ChunksFinished >= Chunks;

    /// <summary>The status is final: succeeded, completed with failures, failed or skipped.</summary>
    public bool IsFinished => IsFinishedStatus(Status);

    /// <summary>A finished run records when it wrote its tags' fields: when some chunk was written, or there was nothing to write.</summary>
    public bool WritesFieldTimes => ChunksDone > 0 || Chunks == 0;

    /// <summary>The plan's expired fields are forgotten only when no chunk failed (a failed chunk still holds them).</summary>
    public bool ForgetsRemovedFields => ChunksFailed == 0;

    /// <summary>
    /// A planned run: running while a chunk is neither done nor failed, then succeeded (no failed
    /// chunk), failed (no done chunk) or completed with failures.
    /// </summary>
    public static RunOutcome OfChunks(int chunks, int retryAttempts, IEnumerable<int> done, IEnumerable<int> failed)
    {
        var doneSet = done.Where(c => c >= 0 && c < chunks).ToHashSet();
        var failedSet = failed.Where(c => c >= 0 && c < chunks && !doneSet.Contains(c)).ToHashSet();
        var status = doneSet.Count + failedSet.Count < chunks ? RunStatus.Running
            : failedSet.Count == 0 ? RunStatus.Succeeded
            : doneSet.Count == 0 ? RunStatus.Failed
            : RunStatus.CompletedWithFailures;
        var error = failedSet.Count == 0 || status == RunStatus.Running ? null
            : $"{failedSet.Count} chunk(s) failed after {retryAttempts} retries: {string.Join(", ", failedSet.Order())}";
        return new RunOutcome { Status = status, Chunks = chunks, ChunksDone = doneSet.Count, ChunksFailed = failedSet.Count, Error = error };
    }

    /// <summary><see cref="OfChunks(int, int, IEnumerable{int}, IEnumerable{int})"/> for a plan and its stored progress.</summary>
    public static RunOutcome OfChunks(RunPlan plan, RunProgress progress) =>
        OfChunks(plan.ChunkCount, plan.RetryAttempts, progress.Done, progress.Failed);

    /// <summary>Planning found neither labels nor trending tags: nothing to score.</summary>
    public static RunOutcome Skipped(string why) => new() { Status = RunStatus.Skipped, Error = why };

    /// <summary>The process stopped before the run was planned, and its job (in memory) went with it: nothing was written.</summary>
    public static RunOutcome Interrupted() => new()
    {
        Status = RunStatus.Failed,
        Error = "interrupted by a restart before it was planned; nothing was written; start it again",
    };

    /// <summary>Planning threw: the run failed before any chunk (the coordinator's own retries plan it again).</summary>
    public static RunOutcome PlanningFailed(string error) => new() { Status = RunStatus.Failed, Error = error };

    public static bool IsFinishedStatus(string? status) =>
        status is RunStatus.Succeeded or RunStatus.CompletedWithFailures or RunStatus.Failed or RunStatus.Skipped;

    /// <summary>
    /// What a coordinator does with the run as stored: nothing when it was recorded finished (unless
    /// planning failed, which a retried coordinator plans again), resume it when it is running with a
    /// plan, else plan it.
    /// </summary>
    public static RunStep NextStep(RunState? state)
    {
        if (state is null)
        {
            return RunStep.Plan;
        }

        if (IsFinishedStatus(state.Status))
        {
            return state.Status == RunStatus.Failed && state.Plan is null ? RunStep.Plan : RunStep.None;
        }

        return state.Status == RunStatus.Running && state.Plan is not null ? RunStep.Resume : RunStep.Plan;
    }
}
