using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// Gives every unfinished chunk of a run a live Hangfire job: enqueues one where the chunk has none
/// or its job is gone (deleted, expired, lost), and lists a chunk as failed when its job failed
/// outside the retry filter. The coordinator calls it when a run starts or resumes and every
/// <see cref="ReclassificationOptions.ChunkCheckInterval"/>.
/// </summary>
public sealed class ChunkDispatcher(IRunRepository runs, JobStorage storage, IBackgroundJobClient jobs, ILogger<ChunkDispatcher> logger)
{
    private static readonly HashSet<string> AliveStates = new(StringComparer.OrdinalIgnoreCase)
    {
        EnqueuedState.StateName, ScheduledState.StateName, ProcessingState.StateName, AwaitingState.StateName,
    };

    public async Task EnsureAsync(RunPlan plan, CancellationToken cancellationToken)
    {
        var progress = await runs.GetProgressAsync(plan.RunId, cancellationToken);
        var state = await runs.GetAsync(plan.RunId, cancellationToken);
        var known = state?.ChunkJobs ?? new Dictionary<int, string>();
        var finished = progress.Finished;
        var created = new Dictionary<int, string>();
        using var connection = storage.GetConnection();
        for (var chunk = 0; chunk < plan.ChunkCount; chunk++)
        {
            if (finished.Contains(chunk))
            {
                continue;
            }

            string? jobState = null;
            if (known.TryGetValue(chunk, out var jobId))
            {
                jobState = connection.GetStateData(jobId)?.Name;
                if (AliveStates.Contains(jobState ?? ""))
                {
                    continue;
                }

                if (jobState == FailedState.StateName)
                {
                    await runs.FailChunkAsync(plan.RunId, chunk, "the chunk job failed", cancellationToken);
                    continue;
                }
            }

            created[chunk] = Enqueue(plan.RunId, chunk);
            if (jobId is not null)
            {
                ReclassificationLog.ChunkRequeued(logger, plan.RunId, chunk, created[chunk], jobState ?? "missing");
            }
        }

        if (created.Count > 0)
        {
            await runs.SetChunkJobsAsync(plan.RunId, created, cancellationToken);
        }
    }

    private string Enqueue(string runId, int chunk) =>
        jobs.Create(
            Job.FromExpression<ReclassificationChunkJob>(j => j.RunAsync(runId, chunk, null, CancellationToken.None)),
            new EnqueuedState(ReclassificationJobs.Queue));
}
