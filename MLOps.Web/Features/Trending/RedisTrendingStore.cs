using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Trending;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// The shared window in Redis, as the reference Flink job kept it. Ingest counts in the local
/// window; once per slide each replica sends what it counted since its last flush as <c>ZINCRBY</c>
/// into 10-second bucket sorted sets (<c>{prefix}trending:{key}:b:{bucketId}</c>, expiring after the
/// window), then <c>ZUNIONSTORE</c>s the window's buckets into <see cref="TrendingOptions.RedisKey"/>
/// (<c>hashtags</c>) and trims it to the top N with <c>ZREMRANGEBYRANK</c>; one MULTI/EXEC, so a
/// flush is all or nothing. Display forms go to a hash per window-length epoch.
/// <para>
/// If Redis is down the counts stay pending in memory, readiness reports not ready, reads fall
/// back to the local window and the flush is retried with backoff. Each replica keeps a marker key
/// that expires with the window: when a flush finds it gone (Redis restarted without persistence),
/// the replica sends its whole live window again, so no count within the window is lost.
/// </para>
/// </summary>
public sealed class RedisTrendingStore : ITrendingStore, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly SlidingWindowCounter _counter;
    private readonly TrendingOptions _options;
    private readonly TimeProvider _time;
    private readonly TrendingMetrics _metrics;
    private readonly ILogger<RedisTrendingStore> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _prefix;
    private readonly RedisKey _marker;
    private volatile bool _flushedOnce;
    private volatile FlushFailure? _failure;
    private double _lastFlushMs;

    public RedisTrendingStore(
        IConnectionMultiplexer redis,
        SlidingWindowCounter counter,
        IOptions<TrendingOptions> options,
        IOptions<RedisOptions> redisOptions,
        TimeProvider time,
        TrendingMetrics metrics,
        ILogger<RedisTrendingStore> logger)
    {
        _redis = redis;
        _counter = counter;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _prefix = $"{redisOptions.Value.KeyPrefix}trending:{_options.RedisKey}:";
        InstanceId = Guid.NewGuid().ToString("N");
        _marker = _prefix + "replica:" + InstanceId;
    }

    public string Name => "redis";

    public SlidingWindowCounter Local => _counter;

    /// <summary>This replica's id in Redis key names.</summary>
    public string InstanceId { get; }

    /// <summary>Key of the sorted set of bucket <paramref name="bucketId"/>.</summary>
    public string BucketKey(long bucketId) => _prefix + "b:" + bucketId.ToString(CultureInfo.InvariantCulture);

    private string DisplayKey(long epoch) => _prefix + "display:" + epoch.ToString(CultureInfo.InvariantCulture);

    private string MetaKey => _prefix + "meta";

    public async Task<bool> SlideAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var started = _time.GetTimestamp();
            if (!_redis.IsConnected)
            {
                // Fail fast instead of queueing behind the reconnect; the slide loop retries with backoff.
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected");
            }

            for (var attempt = 0; attempt < 2; attempt++)
            {
                var pending = _counter.TakePending(now);
                if (await WriteAsync(pending, now, requireMarker: _flushedOnce, cancellationToken))
                {
                    _counter.MarkFlushed(pending);
                    _flushedOnce = true;
                    var elapsed = _time.GetElapsedTime(started);
                    Volatile.Write(ref _lastFlushMs, elapsed.TotalMilliseconds);
                    _metrics.RecordFlush(elapsed);
                    if (_failure is { } previous)
                    {
                        _failure = null;
                        var downtime = _time.GetUtcNow() - previous.Since;
                        TrendingLog.RedisRecovered(_logger, pending.Total, downtime);
                    }

                    return true;
                }

                // The condition failed: our marker is gone, so Redis lost what we had flushed.
                var pendingCount = _counter.PendingCount;
                TrendingLog.RedisResync(_logger, pendingCount);
                _counter.ResetFlushed();
                _flushedOnce = false;
            }

            return false;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            var since = _failure?.Since ?? _time.GetUtcNow();
            _failure = new FlushFailure(since, ex.Message);
            _metrics.FlushFailed();
            var pendingCount = _counter.PendingCount;
            TrendingLog.RedisFlushFailed(_logger, pendingCount, ex.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> WriteAsync(PendingFlush pending, DateTimeOffset now, bool requireMarker, CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var tran = db.CreateTransaction();
        if (requireMarker)
        {
            tran.AddCondition(Condition.KeyExists(_marker));
        }

        var window = _counter.Window;
        var slide = _counter.Slide;
        foreach (var bucket in pending.Buckets)
        {
            RedisKey key = BucketKey(bucket.BucketId);
            foreach (var slot in bucket.Slots)
            {
                _ = tran.SortedSetIncrementAsync(key, slot.Key, slot.Delta);
            }

            var ttl = _counter.BucketStart(bucket.BucketId) + slide + window - now;
            _ = tran.KeyExpireAsync(key, ttl < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : ttl);
        }

        var current = _counter.BucketId(now);
        if (pending.Displays.Count > 0)
        {
            RedisKey displayKey = DisplayKey(current / _counter.BucketCount);
            var fields = new HashEntry[pending.Displays.Count];
            var i = 0;
            foreach (var (tag, display) in pending.Displays)
            {
                fields[i++] = new HashEntry(tag, display);
            }

            _ = tran.HashSetAsync(displayKey, fields);
            _ = tran.KeyExpireAsync(displayKey, window + window + slide);
        }

        var keys = new RedisKey[_counter.BucketCount];
        for (var b = 0; b < keys.Length; b++)
        {
            keys[b] = BucketKey(current - keys.Length + 1 + b);
        }

        RedisKey target = _options.RedisKey;
        _ = tran.SortedSetCombineAndStoreAsync(SetOperation.Union, target, keys);
        _ = tran.SortedSetRemoveRangeByRankAsync(target, 0, -(_options.TopN + 1));
        var (start, end) = _counter.Bounds(now);
        _ = tran.HashSetAsync(MetaKey,
        [
            new HashEntry("windowStart", start.ToUnixTimeMilliseconds()),
            new HashEntry("windowEnd", end.ToUnixTimeMilliseconds()),
            new HashEntry("source", _options.SourceName),
        ]);
        _ = tran.StringSetAsync(_marker, InstanceId, window + window + slide);
        return await tran.ExecuteAsync().WaitAsync(cancellationToken);
    }

    public async Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken)
    {
        top = Math.Clamp(top, 0, _options.TopN);
        var now = _time.GetUtcNow();
        if (_failure is null && top > 0 && _redis.IsConnected)
        {
            try
            {
                var shared = await ReadSharedAsync(top, now, cancellationToken);
                if (shared is not null)
                {
                    return shared;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                TrendingLog.RedisReadFailed(_logger, ex.Message);
            }
        }

        var (start, end) = _counter.Bounds(now);
        return new TrendingSnapshot(_counter.Top(top, now), start, end, _options.SourceName);
    }

    private async Task<TrendingSnapshot?> ReadSharedAsync(int top, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var metaTask = db.HashGetAsync(MetaKey, ["windowStart", "windowEnd"]);
        var entries = await db.SortedSetRangeByRankWithScoresAsync(_options.RedisKey, 0, top - 1, Order.Descending)
            .WaitAsync(cancellationToken);
        if (entries.Length == 0 && !_flushedOnce)
        {
            return null; // nothing shared yet: this replica's own counts are the best answer
        }

        var members = entries.Select(e => e.Element).ToArray();
        var epoch = _counter.BucketId(now) / _counter.BucketCount;
        var displays = members.Length == 0 ? [] : await db.HashGetAsync(DisplayKey(epoch), members).WaitAsync(cancellationToken);
        RedisValue[]? older = null;
        if (displays.Any(d => d.IsNull) && members.Length > 0)
        {
            older = await db.HashGetAsync(DisplayKey(epoch - 1), members).WaitAsync(cancellationToken);
        }

        var tags = new TrendingTag[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var tag = entries[i].Element.ToString();
            var display = !displays[i].IsNull ? displays[i].ToString()
                : older is not null && !older[i].IsNull ? older[i].ToString()
                : tag;
            tags[i] = new TrendingTag(tag, display, (long)entries[i].Score);
        }

        var meta = await metaTask.WaitAsync(cancellationToken);
        var (start, end) = _counter.Bounds(now);
        if (meta.Length == 2 && meta[0].TryParse(out long startMs) && meta[1].TryParse(out long endMs))
        {
            (start, end) = (DateTimeOffset.FromUnixTimeMilliseconds(startMs), DateTimeOffset.FromUnixTimeMilliseconds(endMs));
        }

        return new TrendingSnapshot(tags, start, end, _options.SourceName);
    }

    public HealthCheckResult Health()
    {
        var data = new Dictionary<string, object>
        {
            ["store"] = Name,
            ["key"] = _options.RedisKey,
            ["pendingCounts"] = _counter.PendingCount,
            ["lastFlushMs"] = Math.Round(Volatile.Read(ref _lastFlushMs), 2),
        };
        if (_failure is { } failure)
        {
            data["failingSince"] = failure.Since;
            return HealthCheckResult.Unhealthy(
                $"Redis flush failing since {failure.Since:O} ({failure.Message}); counting in memory and retrying with backoff.", data: data);
        }

        if (!_redis.IsConnected)
        {
            return HealthCheckResult.Unhealthy("Redis is not connected; counting in memory until it is back.", data: data);
        }

        return HealthCheckResult.Healthy($"Redis window '{_options.RedisKey}'", data);
    }

    public void Dispose() => _gate.Dispose();

    private sealed record FlushFailure(DateTimeOffset Since, string Message);
}
