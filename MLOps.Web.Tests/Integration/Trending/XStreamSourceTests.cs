using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;
using static MLOps.Web.Tests.Integration.Trending.LocalStreamServer;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>The X filtered-stream source against a local server speaking X's wire format.</summary>
public sealed class XStreamSourceTests : IAsyncLifetime
{
    private const string Rule = "has:hashtags -is:retweet lang:en";
    private LocalStreamServer _server = null!;
    private readonly RecordingDelay _delay = new();

    public async Task InitializeAsync()
    {
        _server = await StartAsync();
        _serverLog = _server;
        _delayLog = _delay;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private TrendingHarness Harness(string stall = "00:00:30", params (string Value, string? Tag)[] rules) => Harness(stall, null, rules);

    private TrendingHarness Harness(string stall, string? tokenFile, params (string Value, string? Tag)[] rules)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Trending:Source"] = "x",
            ["Trending:X:BaseUrl"] = _server.BaseAddress.ToString(),
            ["Trending:X:BearerToken"] = "test-token",
            ["Trending:X:BearerTokenFile"] = tokenFile,
            ["Trending:X:StallTimeout"] = stall,
        };
        if (rules.Length == 0)
        {
            rules = [(Rule, "mlops-hashtags")];
        }

        for (var i = 0; i < rules.Length; i++)
        {
            settings[$"Trending:X:Rules:{i}:Value"] = rules[i].Value;
            settings[$"Trending:X:Rules:{i}:Tag"] = rules[i].Tag;
        }

