namespace MLOps.Web.Features.Trending;

/// <summary>
/// One tag's running total over the window, its display forms, and where its count sits in the
/// current bucket (so a repeat in the same slide is one array increment).
/// </summary>
internal sealed class WindowTag(string key)
{
    public string Key { get; } = key;

    /// <summary>Sum of the tag's counts over the live buckets.</summary>
    public long Count;

    /// <summary>The bucket (and its id, since buckets are recycled) that <see cref="Slot"/> indexes.</summary>
    public WindowBucket? SlotBucket;

    public long SlotBucketId;

    public int Slot;

    public DisplayForms Forms { get; } = new();

    public string Display => Forms.Display;

    /// <summary>Ranks as Redis ranks a sorted set read in reverse (see <see cref="TopRanking.CompareAsRedis"/>).</summary>
    public static IComparer<WindowTag> RedisOrder { get; } =
        Comparer<WindowTag>.Create((x, y) => TopRanking.CompareAsRedis(x!.Count, x.Key, y!.Count, y.Key));
}

/// <summary>
/// The counts of one slide: parallel arrays of tag, count and the part of the count already flushed
/// to Redis. Pooled: <see cref="Reset"/> makes it reusable for a later slide.
/// </summary>
internal sealed class WindowBucket
{
    public long Id;
    public int Count;
    public WindowTag[] Entries = new WindowTag[16];
    public long[] Counts = new long[16];
    public long[] Flushed = new long[16];

    /// <summary>Adds a slot for <paramref name="entry"/>; returns its index.</summary>
    public int Append(WindowTag entry, long count)
    {
        if (Count == Entries.Length)
        {
            Array.Resize(ref Entries, Count * 2);
            Array.Resize(ref Counts, Count * 2);
            Array.Resize(ref Flushed, Count * 2);
        }

        Entries[Count] = entry;
        Counts[Count] = count;
        Flushed[Count] = 0;
        return Count++;
    }

    /// <summary>Counts of this bucket not yet flushed.</summary>
    public long Pending()
    {
        long total = 0;
        for (var s = 0; s < Count; s++)
        {
            total += Counts[s] - Flushed[s];
        }

        return total;
    }

    public void Reset()
    {
        Array.Clear(Entries, 0, Count);
        Count = 0;
        Id = long.MinValue;
    }
}

/// <summary>Counts of one flush: per bucket, per tag, with the display forms of the tags it names.</summary>
public sealed record PendingFlush(IReadOnlyList<PendingBucket> Buckets, IReadOnlyDictionary<string, string> Displays, long Total);

/// <summary>One bucket's unflushed counts; <paramref name="Handle"/> is the counter's bucket, checked against <paramref name="BucketId"/> on mark.</summary>
public sealed record PendingBucket(object Handle, long BucketId, IReadOnlyList<PendingSlot> Slots);

/// <summary>One tag's unflushed count in one bucket.</summary>
public readonly record struct PendingSlot(string Key, int Slot, long Delta);
