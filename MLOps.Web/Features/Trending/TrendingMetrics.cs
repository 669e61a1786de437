using System.Diagnostics.Metrics;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// Meter <c>MLOps.Web.Trending</c>: counters of posts, hashtags, malformed lines and reconnects
/// (rates come from the counters), per-second gauges over the last slide, and the Redis flush
/// latency histogram.
/// </summary>
public sealed class TrendingMetrics
{
    public const string MeterName = "MLOps.Web.Trending";

    private readonly Meter _meter;
    private readonly Counter<long> _posts;
    private readonly Counter<long> _hashtags;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _flushFailures;
    private readonly Histogram<double> _flushDuration;
    private long _postsTotal;
    private long _hashtagsTotal;
    private long _malformedTotal;
    private long _reconnectsTotal;
    private double _postsPerSecond;
    private double _hashtagsPerSecond;
    private (long Posts, long Hashtags, long Timestamp) _lastRate;

    public TrendingMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _posts = meter.CreateCounter<long>("mlops.trending.posts", "{post}", "Posts ingested.");
        _hashtags = meter.CreateCounter<long>("mlops.trending.hashtags", "{hashtag}", "Hashtags counted.");
        _malformed = meter.CreateCounter<long>("mlops.trending.malformed_lines", "{line}", "Source lines that could not be parsed and were skipped.");
        _reconnects = meter.CreateCounter<long>("mlops.trending.reconnects", "{reconnect}", "Stream reconnects, by reason.");
        _flushFailures = meter.CreateCounter<long>("mlops.trending.redis.flush_failures", "{flush}", "Redis flushes that failed and were kept for retry.");
        _flushDuration = meter.CreateHistogram<double>("mlops.trending.redis.flush.duration", "s", "Time of one Redis flush (ZINCRBY + ZUNIONSTORE transaction).");
        meter.CreateObservableGauge("mlops.trending.posts_per_second", () => Volatile.Read(ref _postsPerSecond), "{post}/s", "Posts per second over the last slide.");
        meter.CreateObservableGauge("mlops.trending.hashtags_per_second", () => Volatile.Read(ref _hashtagsPerSecond), "{hashtag}/s", "Hashtags per second over the last slide.");
    }

    /// <summary>
    /// <c>mlops.trending.leader</c> (1 while this replica reads the stream, 0 while it stands by; attribute
    /// <c>instance</c>) and <c>mlops.trending.leader_changes</c> (times it took or lost the lease).
    /// </summary>
    public void ObserveLeadership(Func<int> leading, Func<long> changes, string instance)
    {
        var tag = new KeyValuePair<string, object?>("instance", instance);
        _meter.CreateObservableGauge("mlops.trending.leader", () => new Measurement<int>(leading(), tag), "{replica}", "1 while this replica reads the stream source, 0 while it stands by.");
        _meter.CreateObservableCounter("mlops.trending.leader_changes", () => new Measurement<long>(changes(), tag), "{change}", "Times this replica took or lost the stream lease.");
    }

    public long PostsTotal => Interlocked.Read(ref _postsTotal);

    public long HashtagsTotal => Interlocked.Read(ref _hashtagsTotal);

    public long MalformedTotal => Interlocked.Read(ref _malformedTotal);

    public long ReconnectsTotal => Interlocked.Read(ref _reconnectsTotal);

    public double PostsPerSecond => Volatile.Read(ref _postsPerSecond);

    public void Ingested(int hashtags)
    {
        Interlocked.Increment(ref _postsTotal);
        Interlocked.Add(ref _hashtagsTotal, hashtags);
        _posts.Add(1);
        if (hashtags > 0)
        {
            _hashtags.Add(hashtags);
        }
    }

    public void Malformed(string source)
    {
        Interlocked.Increment(ref _malformedTotal);
        _malformed.Add(1, new KeyValuePair<string, object?>("source", source));
    }

    public void Reconnect(string source, string reason)
    {
        Interlocked.Increment(ref _reconnectsTotal);
        _reconnects.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("reason", reason));
    }

    public void RecordFlush(TimeSpan elapsed) => _flushDuration.Record(elapsed.TotalSeconds);

    public void FlushFailed() => _flushFailures.Add(1);

    /// <summary>Updates the per-second gauges; called once per slide.</summary>
    public void UpdateRates(TimeProvider time)
    {
        var now = time.GetTimestamp();
        var posts = PostsTotal;
        var hashtags = HashtagsTotal;
        var last = _lastRate;
        _lastRate = (posts, hashtags, now);
        if (last.Timestamp == 0)
        {
            return;
        }

        var seconds = time.GetElapsedTime(last.Timestamp, now).TotalSeconds;
        if (seconds > 0)
        {
            Volatile.Write(ref _postsPerSecond, (posts - last.Posts) / seconds);
            Volatile.Write(ref _hashtagsPerSecond, (hashtags - last.Hashtags) / seconds);
        }
    }
}