        return new TrendingHarness(settings, delay: _delay);
    }

    private void RulesAlreadyInSync() =>
        _server.Script(XStreamSource.RulesPath.Split('?')[0], Json(200, $$$"""{"data":[{"id":"7","value":"{{{Rule}}}","tag":"mlops-hashtags"}],"meta":{"result_count":1}}"""));

    private static string Tweet(string id, string text, params string[] tags) =>
        JsonSerializer.Serialize(new
        {
            data = tags.Length == 0
                ? (object)new { id, text, edit_history_tweet_ids = new[] { id } }
                : new { id, text, entities = new { hashtags = tags.Select((t, i) => new { start = i, end = i + t.Length + 1, tag = t }) } },
            matching_rules = new[] { new { id = "7", tag = "mlops-hashtags" } },
        }) + "\r\n";

    private static RecordingDelay _delayLog = null!;
    private static LocalStreamServer? _serverLog;

    private static async Task RunUntilAsync<TSource>(TSource source, Func<bool> done, TimeSpan timeout, string because)
        where TSource : IPostSource
    {
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(cts.Token);
        try
        {
            await Eventually.TrueAsync(done, timeout, because);
        }
        catch (Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{because}; delays {string.Join(", ", _delayLog.Delays)}; requests {string.Join(" | ", _serverLog!.Requests.Select(r => r.Method + " " + r.PathAndQuery))}");
        }
        finally
        {
            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Rules_are_synced_from_configuration_and_tweets_are_counted_from_entities_else_text()
    {
        RequestDelegate rules = ctx => ctx.Request.Method == "GET"
            ? Json(200, """{"data":[{"id":"1","value":"old rule","tag":"old"},{"id":"7","value":"has:hashtags -is:retweet lang:en","tag":"mlops-hashtags"}]}""")(ctx)
            : Json(200, """{"meta":{"summary":{}}}""")(ctx);
        _server.Script("/2/tweets/search/stream/rules", rules);
        var second = Tweet("2", "no entities here but #Halloween in text");
        _server.Script("/2/tweets/search/stream", Chunks("application/json",
        [
            Tweet("1", "Elf tonight #Christmas #ChristmasMovies", "Christmas", "ChristmasMovies"),
            "\r\n",
            "this is not json\r\n",
            """{"errors":[{"title":"operational-disconnect","detail":"test"}]}""" + "\r\n",
            second[..10],
            second[10..],
            "\r\n",
        ], StreamEnd.Hold));

        using var harness = Harness("00:00:30", (Rule, "mlops-hashtags"), ("#christmas OR #halloween", null));
        var source = harness.Get<XStreamSource>();
        await RunUntilAsync(source, () => harness.Metrics.PostsTotal >= 2, TimeSpan.FromSeconds(10), "two tweets ingested");

        var requests = _server.Requests;
        Assert.All(requests, r => Assert.Equal("Bearer test-token", r.Authorization));
        Assert.Equal(
            ["GET /2/tweets/search/stream/rules", "POST /2/tweets/search/stream/rules", "POST /2/tweets/search/stream/rules", "GET /2/tweets/search/stream?tweet.fields=entities"],
            requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.Equal("""{"delete":{"ids":["1"]}}""", requests[1].Body);
        Assert.Equal("""{"add":[{"value":"#christmas OR #halloween"}]}""", requests[2].Body);

        var top = await harness.Store.GetTopAsync(10, CancellationToken.None);
        Assert.Equal(
            [new TrendingTag("halloween", "Halloween", 1), new TrendingTag("christmasmovies", "ChristmasMovies", 1), new TrendingTag("christmas", "Christmas", 1)],
            top.Tags);
        Assert.Equal(1, harness.Metrics.MalformedTotal);
        Assert.Empty(_delay.Delays);
    }

    [Fact]
    public async Task Network_disconnects_back_off_linearly_and_a_line_cut_by_a_disconnect_is_dropped()
    {
        RulesAlreadyInSync();
        var cut = Tweet("2", "cut #lost", "lost");
        _server.Script("/2/tweets/search/stream",
            Chunks("application/json", []),
            Chunks("application/json", ["\r"], StreamEnd.Abort),
            Chunks("application/json", []),
            Chunks("application/json", [Tweet("1", "#WorldCup", "WorldCup"), cut[..25]], StreamEnd.Abort, pause: TimeSpan.FromMilliseconds(100)),
            Chunks("application/json", ["\r\n", Tweet("3", "#WorldCup", "WorldCup")], StreamEnd.Hold));

        using var harness = Harness();
        await RunUntilAsync(harness.Get<XStreamSource>(), () => harness.Metrics.PostsTotal >= 2, TimeSpan.FromSeconds(10), "both whole tweets ingested");

        Assert.Equal([0.25, 0.5, 0.75, 0.25], _delay.Delays.Select(d => d.TotalSeconds));
        var top = await harness.Store.GetTopAsync(10, CancellationToken.None);
        Assert.Equal([new TrendingTag("worldcup", "WorldCup", 2)], top.Tags);
        Assert.Equal(0, harness.Metrics.MalformedTotal);
        Assert.Equal(4, harness.Metrics.ReconnectsTotal);
    }

    [Fact]
    public async Task Http_errors_back_off_exponentially_from_5_s_and_429_from_a_minute()
    {
        RulesAlreadyInSync();
        _server.Script("/2/tweets/search/stream",
            Status(503), Status(500), Status(503),
            Status(429, """{"title":"Too Many Requests"}"""), Status(429),
            Chunks("application/json", [Tweet("1", "#Oscars", "Oscars")], StreamEnd.Hold));

        using var harness = Harness();
        await RunUntilAsync(harness.Get<XStreamSource>(), () => harness.Metrics.PostsTotal >= 1, TimeSpan.FromSeconds(10), "the tweet after the errors was ingested");

        Assert.Equal([5, 10, 20, 60, 120], _delay.Delays.Select(d => d.TotalSeconds));
        Assert.Equal(1, (await harness.Store.GetTopAsync(1, CancellationToken.None)).Tags.Single().Count);
    }

    [Fact]
    public async Task A_rules_request_that_fails_uses_the_http_backoff_and_is_retried_with_the_token_from_the_secret_file()
    {
        _server.Script("/2/tweets/search/stream/rules", Status(401, """{"title":"Unauthorized"}"""));
        RulesAlreadyInSync();
        _server.Script("/2/tweets/search/stream", Chunks("application/json", [Tweet("1", "#Easter", "Easter")], StreamEnd.Hold));
        var tokenFile = Path.Combine(TempDirectory.Create("x-token"), "bearer");
        await File.WriteAllTextAsync(tokenFile, "token-from-file\n");

        using var harness = Harness("00:00:30", tokenFile);
        await RunUntilAsync(harness.Get<XStreamSource>(), () => harness.Metrics.PostsTotal >= 1, TimeSpan.FromSeconds(10), "ingested after the rules retry");

        Assert.Equal([5.0], _delay.Delays.Select(d => d.TotalSeconds));
        Assert.All(_server.Requests, r => Assert.Equal("Bearer token-from-file", r.Authorization));
    }

    [Fact]
    public async Task Silence_longer_than_the_stall_timeout_is_a_disconnect_but_keep_alives_hold_the_stream()
    {
        RulesAlreadyInSync();
        _server.Script("/2/tweets/search/stream",
            Chunks("application/json", [Tweet("1", "#a", "a")], StreamEnd.Hold),
            Chunks("application/json", [.. Enumerable.Repeat("\r\n", 16), Tweet("2", "#b", "b")], StreamEnd.Hold, pause: TimeSpan.FromMilliseconds(250)));

        // Keep-alives every 250 ms for 4 s against a 3 s stall timeout: a gap between two keep-alives
        // would have to stretch twelvefold on a loaded machine before it reads as a stall.
        using var harness = Harness(stall: "00:00:03");
        await RunUntilAsync(harness.Get<XStreamSource>(), () => harness.Metrics.PostsTotal >= 2, TimeSpan.FromSeconds(20), "second tweet after 4 s of keep-alives");

        Assert.Equal([0.25], _delay.Delays.Take(1).Select(d => d.TotalSeconds));
        var top = await harness.Store.GetTopAsync(10, CancellationToken.None);
        Assert.Equal(["b", "a"], top.Tags.Select(t => t.Tag));
    }
}
