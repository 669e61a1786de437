using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>What one replica sends in one flush: the unflushed counts of its three counters.</summary>
public sealed record TrendingPending(PendingFlush Window, PendingFlush Baseline, PendingFlush Pairs)
{
    public long Total => Window.Total;
}

/// <summary>
/// One flush as one MULTI/EXEC (all or nothing), conditional on the replica's marker when it has
/// flushed before: <c>ZINCRBY</c> into the slide, baseline and pair buckets (each bucket key expires when
/// it leaves its window), display forms, <c>ZUNIONSTORE</c> of the window's buckets into <c>window</c>
/// (trimmed to the candidates), <c>hashtags</c> = its top N (<c>ZRANGESTORE</c>: the same members and
/// scores as the union trimmed by rank, as before), the pairs' union into <c>pairs</c> (trimmed), the
/// <c>meta</c> hash and the marker (kept as long as the baseline, so deltas are never sent twice).
/// </summary>
internal static class RedisTrendingFlush
{
    public static Task<bool> WriteAsync(
        IDatabase db, RedisTrendingKeys keys, TrendingCounters counters, TrendingOptions options,
        TrendingPending pending, DateTimeOffset now, RedisKey marker, string instance, bool requireMarker, CancellationToken cancellationToken)
    {
        var tran = db.CreateTransaction();
        if (requireMarker)
        {
            tran.AddCondition(Condition.KeyExists(marker));
        }

        var (window, baseline, pairs) = (counters.Window, counters.Baseline, counters.Pairs);
        AddBuckets(tran, pending.Window, keys.Bucket, window, now);
        AddBuckets(tran, pending.Baseline, keys.BaselineBucket, baseline, now);
        AddBuckets(tran, pending.Pairs, keys.PairBucket, pairs, now);
        AddDisplays(tran, pending.Window, keys, window, now);

        var current = window.BucketId(now);
        _ = tran.SortedSetCombineAndStoreAsync(SetOperation.Union, keys.Window, RedisTrendingKeys.Range(keys.Bucket, current, window.BucketCount));
        _ = tran.SortedSetRemoveRangeByRankAsync(keys.Window, 0, -(options.Candidates + 1));
        _ = tran.SortedSetRangeAndStoreAsync(keys.Window, keys.Top, 0, options.TopN - 1, order: Order.Descending);
        _ = tran.SortedSetCombineAndStoreAsync(SetOperation.Union, keys.Pairs, RedisTrendingKeys.Range(keys.PairBucket, current, pairs.BucketCount));
        _ = tran.SortedSetRemoveRangeByRankAsync(keys.Pairs, 0, -(options.Topics.MaxPairs + 1));

        var (start, end) = window.Bounds(now);
        var keep = baseline.Window + baseline.Slide;
        _ = tran.HashSetAsync(keys.Meta,
        [
            new HashEntry("windowStart", start.ToUnixTimeMilliseconds()),
            new HashEntry("windowEnd", end.ToUnixTimeMilliseconds()),
            new HashEntry("source", options.SourceName),
        ]);
        _ = tran.HashSetAsync(keys.Meta, "since", counters.Since.ToUnixTimeMilliseconds(), When.NotExists);
        _ = tran.KeyExpireAsync(keys.Meta, keep);
        _ = tran.StringSetAsync(marker, instance, keep);
        return tran.ExecuteAsync().WaitAsync(cancellationToken);
    }

    /// <summary>ZINCRBY per tag and bucket; each bucket key expires one window after its end.</summary>
    private static void AddBuckets(ITransaction tran, PendingFlush pending, Func<long, string> keyOf, SlidingWindowCounter counter, DateTimeOffset now)
    {
        foreach (var bucket in pending.Buckets)
        {
            RedisKey key = keyOf(bucket.BucketId);
            foreach (var slot in bucket.Slots)
            {
                _ = tran.SortedSetIncrementAsync(key, slot.Key, slot.Delta);
            }

            var ttl = counter.BucketStart(bucket.BucketId) + counter.Slide + counter.Window - now;
            _ = tran.KeyExpireAsync(key, ttl < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : ttl);
        }
    }

    /// <summary>Display forms into the hash of the current window-length epoch (read with the one before).</summary>
    private static void AddDisplays(ITransaction tran, PendingFlush pending, RedisTrendingKeys keys, SlidingWindowCounter window, DateTimeOffset now)
    {
        if (pending.Displays.Count == 0)
        {
            return;
        }

        RedisKey displayKey = keys.Display(window.BucketId(now) / window.BucketCount);
        var fields = new HashEntry[pending.Displays.Count];
        var i = 0;
        foreach (var (tag, display) in pending.Displays)
        {
            fields[i++] = new HashEntry(tag, display);
        }

        _ = tran.HashSetAsync(displayKey, fields);
        _ = tran.KeyExpireAsync(displayKey, window.Window + window.Window + window.Slide);
    }
}
