using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>
/// The app hosts of these tests run after the parallel phase: Hangfire keeps a process-wide log
/// provider bound to the last host that configured it, and disposing hosts while other classes
/// create Hangfire storage races with it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrendingAppHostsCollection
{
    public const string Name = "Trending app hosts";
}

/// <summary>The trending HTTP surface of the real app.</summary>
[Collection(TrendingAppHostsCollection.Name)]
public sealed class TrendingApiTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static MLOpsFactory PushApp(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Trending:Source"] = "push", ["Trending:Slide"] = "00:00:00.5" };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        return new MLOpsFactory(settings);
    }

    private static async Task<TrendingSnapshot> GetTrending(HttpClient client, int top = 20, string query = "") =>
        (await client.GetFromJsonAsync<TrendingSnapshot>($"/api/trending?top={top}{query}", Web))!;

    /// <summary>One entry per tag in count order: what the <c>hashtags</c> set holds.</summary>
    private const string RawTags = "&topics=false&rank=count";

    private static (string Tag, string Display, long Count)[] Plain(TrendingSnapshot snapshot) =>
        [.. snapshot.Tags.Select(t => (t.Tag, t.Display, t.Count))];

    [Fact]
    public async Task Replaying_the_sample_posts_makes_christmas_trend_within_seconds()
    {
        await using var app = new MLOpsFactory(null);
        using var client = app.CreateClient();

        TrendingSnapshot? snapshot = null;
        await Eventually.TrueAsync(async () =>
        {
            snapshot = await GetTrending(client);
            return snapshot.Tags.Any(t => t.Tag == "christmas");
        }, TimeSpan.FromSeconds(15), "christmas is trending");

        Assert.Equal("replay", snapshot!.Source);
        Assert.Equal("Christmas", snapshot.Tags.First(t => t.Tag == "christmas").Display);
        Assert.InRange(snapshot.WindowEnd - snapshot.WindowStart, TimeSpan.FromMinutes(29.8), TimeSpan.FromMinutes(30));
        Assert.DoesNotContain(snapshot.Tags, t => t.Tag == "fyp");
    }

    [Fact]
    public async Task Pushed_posts_are_counted_and_reported_as_metrics()
    {
        await using var app = PushApp();
        using var client = app.CreateClient();
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        long posts = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrendingMetrics.MeterName && instrument.Meter.Scope == factory && instrument.Name == "mlops.trending.posts")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref posts, value));
        listener.Start();

        var response = await client.PostAsJsonAsync("/api/posts", new object[]
        {
            new { text = "Elf tonight #ChristmasMovies #christmas" },
            new { text = "ignored text #nothing", hashtags = new[] { "#WorldCup" } },
            new { text = "no tags at all" },
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<PushResult>(Web);
        Assert.Equal(new PushResult(3, 3), result);
        var snapshot = await GetTrending(client, query: RawTags);
        Assert.Equal("push", snapshot.Source);
        Assert.Equal(["worldcup", "christmasmovies", "christmas"], snapshot.Tags.Select(t => t.Tag));
        Assert.Equal(3, Interlocked.Read(ref posts));

        // As topics, #ChristmasMovies and #christmas are one entry (CamelCase words), with both variants and why.
        var topics = await GetTrending(client, query: "&explain=true");
        var christmas = topics.Tags[0];
        Assert.Equal(2, christmas.Count);
        Assert.Equal(["christmasmovies", "christmas"], christmas.Variants.Select(v => v.Tag));
        Assert.Equal(["label", "words"], christmas.Variants.Select(v => v.Reason!.Rule));
        Assert.Equal(["worldcup"], topics.Tags.Skip(1).Select(t => t.Tag));
    }

    [Fact]
    public async Task An_invalid_batch_is_rejected_whole_with_the_field_named()
    {
        await using var app = PushApp();
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/posts", new object[]
        {
            new { text = "#valid" },
            new { text = "" },
            new { text = new string('x', 10_001) },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Web);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("[1].text", out _));
        Assert.True(errors.TryGetProperty("[2].text", out _));
        Assert.Empty((await GetTrending(client)).Tags);

        var empty = await client.PostAsJsonAsync("/api/posts", Array.Empty<object>());
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("\"posts\"", await empty.Content.ReadAsStringAsync());

        using var garbage = new StringContent("[{\"text\": ", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/posts", garbage)).StatusCode);
    }

    [Fact]
    public async Task Push_is_refused_while_another_source_is_configured()
    {
        await using var app = new MLOpsFactory(new Dictionary<string, string?> { ["Trending:Replay:PostsPerSecond"] = "1" });
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/posts", new object[] { new { text = "#x" } });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Trending:Source", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/trending?top=0")]
    [InlineData("/api/trending?top=21")]
    [InlineData("/api/trending/stream?top=-1")]
    public async Task A_top_out_of_range_is_a_400_naming_top(string url)
    {
        await using var app = PushApp();
        using var client = app.CreateClient();

        var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Web);
        Assert.True(problem.GetProperty("errors").TryGetProperty("top", out _));
    }

    [Fact]
    public async Task The_stream_sends_the_window_at_once_and_again_after_each_slide()
    {
        await using var app = PushApp();
        using var client = app.CreateClient();
        await client.PostAsJsonAsync("/api/posts", new object[] { new { text = "#Oscars" } });

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await client.GetAsync("/api/trending/stream?top=5", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        var first = await NextEvent(reader, cts.Token);
        Assert.Equal(1, first.Tags.Single(t => t.Tag == "oscars").Count);
        await client.PostAsJsonAsync("/api/posts", new object[] { new { text = "#Oscars again" } });
        TrendingSnapshot next;
        do
        {
            next = await NextEvent(reader, cts.Token);
        }
        while (next.Tags.Single(t => t.Tag == "oscars").Count < 2);

        Assert.True(next.WindowEnd > first.WindowEnd);
    }

    private static async Task<TrendingSnapshot> NextEvent(StreamReader reader, CancellationToken cancellationToken)
    {
        string? eventType = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventType = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Assert.Equal("trending", eventType);
                return JsonSerializer.Deserialize<TrendingSnapshot>(line[6..], Web)!;
            }
        }

        throw new InvalidOperationException("stream ended");
    }

    [Fact]
    public async Task Readiness_reports_the_trending_store()
    {
        await using var app = PushApp();
        using var client = app.CreateClient();

        // Overall readiness also waits for the model and the catalog; this test looks at its own check.
        var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Web);

        var check = body.GetProperty("checks").GetProperty("trending");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal("memory", check.GetProperty("data").GetProperty("store").GetString());
    }

    [Theory]
    [InlineData("Trending:Source", "x", "Trending:X:BearerToken")]
    [InlineData("Trending:Source", "mastodon", "Trending:Mastodon:InstanceUrl")]
    [InlineData("Trending:Source", "sideways", "Trending:Source")]
    [InlineData("Trending:Window", "00:00:05", "Trending:Window")]
    [InlineData("Trending:TopN", "0", "Trending:TopN")]
    [InlineData("Trending:Replay:File", "missing.jsonl", "Trending:Replay:File")]
    [InlineData("Trending:Store", "redis", "Trending:Store")]
    public void A_wrong_setting_fails_validation_naming_it(string key, string value, string named)
    {
        using var harness = new TrendingHarness(new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => harness.Get<IOptions<TrendingOptions>>().Value);

        Assert.True(error.ToString().Contains(named, StringComparison.Ordinal), error.ToString());
    }

    [Fact]
    public async Task A_wrong_setting_stops_the_app_at_start()
    {
        await using var app = new MLOpsFactory(new Dictionary<string, string?> { ["Trending:TopN"] = "0" });

        Assert.ThrowsAny<Exception>(() => app.CreateClient());
    }

    [Fact]
    public async Task With_redis_unreachable_readiness_fails_on_trending_while_counting_and_reading_go_on()
    {
        var settings = RedisTestSettings.For($"127.0.0.1:{OwnRedisServer.FreePort()},connectTimeout=500", $"hashtags-{Guid.NewGuid():N}");
        settings["Trending:Slide"] = "00:00:00.5";
        await using var app = new MLOpsFactory(settings);
        using var client = app.CreateClient();

        var pushed = await client.PostAsJsonAsync("/api/posts", new object[] { new { text = "#Thanksgiving" }, new { text = "#thanksgiving" } });
        Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);

        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var check = (await ready.Content.ReadFromJsonAsync<JsonElement>(Web)).GetProperty("checks").GetProperty("trending");
        Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
        Assert.Equal(2, check.GetProperty("data").GetProperty("pendingCounts").GetInt64());
        var snapshot = await GetTrending(client, 1);
        Assert.Equal([("thanksgiving", "Thanksgiving", 2L)], Plain(snapshot));
    }

    [TrendingRedisFact]
    public async Task With_redis_the_hosted_ingest_flushes_each_slide_into_the_hashtags_set()
    {
        var key = $"hashtags-app-{Guid.NewGuid():N}";
        var settings = RedisTestSettings.For(TestEnvironment.RedisServer!, key);
        settings["Trending:Store"] = "auto";
        settings["Trending:Slide"] = "00:00:00.5";
        await using var app = new MLOpsFactory(settings);
        using var client = app.CreateClient();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        try
        {
            await client.PostAsJsonAsync("/api/posts", new object[] { new { text = "#Halloween #HalloweenMovies" }, new { text = "#halloween" } });

            await Eventually.TrueAsync(
                async () => await redis.GetDatabase().SortedSetScoreAsync(key, "halloween") == 2,
                TimeSpan.FromSeconds(10), "the slide flushed the counts into Redis");
            // Overall readiness also waits for the model and the catalog; look at the trending check only.
            var readyResponse = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
            var ready = await readyResponse.Content.ReadFromJsonAsync<JsonElement>(Web);
            Assert.Equal("redis", ready.GetProperty("checks").GetProperty("trending").GetProperty("data").GetProperty("store").GetString());
            var snapshot = await GetTrending(client, 2, RawTags);
            Assert.Equal([("halloween", "Halloween", 2L), ("halloweenmovies", "HalloweenMovies", 1L)], Plain(snapshot));
            var options = app.Services.GetRequiredService<IOptions<TrendingOptions>>().Value;
            Assert.Equal(options.RedisKey, key);

            // One topic with both variants; the burst ranking is its own key beside hashtags.
            var topic = Assert.Single((await GetTrending(client, 2)).Tags);
            Assert.Equal(("halloween", 3L), (topic.Tag, topic.Count));
            Assert.Equal(["halloween", "halloweenmovies"], topic.Variants.Select(v => v.Tag));
            await Eventually.TrueAsync(
                async () => (await redis.GetDatabase().SortedSetRangeByRankAsync(options.EffectiveBurstRedisKey, 0, -1, Order.Descending)).Length == 2,
                TimeSpan.FromSeconds(10), "the burst ranking was written");
            Assert.Equal(["halloween", "halloweenmovies"],
                (await redis.GetDatabase().SortedSetRangeByRankAsync(options.EffectiveBurstRedisKey, 0, -1, Order.Descending)).Select(v => v.ToString()));
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync([key, app.Services.GetRequiredService<IOptions<TrendingOptions>>().Value.EffectiveBurstRedisKey]);
        }
    }
}
