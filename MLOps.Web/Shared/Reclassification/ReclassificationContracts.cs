namespace MLOps.Web.Shared.Reclassification;

/// <summary>Starts a reclassification run (Hangfire). Used by the API, by startup and by promotion.</summary>
public interface IReclassificationTrigger
{
    /// <summary>Enqueues a run; <paramref name="labels"/> null means the top trending tags. Returns the Hangfire job id.</summary>
    Task<string> EnqueueAsync(IReadOnlyList<string>? labels, string reason, CancellationToken cancellationToken);
}
