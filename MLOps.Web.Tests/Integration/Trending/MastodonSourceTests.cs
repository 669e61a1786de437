using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;
using static MLOps.Web.Tests.Integration.Trending.LocalStreamServer;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>The Mastodon streaming source against a local server speaking server-sent events.</summary>
public sealed class MastodonSourceTests : IAsyncLifetime
{
    private const string StreamPath = "/api/v1/streaming/public";
    private LocalStreamServer _server = null!;
    private readonly RecordingDelay _delay = new();

    public async Task InitializeAsync() => _server = await StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private TrendingHarness Harness(string? token = "masto-token") => new(new Dictionary<string, string?>
    {
        ["Trending:Source"] = "mastodon",
        ["Trending:Mastodon:InstanceUrl"] = _server.BaseAddress.ToString(),
        ["Trending:Mastodon:AccessToken"] = token,
        ["Trending:Mastodon:StallTimeout"] = "00:00:30",
    }, delay: _delay);

    private static async Task RunUntilAsync<TSource>(TSource source, Func<bool> done, string because)
        where TSource : IPostSource
    {
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(cts.Token);
        try
        {
            await Eventually.TrueAsync(done, TimeSpan.FromSeconds(10), because);
        }
        finally
        {
            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Update_events_are_counted_from_their_tags_and_other_events_comments_and_garbage_are_skipped()
    {
        _server.Script(StreamPath, Chunks("text/event-stream",
        [
            ":)\n",
            "event: update\n",
            "data: {\"id\":\"1\",\"content\":\"<p>Elf again</p>\",\n",
            "data: \"tags\":[{\"name\":\"Christmas\",\"url\":\"https://example.social/tags/christmas\"},{\"name\":\"elf\"}]}\n",
            "\n",
            ":thump\n",
            "event: delete\ndata: 109876\n\n",
            "event: update\ndata: this is not json\n\n",
            "event: update\ndata: {\"content\":\"<p>#christmas in html only</p>\",\"tags\":[]}\n\n",
            "event: status.update\ndata: {\"tags\":[{\"name\":\"christmas\"}]}\n\n",
            "event: update\r\ndata: {\"tags\":[{\"name\":\"christmas\"}]}\r\n\r\n",
        ], StreamEnd.Hold));

        using var harness = Harness();
        await RunUntilAsync(harness.Get<MastodonSource>(), () => harness.Metrics.PostsTotal >= 3, "three updates ingested");

        var request = Assert.Single(_server.Requests);
        Assert.Equal("GET " + StreamPath, $"{request.Method} {request.PathAndQuery}");
        Assert.Equal("Bearer masto-token", request.Authorization);
        Assert.Equal("text/event-stream", request.Accept);
        var top = await harness.Store.GetTopAsync(10, CancellationToken.None);
        Assert.Equal([new TrendingTag("christmas", "Christmas", 2), new TrendingTag("elf", "elf", 1)], top.Tags);
        Assert.Equal(1, harness.Metrics.MalformedTotal);
    }

    [Fact]
    public async Task An_event_cut_by_a_disconnect_is_not_counted_and_errors_back_off_as_documented()
    {
        _server.Script(StreamPath,
            Chunks("text/event-stream", ["event: update\n", "data: {\"tags\":[{\"name\":\"cut\"}]}\n"], StreamEnd.Abort, pause: TimeSpan.FromMilliseconds(100)),
            Status(502),
            Status(429),
            Chunks("text/event-stream", [":\n", "event: update\ndata: {\"tags\":[{\"name\":\"WorldCup\"}]}\n\n"], StreamEnd.Hold));

        using var harness = Harness(token: null);
        await RunUntilAsync(harness.Get<MastodonSource>(), () => harness.Metrics.PostsTotal >= 1, "the update after the errors was ingested");

        Assert.Equal([0.25, 5, 60], _delay.Delays.Select(d => d.TotalSeconds));
        Assert.All(_server.Requests, r => Assert.Null(r.Authorization));
        var top = await harness.Store.GetTopAsync(10, CancellationToken.None);
        Assert.Equal([new TrendingTag("worldcup", "WorldCup", 1)], top.Tags);
    }
}
