using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Trending;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// The shared window in Redis, as the reference Flink job kept it, plus the baseline and tag pairs.
/// Ingest counts in the local counters; once per slide each replica sends what it counted since its
/// last flush (<see cref="RedisTrendingFlush"/>, one MULTI/EXEC), then, from the shared data, writes the
/// burst ranking to <c>hashtags:burst</c>. Reads (<see cref="RedisTrendingReads"/>) answer from Redis.
/// <para>
/// If Redis is down the counts stay pending in memory, readiness reports not ready, reads fall
/// back to the local counters and the flush is retried with backoff. Each replica keeps a marker key
/// that lives as long as the baseline: when a flush finds it gone (Redis restarted without
/// persistence), the replica sends all its live counts again, so no count within a window is lost.
/// </para>
/// </summary>
public sealed class RedisTrendingStore : ITrendingStore, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly TrendingCounters _counters;
    private readonly TrendingOptions _options;
    private readonly TimeProvider _time;
    private readonly TrendingMetrics _metrics;
    private readonly ILogger<RedisTrendingStore> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RedisTrendingKeys _keys;
    private readonly RedisTrendingReads _reads;
    private readonly RedisKey _marker;
    private volatile bool _flushedOnce;
    private volatile FlushFailure? _failure;
    private double _lastFlushMs;

    public RedisTrendingStore(
        IConnectionMultiplexer redis,
        TrendingCounters counters,
        IOptions<TrendingOptions> options,
        IOptions<RedisOptions> redisOptions,
        TimeProvider time,
        TrendingMetrics metrics,
        ILogger<RedisTrendingStore> logger)
    {
        _redis = redis;
        _counters = counters;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _keys = new RedisTrendingKeys(redisOptions.Value.KeyPrefix, _options);
        _reads = new RedisTrendingReads(redis, _keys, counters, _options);
        InstanceId = Guid.NewGuid().ToString("N");
        _marker = _keys.Marker(InstanceId);
    }

    public string Name => "redis";

    public TrendingCounters Counters => _counters;

    /// <summary>This replica's id in Redis key names.</summary>
    public string InstanceId { get; }

    public RedisTrendingKeys Keys => _keys;

    /// <summary>Key of the sorted set of bucket <paramref name="bucketId"/>.</summary>
    public string BucketKey(long bucketId) => _keys.Bucket(bucketId);

    public async Task<bool> SlideAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var flushed = await FlushAsync(cancellationToken);
            if (flushed)
            {
                await WriteBurstRankingAsync(cancellationToken);
            }

            return flushed;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            var since = _failure?.Since ?? _time.GetUtcNow();
            _failure = new FlushFailure(since, ex.Message);
            _metrics.FlushFailed();
            var pendingCount = _counters.Window.PendingCount;
            TrendingLog.RedisFlushFailed(_logger, pendingCount, ex.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> FlushAsync(CancellationToken cancellationToken)
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
            var pending = new TrendingPending(_counters.Window.TakePending(now), _counters.Baseline.TakePending(now), _counters.Pairs.TakePending(now));
            if (await RedisTrendingFlush.WriteAsync(_redis.GetDatabase(), _keys, _counters, _options, pending, now, _marker, InstanceId, _flushedOnce, cancellationToken))
            {
                _counters.Window.MarkFlushed(pending.Window);
                _counters.Baseline.MarkFlushed(pending.Baseline);
                _counters.Pairs.MarkFlushed(pending.Pairs);
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
            var pendingBefore = _counters.Window.PendingCount;
            TrendingLog.RedisResync(_logger, pendingBefore);
            _counters.Window.ResetFlushed();
            _counters.Baseline.ResetFlushed();
            _counters.Pairs.ResetFlushed();
            _flushedOnce = false;
        }

        return false;
    }

    /// <summary><c>hashtags:burst</c>: the shared window's candidates by burst score (one entry per tag), top N, replaced at once.</summary>
    private async Task WriteBurstRankingAsync(CancellationToken cancellationToken)
    {
        var candidates = await _reads.ReadAsync(_time.GetUtcNow(), pairs: false, cancellationToken);
        if (candidates is null)
        {
            return;
        }

        var scored = candidates.Tags
            .Select(t => (t.Key, Score: BurstScore.Of(t.Count, t.BaselineCount, candidates.Window, candidates.BaselineSpan, _options.Baseline.MinExpected).Score))
            .OrderByDescending(t => t.Score).ThenByDescending(t => t.Key, StringComparer.Ordinal)
            .Take(_options.TopN)
            .Select(t => new SortedSetEntry(t.Key, Math.Round(t.Score, 4)))
            .ToArray();
        var tran = _redis.GetDatabase().CreateTransaction();
        _ = tran.KeyDeleteAsync(_keys.Burst);
        if (scored.Length > 0)
        {
            _ = tran.SortedSetAddAsync(_keys.Burst, scored);
        }

        await tran.ExecuteAsync().WaitAsync(cancellationToken);
    }

    public async Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken)
    {
        top = Math.Clamp(top, 0, _options.TopN);
        var now = _time.GetUtcNow();
        if (Shared && top > 0)
        {
            try
            {
                if (await _reads.ReadTopAsync(top, now, _flushedOnce, cancellationToken) is { } shared)
                {
                    return shared;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                TrendingLog.RedisReadFailed(_logger, ex.Message);
            }
        }

        var (start, end) = _counters.Window.Bounds(now);
        return new TrendingSnapshot(_counters.Window.Top(top, now), start, end, _options.SourceName) { Rank = TrendingRank.Count };
    }

    public async Task<TrendingCandidates> ReadCandidatesAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (Shared)
        {
            try
            {
                if (await _reads.ReadAsync(now, pairs: true, cancellationToken) is { } shared && (shared.Tags.Count > 0 || _flushedOnce))
                {
                    return shared;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                TrendingLog.RedisReadFailed(_logger, ex.Message);
            }
        }

        return MemoryTrendingStore.LocalCandidates(_counters, _options, now);
    }

    /// <summary>Whether reads go to Redis: connected and the last flush did not fail.</summary>
    private bool Shared => _failure is null && _redis.IsConnected;

    public HealthCheckResult Health()
    {
        var data = new Dictionary<string, object>
        {
            ["store"] = Name,
            ["key"] = _options.RedisKey,
            ["burstKey"] = _options.EffectiveBurstRedisKey,
            ["pendingCounts"] = _counters.Window.PendingCount,
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
