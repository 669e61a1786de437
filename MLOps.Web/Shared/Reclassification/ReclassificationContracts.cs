namespace MLOps.Web.Shared.Reclassification;

/// <summary>Starts a reclassification run (Hangfire). Used by the API, by startup and by promotion.</summary>
public interface IReclassificationTrigger
{
    /// <summary>Enqueues a run; <paramref name="labels"/> null means the top trending tags. Returns the Hangfire job id.</summary>
    Task<string> EnqueueAsync(IReadOnlyList<string>? labels, string reason, CancellationToken cancellationToken);
}

/// <summary>
/// A run was asked for with labels that cannot be scored (<see cref="Errors"/> by field). Thrown by the
/// trigger whoever calls it (the API, start-up, promotion); the ProblemDetails handler makes it a 400.
/// </summary>
public sealed class InvalidRunRequestException(IDictionary<string, string[]> errors)
    : Exception(errors.Values.SelectMany(v => v).FirstOrDefault() ?? "Invalid run request.")
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}
