using MLOps.Web.Shared.Trending;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// Reads of the shared window: the <c>hashtags</c> top N (raw counts), and the candidates for
/// topics and bursts: the <c>window</c> set's top tags, their display forms, their baseline counts
/// (one Lua call summing <c>ZMSCORE</c> over the live baseline buckets) and the most frequent pairs.
/// </summary>
internal sealed class RedisTrendingReads(IConnectionMultiplexer redis, RedisTrendingKeys keys, TrendingCounters counters, TrendingOptions options)
{
    private const string SumScores = """
        local sums = {}
        for i = 1, #ARGV do sums[i] = 0 end
        if #ARGV == 0 then return sums end
        for k = 1, #KEYS do
          local scores = redis.call('ZMSCORE', KEYS[k], unpack(ARGV))
          for i = 1, #ARGV do
            if scores[i] then sums[i] = sums[i] + tonumber(scores[i]) end
          end
        end
        return sums
        """;

    /// <summary>The top N of <c>hashtags</c>; null while nothing is shared and this replica never flushed (its own counts answer better).</summary>
    public async Task<TrendingSnapshot?> ReadTopAsync(int top, DateTimeOffset now, bool flushedOnce, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var metaTask = db.HashGetAsync(keys.Meta, ["windowStart", "windowEnd", "since"]);
        var entries = await db.SortedSetRangeByRankWithScoresAsync(keys.Top, 0, top - 1, Order.Descending).WaitAsync(cancellationToken);
        if (entries.Length == 0 && !flushedOnce)
        {
            return null;
        }

        var displays = await DisplaysAsync(db, entries, now, cancellationToken);
        var tags = entries.Select((e, i) => new TrendingTag(e.Element.ToString(), displays[i], (long)e.Score)).ToArray();
        var (start, end, _) = Bounds(await metaTask.WaitAsync(cancellationToken), now);
        return new TrendingSnapshot(tags, start, end, options.SourceName) { Rank = TrendingRank.Count };
    }

    /// <summary>The shared candidates; null when the <c>window</c> set is empty.</summary>
    public async Task<TrendingCandidates?> ReadAsync(DateTimeOffset now, bool pairs, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var metaTask = db.HashGetAsync(keys.Meta, ["windowStart", "windowEnd", "since"]);
        var pairsTask = pairs ? db.SortedSetRangeByRankWithScoresAsync(keys.Pairs, 0, -1, Order.Descending) : null;
        var entries = await db.SortedSetRangeByRankWithScoresAsync(keys.Window, 0, options.Candidates - 1, Order.Descending).WaitAsync(cancellationToken);
        if (entries.Length == 0)
        {
            return null;
        }

        var members = entries.Select(e => e.Element).ToArray();
        var baseline = counters.Baseline;
        var baselineKeys = RedisTrendingKeys.Range(keys.BaselineBucket, baseline.BucketId(now), baseline.BucketCount);
        var sumsTask = db.ScriptEvaluateAsync(SumScores, baselineKeys, members);
        var displays = await DisplaysAsync(db, entries, now, cancellationToken);
        var sums = (RedisValue[])(await sumsTask.WaitAsync(cancellationToken))!;
        var tags = entries.Select((e, i) => new CandidateTag(e.Element.ToString(), displays[i], (long)e.Score, (long)sums[i])).ToList();

        var inWindow = tags.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        var tagPairs = new List<TagPair>();
        long posts = 0;
        foreach (var p in pairsTask is null ? [] : await pairsTask.WaitAsync(cancellationToken))
        {
            if (p.Element == TrendingCounters.PostsKey)
            {
                posts = (long)p.Score;
                continue;
            }

            var (a, b) = TrendingCounters.SplitPair(p.Element.ToString());
            if (inWindow.Contains(a) && inWindow.Contains(b))
            {
                tagPairs.Add(new TagPair(a, b, (long)p.Score));
            }
        }

        var (start, end, since) = Bounds(await metaTask.WaitAsync(cancellationToken), now);
        var oldest = baseline.Bounds(now).Start;
        return new TrendingCandidates(tags, tagPairs, start, end, since > oldest ? since : oldest, options.Window, options.SourceName)
        {
            Posts = posts,
        };
    }

    /// <summary>Display forms from this epoch's hash, else the previous one's, else the key.</summary>
    private async Task<string[]> DisplaysAsync(IDatabase db, SortedSetEntry[] entries, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (entries.Length == 0)
        {
            return [];
        }

        var window = counters.Window;
        var members = entries.Select(e => e.Element).ToArray();
        var epoch = window.BucketId(now) / window.BucketCount;
        var current = await db.HashGetAsync(keys.Display(epoch), members).WaitAsync(cancellationToken);
        RedisValue[]? older = null;
        if (current.Any(d => d.IsNull))
        {
            older = await db.HashGetAsync(keys.Display(epoch - 1), members).WaitAsync(cancellationToken);
        }

        return [.. entries.Select((e, i) => !current[i].IsNull ? current[i].ToString()
            : older is not null && !older[i].IsNull ? older[i].ToString()
            : e.Element.ToString())];
    }

    /// <summary>The window bounds and the baseline's start recorded in <c>meta</c>, else this replica's.</summary>
    private (DateTimeOffset Start, DateTimeOffset End, DateTimeOffset Since) Bounds(RedisValue[] meta, DateTimeOffset now)
    {
        var (start, end) = counters.Window.Bounds(now);
        if (meta.Length >= 2 && meta[0].TryParse(out long startMs) && meta[1].TryParse(out long endMs))
        {
            (start, end) = (DateTimeOffset.FromUnixTimeMilliseconds(startMs), DateTimeOffset.FromUnixTimeMilliseconds(endMs));
        }

        var since = meta.Length >= 3 && meta[2].TryParse(out long sinceMs) ? DateTimeOffset.FromUnixTimeMilliseconds(sinceMs) : counters.Since;
        return (start, end, since);
    }
}
