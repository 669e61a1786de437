namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// A chunk failed on its <see cref="Attempt"/>-th try; carries the run's retry policy to
/// <see cref="ReclassificationStateFilterAttribute"/>. When <see cref="WillRetry"/> is false the
/// chunk job fails its job with it and lists the chunk as failed.
/// </summary>
public sealed class ChunkFailedException : Exception
{
    public ChunkFailedException(string runId, int chunk, int attempt, int retryAttempts, IReadOnlyList<int> retryDelaysSeconds, Exception inner)
        : base($"Chunk {chunk} of run {runId} failed: {inner.Message}", inner)
    {
        RunId = runId;
        Chunk = chunk;
        Attempt = attempt;
        RetryAttempts = retryAttempts;
        RetryDelaysSeconds = retryDelaysSeconds;
    }

    public ChunkFailedException()
        : this("unknown", -1, 1, 0, [], new InvalidOperationException())
    {
    }

    public ChunkFailedException(string message)
        : base(message)
    {
        RunId = "unknown";
        RetryDelaysSeconds = [];
    }

    public ChunkFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        RunId = "unknown";
        RetryDelaysSeconds = [];
    }

    public string RunId { get; }
    public int Chunk { get; }

    /// <summary>1 for the first try, 2 for the first retry, ...</summary>
    public int Attempt { get; }
    public int RetryAttempts { get; }
    public IReadOnlyList<int> RetryDelaysSeconds { get; }

    /// <summary>Another try follows (after <see cref="RetryDelay"/>): the attempt was not past the run's retries.</summary>
    public bool WillRetry => WillRetryAfter(Attempt, RetryAttempts);

    /// <summary>The delay before the next try.</summary>
    public TimeSpan RetryDelay => ReclassificationOptions.RetryDelay(RetryDelaysSeconds, Attempt);

    /// <summary>Try <paramref name="attempt"/> (1-based) that failed is retried while it is within <paramref name="retryAttempts"/>.</summary>
    public static bool WillRetryAfter(int attempt, int retryAttempts) => attempt <= retryAttempts;
}
