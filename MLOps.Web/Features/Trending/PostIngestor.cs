using System.Text.Json.Serialization;

namespace MLOps.Web.Features.Trending;

/// <summary>The hot path every source feeds: extract hashtags, count them in the local counters (window, baseline, pairs), update metrics.</summary>
public sealed class PostIngestor(ITrendingStore store, HashtagExtractor extractor, TrendingMetrics metrics, TimeProvider time)
{
    /// <summary>Counts one post: <paramref name="hashtags"/> when the source supplies entities (even empty), else the hashtags found in <paramref name="text"/>. Returns how many were counted.</summary>
    public int Ingest(string? text, IReadOnlyList<string>? hashtags)
    {
        var found = store.Counters.AddPost(extractor, text, hashtags, time.GetUtcNow());
        metrics.Ingested(found);
        return found;
    }

    /// <summary>Records a line that could not be parsed.</summary>
    public void Malformed(string source) => metrics.Malformed(source);
}

/// <summary>One line of a replay file, or one pushed post.</summary>
public sealed record PostLine(
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("hashtags")] List<string>? Hashtags);

/// <summary>Wakes SSE streams once per slide.</summary>
public sealed class TrendingSlideSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next slide.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => Volatile.Read(ref _next).Task.WaitAsync(cancellationToken);

    public void Pulse() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
