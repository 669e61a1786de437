using System.Diagnostics;
using MLOps.Web.Features.Trending;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Trending;

public sealed class ReplaySourceTests
{
    private static string WriteFile(params string[] lines)
    {
        var path = Path.Combine(TempDirectory.Create("replay"), "posts.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static TrendingHarness Harness(string file, string rate, bool loop) => new(new Dictionary<string, string?>
    {
        ["Trending:Source"] = "replay",
        ["Trending:Replay:File"] = file,
        ["Trending:Replay:PostsPerSecond"] = rate,
        ["Trending:Replay:Loop"] = loop ? "true" : "false",
    });

    [Fact]
    public async Task Malformed_lines_are_counted_and_skipped_and_the_rest_is_ingested()
    {
        var file = WriteFile(
            """{"text": "Snow outside #Christmas"}""",
            "not json at all",
            "",
            """{"text": "cut in the mid""",
            """{"unrelated": 1}""",
            """{"text": "ignored #text", "hashtags": ["WorldCup"]}""",
            "null");
        using var harness = Harness(file, "0", loop: false);

        await harness.Get<ReplaySource>().RunAsync(CancellationToken.None);

        Assert.Equal(2, harness.Metrics.PostsTotal);
        Assert.Equal(4, harness.Metrics.MalformedTotal);
        var top = await harness.Store.GetTopAsync(5, CancellationToken.None);
        Assert.Equal(["worldcup", "christmas"], top.Tags.Select(t => t.Tag));
    }

    [Fact]
    public async Task Posts_are_replayed_at_the_configured_rate()
    {
        var file = WriteFile([.. Enumerable.Range(0, 31).Select(i => $$"""{"text": "post {{i}} #pace"}""")]);
        using var harness = Harness(file, "100", loop: false);

        var sw = Stopwatch.StartNew();
        await harness.Get<ReplaySource>().RunAsync(CancellationToken.None);

        Assert.Equal(31, harness.Metrics.PostsTotal);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(280), $"31 posts at 100/s took {sw.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task With_loop_the_file_starts_again_at_its_end()
    {
        var file = WriteFile("""{"text": "#one"}""", """{"text": "#two"}""");
        using var harness = Harness(file, "0", loop: true);
        using var cts = new CancellationTokenSource();

        var run = harness.Get<ReplaySource>().RunAsync(cts.Token);
        await Eventually.TrueAsync(() => harness.Metrics.PostsTotal >= 10, TimeSpan.FromSeconds(10), "the file was replayed five times");
        await cts.CancelAsync();
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
            // stopping while reading is a normal stop
        }

        var top = await harness.Store.GetTopAsync(2, CancellationToken.None);
        Assert.True(top.Tags.All(t => t.Count >= 5));
    }
}
