using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>A fact that needs the redis-server the test command starts (REDIS_TEST_SERVER).</summary>
public sealed class TrendingRedisFactAttribute : FactAttribute
{
    public TrendingRedisFactAttribute()
    {
        if (TestEnvironment.RedisServer is null)
        {
            Skip = "REDIS_TEST_SERVER is not set: run through scripts/test.sh, which starts redis-server.";
        }
    }
}

/// <summary>A fact that starts redis-server processes of its own (REDIS_SERVER_PATH or /usr/bin/redis-server).</summary>
public sealed class TrendingRedisBinaryFactAttribute : FactAttribute
{
    public TrendingRedisBinaryFactAttribute()
    {
        if (TestEnvironment.RedisServerPath is null)
        {
            Skip = "No redis-server binary (REDIS_SERVER_PATH or /usr/bin/redis-server): run through scripts/test.sh, which installs it.";
        }
    }
}

/// <summary>The Redis store against a real redis-server; every test uses its own keys.</summary>
public sealed class RedisTrendingStoreTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;
    private readonly string _key = $"hashtags-test-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        if (TestEnvironment.RedisServer is { } server)
        {
            _redis = await ConnectionMultiplexer.ConnectAsync(server);
        }
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.GetDatabase().KeyDeleteAsync([_key, _key + "-all"]);
            await _redis.DisposeAsync();
        }
    }

    private static void Push(TrendingHarness harness, params string[] texts)
    {
        foreach (var text in texts)
        {
            harness.Ingestor.Ingest(text, null);
        }
    }

    /// <summary>What <c>redis-cli ZREVRANGEBYSCORE key +inf -inf WITHSCORES</c> shows.</summary>
    private async Task<List<(string Tag, double Score)>> ZRevRangeByScore(string key) =>
        [.. (await _redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(key, order: Order.Descending))
            .Select(e => (e.Element.ToString(), e.Score))];

    [TrendingRedisFact]
    public async Task A_flush_puts_the_window_top_n_into_the_hashtags_sorted_set()
    {
        var settings = RedisTestSettings.For(TestEnvironment.RedisServer!, _key);
        settings["Trending:TopN"] = "3";
        using var harness = new TrendingHarness(settings);
        Push(harness, "#Christmas #elf", "#christmas #Elf #oscars", "#Christmas #worldcup #halloween", "#Christmas");

        Assert.True(await harness.Store.SlideAsync(CancellationToken.None));

        Assert.Equal([("christmas", 4), ("elf", 2), ("worldcup", 1)], await ZRevRangeByScore(_key));
        var snapshot = await harness.Store.GetTopAsync(3, CancellationToken.None);
        Assert.Equal([new TrendingTag("christmas", "Christmas", 4), new TrendingTag("elf", "elf", 2), new TrendingTag("worldcup", "worldcup", 1)], snapshot.Tags);
        Assert.InRange(snapshot.WindowEnd - snapshot.WindowStart, TimeSpan.FromMinutes(29.8), TimeSpan.FromMinutes(30));
        Assert.Equal("push", snapshot.Source);

        var store = Assert.IsType<RedisTrendingStore>(harness.Store);
        var bucket = store.BucketKey(harness.Store.Local.BucketId(DateTimeOffset.UtcNow));
        var ttl = await _redis.GetDatabase().KeyTimeToLiveAsync(bucket);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));
        Assert.Equal(HealthStatus.Healthy, harness.Store.Health().Status);
        Assert.Equal(0, harness.Store.Local.PendingCount);
    }

    [TrendingRedisFact]
    public async Task Counts_leave_the_shared_window_when_their_bucket_slides_out()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = RedisTestSettings.For(TestEnvironment.RedisServer!, _key);
        settings["Trending:Window"] = "00:01:00";
        settings["Trending:Slide"] = "00:00:10";
        using var harness = new TrendingHarness(settings, time);

        Push(harness, "#old #both");
        Assert.True(await harness.Store.SlideAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(30));
        Push(harness, "#new #both");
        Assert.True(await harness.Store.SlideAsync(CancellationToken.None));
        Assert.Equal([("both", 2), ("old", 1), ("new", 1)], await ZRevRangeByScore(_key));

        time.Advance(TimeSpan.FromSeconds(40));
        Assert.True(await harness.Store.SlideAsync(CancellationToken.None));
        Assert.Equal([("new", 1), ("both", 1)], await ZRevRangeByScore(_key));

        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(await harness.Store.SlideAsync(CancellationToken.None));
        Assert.Empty(await ZRevRangeByScore(_key));
        Assert.Empty((await harness.Store.GetTopAsync(20, CancellationToken.None)).Tags);
    }

    [TrendingRedisFact]
    public async Task Two_replicas_fed_half_the_stream_each_give_the_counts_of_one_fed_all_of_it()
    {
        var posts = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "SampleData", "posts.jsonl")).Take(3000).ToList();
        var shared = RedisTestSettings.For(TestEnvironment.RedisServer!, _key);
        var single = RedisTestSettings.For(TestEnvironment.RedisServer!, _key + "-all", shared["Redis:KeyPrefix"]);
        using var a = new TrendingHarness(shared);
        using var b = new TrendingHarness(shared);
        using var all = new TrendingHarness(single);
        using var reader = new TrendingHarness(shared);

        for (var i = 0; i < posts.Count; i++)
        {
            var post = System.Text.Json.JsonSerializer.Deserialize<PostLine>(posts[i])!;
            (i % 2 == 0 ? a : b).Ingestor.Ingest(post.Text, post.Hashtags);
            all.Ingestor.Ingest(post.Text, post.Hashtags);
        }

        Assert.True(await a.Store.SlideAsync(CancellationToken.None));
        Assert.True(await b.Store.SlideAsync(CancellationToken.None));
        Assert.True(await all.Store.SlideAsync(CancellationToken.None));

        var expected = await ZRevRangeByScore(_key + "-all");
        Assert.Equal(20, expected.Count);
        Assert.Equal(expected, await ZRevRangeByScore(_key));
        Assert.NotEqual(expected, [.. a.Store.Local.Top(20, DateTimeOffset.UtcNow).Select(t => (t.Tag, (double)t.Count))]);

        var fromIdleReplica = await reader.Store.GetTopAsync(20, CancellationToken.None);
        Assert.Equal(expected, [.. fromIdleReplica.Tags.Select(t => (t.Tag, (double)t.Count))]);
        var fromAll = await all.Store.GetTopAsync(20, CancellationToken.None);
        Assert.Equal(fromAll.Tags, fromIdleReplica.Tags);
        Assert.Contains(fromIdleReplica.Tags, t => t.Display == "Christmas");
    }

    [TrendingRedisBinaryFact]
    public async Task A_redis_restart_mid_stream_loses_no_count_within_the_window()
    {
        using var server = new OwnRedisServer(TestEnvironment.RedisServerPath!);
        await server.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisTestSettings.FailFast(server.Endpoint));
        using var harness = new TrendingHarness(RedisTestSettings.For(server.Endpoint, _key), redis: redis);
        var store = harness.Store;

        Push(harness, [.. Enumerable.Repeat("#Christmas #elf", 100)]);
        Assert.True(await store.SlideAsync(CancellationToken.None));
        Assert.Equal(100, (await redis.GetDatabase().SortedSetScoreAsync(_key, "christmas")).GetValueOrDefault());

        server.Stop();
        await Eventually.TrueAsync(() => !redis.IsConnected, TimeSpan.FromSeconds(10), "the client noticed Redis is gone");
        Push(harness, [.. Enumerable.Repeat("#Christmas", 50)]);
        Assert.False(await store.SlideAsync(CancellationToken.None));
        Assert.Equal(HealthStatus.Unhealthy, store.Health().Status);
        Assert.Equal(50, store.Local.PendingCount);
        var whileDown = await store.GetTopAsync(2, CancellationToken.None);
        Assert.Equal([new TrendingTag("christmas", "Christmas", 150), new TrendingTag("elf", "elf", 100)], whileDown.Tags);
        Push(harness, [.. Enumerable.Repeat("#Christmas #halloween", 25)]);

        await server.StartAsync();
        var flushed = false;
        for (var i = 0; i < 100 && !flushed; i++)
        {
            flushed = await store.SlideAsync(CancellationToken.None);
            if (!flushed)
            {
                await Task.Delay(200);
            }
        }

        Assert.True(flushed, "the flush succeeded once Redis was back");
        Assert.Equal([("christmas", 175), ("elf", 100), ("halloween", 25)], await ZRevRangeByScoreOn(redis, _key));
        Assert.Equal(HealthStatus.Healthy, store.Health().Status);
        Assert.Equal(0, store.Local.PendingCount);

        Push(harness, "#elf");
        Assert.True(await store.SlideAsync(CancellationToken.None));
        Assert.Equal([("christmas", 175), ("elf", 101), ("halloween", 25)], await ZRevRangeByScoreOn(redis, _key));
    }

    private static async Task<List<(string Tag, double Score)>> ZRevRangeByScoreOn(ConnectionMultiplexer redis, string key) =>
        [.. (await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(key, order: Order.Descending))
            .Select(e => (e.Element.ToString(), e.Score))];
}
