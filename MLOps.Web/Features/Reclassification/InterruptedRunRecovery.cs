using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using MLOps.Web.Infrastructure.Redis;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// On the embedded defaults, runs outlive their jobs: the run history is files under
/// <c>&lt;data&gt;/runs</c> (<see cref="FileRunRepository"/>) but Hangfire's InMemory storage starts
/// empty, so a run cut off by a restart (SIGTERM or <c>kill -9</c>) would stay "running" forever. At
/// start, before the Hangfire server takes jobs, every unfinished run is either resumed (it has a
/// plan: a <see cref="ReclassificationCoordinatorJob.ResumeAsync"/> job carries on, finished chunks
/// are not redone) or recorded failed with the reason (it was cut off before its plan was stored,
/// and its labels went with its job). With Redis the jobs themselves survive and Hangfire requeues
/// them, so this does nothing there.
/// </summary>
public sealed partial class InterruptedRunRecovery(
    StorageTopology topology,
    IRunRepository runs,
    IBackgroundJobClient jobs,
    TimeProvider time,
    ILogger<InterruptedRunRecovery> logger) : IHostedService
{
    /// <summary>Completes when the recovery pass is done (tests wait on it).</summary>
    public Task Completion => _done.Task;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!topology.UsesRedis)
            {
                await RecoverAsync(cancellationToken);
            }
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Resumes or records every unfinished run; returns how many of each.</summary>
    internal async Task<(int Resumed, int Recorded)> RecoverAsync(CancellationToken cancellationToken)
    {
        var (resumed, recorded) = (0, 0);
        foreach (var run in await runs.ListAsync(cancellationToken))
        {
            if (RunStatus.IsFinished(run.Status))
            {
                continue;
            }

            if (RunOutcome.NextStep(run) == RunStep.Resume)
            {
                var jobId = jobs.Create(
                    Job.FromExpression<ReclassificationCoordinatorJob>(j => j.ResumeAsync(run.RunId, null, CancellationToken.None)),
                    new EnqueuedState(ReclassificationJobs.CoordinatorQueue));
                LogResumed(logger, run.RunId, jobId);
                resumed++;
            }
            else
            {
                await runs.FinishAsync(run.RunId, RunOutcome.Interrupted(), time.GetUtcNow(), cancellationToken);
                LogRecorded(logger, run.RunId, run.Status);
                recorded++;
            }
        }

        return (resumed, recorded);
    }

    [LoggerMessage(EventId = 5030, Level = LogLevel.Information, Message = "Run {RunId} was cut off by a restart; job {JobId} resumes it (finished chunks are not redone)")]
    private static partial void LogResumed(ILogger logger, string runId, string jobId);

    [LoggerMessage(EventId = 5031, Level = LogLevel.Warning, Message = "Run {RunId} was cut off by a restart while {Status}, before its plan was stored; recorded failed")]
    private static partial void LogRecorded(ILogger logger, string runId, string status);
}
