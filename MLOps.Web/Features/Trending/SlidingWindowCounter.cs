using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// The in-process sliding window: one bucket per slide (<see cref="WindowBucket"/>, bucket id = Unix
/// time / slide), running totals per tag (<see cref="WindowTag"/>, with its <see cref="DisplayForms"/>),
/// and the top N by <see cref="TopRanking"/>. Adding a hashtag costs one dictionary lookup by span
/// (no allocation for a tag already in the window). Buckets older than the window are subtracted
/// from the totals when the window advances. Each bucket slot also tracks how much of its count was
/// already flushed to Redis, so the Redis store can send deltas (<see cref="PendingFlush"/>), keep
/// them while Redis is down, and send them again if Redis lost its data. Thread-safe (one lock).
/// </summary>
public sealed class SlidingWindowCounter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, WindowTag> _totals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WindowTag>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly LinkedList<WindowBucket> _buckets = new();
    private readonly Stack<WindowBucket> _pool = new();
    private readonly long _slideMs;

    public SlidingWindowCounter(TimeSpan window, TimeSpan slide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slide, TimeSpan.FromMilliseconds(1));
        Slide = slide;
        Window = window;
        _slideMs = (long)slide.TotalMilliseconds;
        BucketCount = Math.Max(1, (int)Math.Ceiling(window.Ticks / (double)slide.Ticks));
        _lookup = _totals.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public TimeSpan Window { get; }

    public TimeSpan Slide { get; }

    /// <summary>Buckets in the window.</summary>
    public int BucketCount { get; }

    /// <summary>Distinct tags in the window.</summary>
    public int DistinctTags
    {
        get
        {
            lock (_lock)
            {
                return _totals.Count;
            }
        }
    }

    /// <summary>The bucket that <paramref name="time"/> falls in.</summary>
    public long BucketId(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / _slideMs;

    /// <summary>Start time of bucket <paramref name="bucketId"/>.</summary>
    public DateTimeOffset BucketStart(long bucketId) => DateTimeOffset.FromUnixTimeMilliseconds(bucketId * _slideMs);

    /// <summary>Window bounds at <paramref name="now"/>: from the start of the oldest live bucket to now.</summary>
    public (DateTimeOffset Start, DateTimeOffset End) Bounds(DateTimeOffset now) =>
        (BucketStart(BucketId(now) - BucketCount + 1), now);

    /// <summary>Counts the hashtags of one post at <paramref name="now"/>; returns how many.</summary>
    public int AddPost(HashtagExtractor extractor, string? text, IReadOnlyList<string>? hashtags, DateTimeOffset now)
    {
        lock (_lock)
        {
            var sink = new Adder(this, CurrentBucket(BucketId(now)));
            return hashtags is not null
                ? extractor.ExtractFromEntities(hashtags, ref sink)
                : extractor.ExtractFromText(text, ref sink);
        }
    }

    /// <summary>Counts each tag of <paramref name="tags"/> once (a tag without display form shows its key).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddTags(PostTags tags, DateTimeOffset now)
    {
        lock (_lock)
        {
            var bucket = CurrentBucket(BucketId(now));
            for (var i = 0; i < tags.Count; i++)
            {
                var display = tags.Display(i);
                AddLocked(bucket, tags.Key(i), display.IsEmpty ? tags.Key(i) : display, 1);
            }
        }
    }

    /// <summary>Adds <paramref name="count"/> occurrences of a tag (key already case-folded).</summary>
    public void Add(ReadOnlySpan<char> key, ReadOnlySpan<char> display, long count, DateTimeOffset now)
    {
        lock (_lock)
        {
            AddLocked(CurrentBucket(BucketId(now)), key, display, count);
        }
    }

    /// <summary>Drops the buckets that fell out of the window at <paramref name="now"/>.</summary>
    public void Advance(DateTimeOffset now)
    {
        lock (_lock)
        {
            ExpireLocked(BucketId(now));
        }
    }

    /// <summary>The top <paramref name="top"/> tags at <paramref name="now"/>, by count, then by key descending (as Redis).</summary>
    public IReadOnlyList<TrendingTag> Top(int top, DateTimeOffset now)
    {
        lock (_lock)
        {
            ExpireLocked(BucketId(now));
            return Array.ConvertAll(TopRanking.Select(_totals.Values, top, WindowTag.RedisOrder), e => new TrendingTag(e.Key, e.Display, e.Count));
        }
    }

    /// <summary>The window counts of <paramref name="keys"/> (0 when absent), under one lock.</summary>
    public long[] CountsOf(IReadOnlyList<string> keys, DateTimeOffset now)
    {
        lock (_lock)
        {
            ExpireLocked(BucketId(now));
            var counts = new long[keys.Count];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = _totals.TryGetValue(keys[i], out var e) ? e.Count : 0;
            }

            return counts;
        }
    }

    /// <summary>The window count of one tag (key already case-folded), 0 when absent.</summary>
    public long CountOf(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            ExpireLocked(BucketId(now));
            return _totals.TryGetValue(key, out var e) ? e.Count : 0;
        }
    }

    /// <summary>
    /// Counts not yet flushed, per live bucket, at <paramref name="now"/>. Pass the result to
    /// <see cref="MarkFlushed"/> once Redis has them.
    /// </summary>
    public PendingFlush TakePending(DateTimeOffset now)
    {
        lock (_lock)
        {
            ExpireLocked(BucketId(now));
            var buckets = new List<PendingBucket>();
            var displays = new Dictionary<string, string>(StringComparer.Ordinal);
            long total = 0;
            foreach (var bucket in _buckets)
            {
                List<PendingSlot>? slots = null;
                for (var s = 0; s < bucket.Count; s++)
                {
                    var delta = bucket.Counts[s] - bucket.Flushed[s];
                    if (delta == 0)
                    {
                        continue;
                    }

                    var entry = bucket.Entries[s];
                    (slots ??= []).Add(new PendingSlot(entry.Key, s, delta));
                    displays[entry.Key] = entry.Display;
                    total += delta;
                }

                if (slots is not null)
                {
                    buckets.Add(new PendingBucket(bucket, bucket.Id, slots));
                }
            }

            return new PendingFlush(buckets, displays, total);
        }
    }

    /// <summary>Records that the counts of <paramref name="pending"/> reached Redis.</summary>
    public void MarkFlushed(PendingFlush pending)
    {
        lock (_lock)
        {
            foreach (var b in pending.Buckets)
            {
                var bucket = (WindowBucket)b.Handle;
                if (bucket.Id != b.BucketId)
                {
                    continue; // expired and recycled meanwhile
                }

                foreach (var slot in b.Slots)
                {
                    bucket.Flushed[slot.Slot] += slot.Delta;
                }
            }
        }
    }

    /// <summary>Marks every live count as not flushed (Redis lost its data and needs all of it again).</summary>
    public void ResetFlushed()
    {
        lock (_lock)
        {
            foreach (var bucket in _buckets)
            {
                Array.Clear(bucket.Flushed, 0, bucket.Count);
            }
        }
    }

    /// <summary>Counts in live buckets not yet flushed.</summary>
    public long PendingCount
    {
        get
        {
            lock (_lock)
            {
                long total = 0;
                foreach (var bucket in _buckets)
                {
                    total += bucket.Pending();
                }

                return total;
            }
        }
    }

    private WindowBucket CurrentBucket(long id)
    {
        var last = _buckets.Last?.Value;
        if (last is not null && last.Id == id)
        {
            return last;
        }

        if (last is not null && last.Id > id)
        {
            // The clock went back: count into the newest bucket rather than reorder history.
            return last;
        }

        ExpireLocked(id);
        var bucket = _pool.Count > 0 ? _pool.Pop() : new WindowBucket();
        bucket.Id = id;
        _buckets.AddLast(bucket);
        return bucket;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void AddLocked(WindowBucket bucket, ReadOnlySpan<char> key, ReadOnlySpan<char> display, long count)
    {
        if (!_lookup.TryGetValue(key, out var entry))
        {
            entry = new WindowTag(key.ToString());
            _totals.Add(entry.Key, entry);
        }

        entry.Count += count;
        entry.Forms.See(display, count);
        if (entry.SlotBucket == bucket && entry.SlotBucketId == bucket.Id)
        {
            bucket.Counts[entry.Slot] += count;
        }
        else
        {
            entry.Slot = bucket.Append(entry, count);
            entry.SlotBucket = bucket;
            entry.SlotBucketId = bucket.Id;
        }
    }

    private void ExpireLocked(long currentId)
    {
        var oldestLive = currentId - BucketCount + 1;
        while (_buckets.First is { } node && node.Value.Id < oldestLive)
        {
            var bucket = node.Value;
            _buckets.RemoveFirst();
            for (var s = 0; s < bucket.Count; s++)
            {
                var entry = bucket.Entries[s];
                entry.Count -= bucket.Counts[s];
                if (entry.Count <= 0)
                {
                    _totals.Remove(entry.Key);
                }
            }

            bucket.Reset();
            _pool.Push(bucket);
        }
    }

    private struct Adder(SlidingWindowCounter owner, WindowBucket bucket) : IHashtagSink
    {
        public readonly void OnHashtag(scoped ReadOnlySpan<char> key, scoped ReadOnlySpan<char> display) =>
            owner.AddLocked(bucket, key, display, 1);
    }
}
