using Hangfire;
using Hangfire.States;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// <c>POST /api/evaluations/champion-challenger</c> enqueues at most one job at a time: while the last
/// one is still queued or running, a request gets that job back (<c>coalesced: true</c>) instead of a
/// new one (204 requests in one second enqueued 204 jobs before). The per-client rate limit
/// (<c>RateLimits:Jobs</c>) bounds the rest.
/// </summary>
public sealed class ChampionChallengerRequests(IBackgroundJobClient jobs, JobStorage storage)
{
    private static readonly HashSet<string> Pending = new(StringComparer.OrdinalIgnoreCase)
    {
        EnqueuedState.StateName, ProcessingState.StateName, ScheduledState.StateName, AwaitingState.StateName,
    };

    private readonly Lock _gate = new();
    private string? _last;

    /// <summary>The job that will run: the pending one, or a new one.</summary>
    public (string JobId, bool Coalesced) Enqueue(string reason)
    {
        lock (_gate)
        {
            if (_last is not null && IsPending(_last))
            {
                return (_last, true);
            }

            _last = jobs.Enqueue<ChampionChallengerJob>(j => j.RunAsync(reason, CancellationToken.None));
            return (_last, false);
        }
    }

    private bool IsPending(string jobId)
    {
        using var connection = storage.GetConnection();
        return Pending.Contains(connection.GetStateData(jobId)?.Name ?? "");
    }
}
