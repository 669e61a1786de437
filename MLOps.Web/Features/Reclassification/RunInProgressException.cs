namespace MLOps.Web.Features.Reclassification;

/// <summary>Thrown by a run that finds another run holding the lock; the job is put back, not failed.</summary>
public sealed class RunInProgressException : Exception
{
    public RunInProgressException(TimeSpan retryDelay)
        : base($"Another reclassification run is in progress; this one waits {retryDelay}.") => RetryDelay = retryDelay;

    public RunInProgressException()
        : this(TimeSpan.FromSeconds(30))
    {
    }

    public RunInProgressException(string message)
        : base(message)
    {
    }

    public RunInProgressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TimeSpan RetryDelay { get; }
}
