using Hangfire.Common;
using Hangfire.States;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// State election for reclassification jobs. A run that found another one in progress, or a chunk
/// job that found another copy of its chunk holding the chunk lock, is put back (scheduled after the
/// configured delay, keeping its job id). A failed chunk is retried with the run's backoff; after
/// its last retry it stays failed (the chunk job listed it in the run's failed chunks).
/// Runs before <see cref="Hangfire.AutomaticRetryAttribute"/> (order 20).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReclassificationStateFilterAttribute : JobFilterAttribute, IElectStateFilter
{
    public ReclassificationStateFilterAttribute() => Order = 10;

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not FailedState failed)
        {
            return;
        }

        switch (failed.Exception)
        {
            case RunInProgressException busy:
                context.CandidateState = PutBack(busy.RetryDelay, ReclassificationJobs.CoordinatorQueue, busy.Message);
                break;
            case ChunkInProgressException busyChunk:
                context.CandidateState = PutBack(busyChunk.RetryDelay, ReclassificationJobs.Queue, busyChunk.Message);
                break;
            case ChunkFailedException { WillRetry: true } chunk:
                context.SetJobParameter(ReclassificationJobs.RetryCountParameter, chunk.Attempt);
                context.CandidateState = PutBack(chunk.RetryDelay, ReclassificationJobs.Queue,
                    $"Retry attempt {chunk.Attempt} of {chunk.RetryAttempts}: {chunk.InnerException?.Message}");
                break;
        }
    }

    /// <summary>Enqueued again at once (no delay), else scheduled after the delay.</summary>
    private static IState PutBack(TimeSpan delay, string queue, string reason) =>
        delay <= TimeSpan.Zero ? new EnqueuedState(queue) { Reason = reason } : new ScheduledState(delay) { Reason = reason };
}
