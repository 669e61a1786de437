using System.Runtime.CompilerServices;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// What one replica counts, three windows fed from one extraction per post:
/// <see cref="Window"/> (the trending window, slide buckets), <see cref="Baseline"/> (the same tags
/// over the longer baseline, in coarser buckets) and <see cref="Pairs"/> (pairs of distinct tags
/// that share a post, over the trending window, for the co-occurrence rule; key "a b", ordinal order,
/// a space never being part of a tag; <see cref="PostsKey"/> counts every post, for the lift of a pair).
/// Thread-safe: each counter has its own lock.
/// </summary>
public sealed class TrendingCounters
{
    [ThreadStatic]
    private static PostTags? t_tags;

    [ThreadStatic]
    private static PostTags? t_pairs;

    /// <summary>Key in <see cref="Pairs"/> that counts every post (a '#' is never part of a tag key).</summary>
    public const string PostsKey = "#posts";

    private readonly int _pairTags;

    public TrendingCounters(TrendingOptions options, DateTimeOffset since)
    {
        Window = new SlidingWindowCounter(options.Window, options.Slide);
        Baseline = new SlidingWindowCounter(options.Baseline.Window, options.Baseline.Bucket);
        Pairs = new SlidingWindowCounter(options.Window, options.Slide);
        _pairTags = options.Topics.PairTagsPerPost;
        Since = since;
    }

    public SlidingWindowCounter Window { get; }

    public SlidingWindowCounter Baseline { get; }

    public SlidingWindowCounter Pairs { get; }

    /// <summary>When this replica started counting: the baseline has no data before it.</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Counts the hashtags of one post at <paramref name="now"/>; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int AddPost(HashtagExtractor extractor, string? text, IReadOnlyList<string>? hashtags, DateTimeOffset now)
    {
        var tags = t_tags ??= new PostTags();
        tags.Clear();
        var found = hashtags is not null
            ? extractor.ExtractFromEntities(hashtags, ref tags)
            : extractor.ExtractFromText(text, ref tags);
        Pairs.Add(PostsKey, PostsKey, 1, now);
        if (found == 0)
        {
            return 0;
        }

        Window.AddTags(tags, now);
        Baseline.AddTags(tags, now);
        if (tags.Count > 1)
        {
            var pairs = t_pairs ??= new PostTags();
            tags.PairDistinct(_pairTags, pairs);
            if (pairs.Count > 0)
            {
                Pairs.AddTags(pairs, now);
            }
        }

        return found;
    }

    /// <summary>Drops the buckets that fell out of each window.</summary>
    public void Advance(DateTimeOffset now)
    {
        Window.Advance(now);
        Baseline.Advance(now);
        Pairs.Advance(now);
    }

    /// <summary>The key of the pair of <paramref name="a"/> and <paramref name="b"/> in <see cref="Pairs"/>.</summary>
    public static string PairKey(string a, string b) =>
        string.CompareOrdinal(a, b) <= 0 ? a + " " + b : b + " " + a;

    /// <summary>The two tags of a pair key.</summary>
    public static (string A, string B) SplitPair(string pair)
    {
        var space = pair.IndexOf(' ', StringComparison.Ordinal);
        return space <= 0 ? (pair, "") : (pair[..space], pair[(space + 1)..]);
    }
}

/// <summary>The hashtags of one post (key and display form each), in one reusable buffer.</summary>
public sealed class PostTags : IHashtagSink
{
    private char[] _chars = new char[256];
    private (int Start, int KeyLength, int DisplayLength)[] _tags = new (int, int, int)[8];
    private int _used;

    public int Count { get; private set; }

    public ReadOnlySpan<char> Key(int i) => _chars.AsSpan(_tags[i].Start, _tags[i].KeyLength);

    public ReadOnlySpan<char> Display(int i) => _chars.AsSpan(_tags[i].Start + _tags[i].KeyLength, _tags[i].DisplayLength);

    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnHashtag(scoped ReadOnlySpan<char> key, scoped ReadOnlySpan<char> display) => Add(key, display);

    /// <summary>Writes every pair of distinct keys among the first <paramref name="maxTags"/> distinct ones into <paramref name="into"/>, as "a b" (ordinal order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PairDistinct(int maxTags, PostTags into)
    {
        into.Clear();
        Span<int> distinct = stackalloc int[Math.Min(maxTags, 64)];
        var n = 0;
        for (var i = 0; i < Count && n < distinct.Length; i++)
        {
            var seen = false;
            for (var j = 0; j < n && !seen; j++)
            {
                seen = Key(distinct[j]).SequenceEqual(Key(i));
            }

            if (!seen)
            {
                distinct[n++] = i;
            }
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var a = Key(distinct[i]);
                var b = Key(distinct[j]);
                if (a.SequenceCompareTo(b) > 0)
                {
                    into.AddPair(b, a);
                }
                else
                {
                    into.AddPair(a, b);
                }
            }
        }
    }

    private void AddPair(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var length = a.Length + 1 + b.Length;
        var start = Reserve(length);
        a.CopyTo(_chars.AsSpan(start));
        _chars[start + a.Length] = ' ';
        b.CopyTo(_chars.AsSpan(start + a.Length + 1));
        // The pair's display form is its key: the same characters, no second copy.
        Push(start, length, 0);
    }

    private void Add(ReadOnlySpan<char> key, ReadOnlySpan<char> display)
    {
        var start = Reserve(key.Length + display.Length);
        key.CopyTo(_chars.AsSpan(start));
        display.CopyTo(_chars.AsSpan(start + key.Length));
        Push(start, key.Length, display.Length);
    }

    private int Reserve(int length)
    {
        if (_used + length > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _used + length));
        }

        var start = _used;
        _used += length;
        return start;
    }

    private void Push(int start, int keyLength, int displayLength)
    {
        if (Count == _tags.Length)
        {
            Array.Resize(ref _tags, Count * 2);
        }

        _tags[Count++] = (start, keyLength, displayLength);
    }
}
