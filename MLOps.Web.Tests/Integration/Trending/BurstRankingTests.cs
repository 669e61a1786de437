using Microsoft.Extensions.Time.Testing;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>
/// Issue 13's burst test on both stores, over a real 7-day baseline on a fake clock: #love at a steady
/// 100 posts/h for the whole baseline, #newthing rising from nothing (40 posts now), #rare seen 3 times.
/// </summary>
public sealed class BurstRankingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public Task In_memory_a_steady_tag_ranks_below_a_rising_one_by_burst_and_above_it_by_count() =>
        ScenarioAsync(new Dictionary<string, string?> { ["Trending:Source"] = "push" }, redis: null);

    [TrendingRedisFact]
    public async Task In_redis_a_steady_tag_ranks_below_a_rising_one_by_burst_and_above_it_by_count()
    {
        var key = $"hashtags-burst-{Guid.NewGuid():N}";
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        try
        {
            await ScenarioAsync(RedisTestSettings.For(TestEnvironment.RedisServer!, key), redis);

            // hashtags keeps raw counts; hashtags:burst holds the burst ranking.
            var db = redis.GetDatabase();
            Assert.Equal(["love", "newthing", "rare"], (await db.SortedSetRangeByRankAsync(key, 0, -1, Order.Descending)).Select(v => v.ToString()));
            Assert.Equal(50, await db.SortedSetScoreAsync(key, "love"));
            Assert.Equal(["newthing", "love", "rare"], (await db.SortedSetRangeByRankAsync(key + ":burst", 0, -1, Order.Descending)).Select(v => v.ToString()));
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync([key, key + ":burst"]);
        }
    }

    private static async Task ScenarioAsync(Dictionary<string, string?> settings, IConnectionMultiplexer? redis)
    {
        var time = new FakeTimeProvider(Start);
        using var harness = new TrendingHarness(settings, time);
        var reader = harness.Get<ITrendingReader>();

        // 50 #love every 30 minutes for 7 days: the tag's steady rate, 100 posts an hour.
        var end = Start + TimeSpan.FromDays(7);
        for (var at = Start; at <= end; at += TimeSpan.FromMinutes(30))
        {
            time.SetUtcNow(at);
            for (var i = 0; i < 50; i++)
            {
                harness.Ingestor.Ingest("Morning walk #love", null);
            }

            Assert.True(await harness.Store.SlideAsync(CancellationToken.None));
        }

        for (var i = 0; i < 40; i++)
        {
            harness.Ingestor.Ingest("Everyone is talking about #NewThing", null);
        }

        for (var i = 0; i < 3; i++)
        {
            harness.Ingestor.Ingest("a #rare one", null);
        }

        Assert.True(await harness.Store.SlideAsync(CancellationToken.None));

        var byCount = await reader.GetTopAsync(new TrendingQuery(10) { Rank = TrendingRank.Count }, CancellationToken.None);
        Assert.Equal(["love", "newthing", "rare"], byCount.Tags.Select(t => t.Tag));
        Assert.Equal([50L, 40L, 3L], byCount.Tags.Select(t => t.Count));

        var byBurst = await reader.GetTopAsync(new TrendingQuery(10) { Rank = TrendingRank.Burst }, CancellationToken.None);
        Assert.Equal(TrendingRank.Burst, byBurst.Rank);
        Assert.Equal(["newthing", "love", "rare"], byBurst.Tags.Select(t => t.Tag));
        var love = byBurst.Tags.Single(t => t.Tag == "love");
        var rising = byBurst.Tags.Single(t => t.Tag == "newthing");
        // #love: its baseline predicts about its window count, so its score is about 0.
        Assert.InRange(love.Expected!.Value, 49, 51);
        Assert.InRange(love.Burst!.Value, -0.5, 0.5);
        // #newthing: nothing before, so the floor (5 per window) is its expected count: (40 - 5) / sqrt(5).
        Assert.Equal(0, rising.Expected);
        Assert.Equal((40 - 5) / Math.Sqrt(5), rising.Burst!.Value, 3);
        Assert.NotNull(byBurst.BaselineStart);
        Assert.Equal(byBurst.Tags, (await reader.GetTopAsync(10, CancellationToken.None)).Tags, new TagOrder());
    }

    /// <summary>Compares by tag only: the default rank (burst) gives the same order.</summary>
    private sealed class TagOrder : IEqualityComparer<TrendingTag>
    {
        public bool Equals(TrendingTag? x, TrendingTag? y) => x?.Tag == y?.Tag;

        public int GetHashCode(TrendingTag obj) => obj.Tag.GetHashCode(StringComparison.Ordinal);
    }
}
