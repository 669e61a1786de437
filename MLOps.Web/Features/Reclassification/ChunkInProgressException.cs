namespace MLOps.Web.Features.Reclassification;

/// <summary>Thrown by a chunk job that finds another copy of its chunk holding the chunk lock; the job is put back, not failed.</summary>
public sealed class ChunkInProgressException : Exception
{
    public ChunkInProgressException(TimeSpan retryDelay)
        : base($"Another copy of this chunk holds its lock; this one waits {retryDelay}.") => RetryDelay = retryDelay;

    public ChunkInProgressException()
        : this(TimeSpan.FromSeconds(30))
    {
    }

    public ChunkInProgressException(string message)
        : base(message)
    {
    }

    public ChunkInProgressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TimeSpan RetryDelay { get; }
}
