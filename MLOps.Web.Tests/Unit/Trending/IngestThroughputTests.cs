using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Trending;

namespace MLOps.Web.Tests.Unit.Trending;

public class IngestThroughputTests
{
    /// <summary>
    /// The ingest path's throughput is a benchmark (benchmarks/TrendingBench, docs/benchmarks.md), not a
    /// timed test: a shared CI machine cannot hold a floor. What a test can hold is the reason it is fast:
    /// once warm, counting a post in the window, the baseline and the pairs allocates (almost) nothing.
    /// </summary>
    [Fact]
    public void Extraction_and_counting_of_the_sample_posts_in_window_baseline_and_pairs_allocate_almost_nothing_per_post()
    {
        var posts = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "SampleData", "posts.jsonl"))
            .Select(l => JsonSerializer.Deserialize<PostLine>(l)!).ToArray();
        var options = new TrendingOptions();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new TrendingMetrics(services.GetRequiredService<IMeterFactory>());
        var store = new MemoryTrendingStore(new TrendingCounters(options, DateTimeOffset.UtcNow), Options.Create(options), TimeProvider.System);
        var ingestor = new PostIngestor(store, new HashtagExtractor(options.MaxTagLength, options.EffectiveStopList), metrics, TimeProvider.System);

        void Run(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var p = posts[i % posts.Length];
                ingestor.Ingest(p.Text, p.Hashtags);
            }
        }

        Run(50_000);
        const int Measured = 400_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(Measured);
        var perPost = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Measured;

        Assert.True(perPost <= 16, $"{perPost:F1} bytes allocated per post");
        Assert.Equal(Measured + 50_000, metrics.PostsTotal);
        Assert.True(metrics.HashtagsTotal > Measured / 2);
    }

    [Theory]
    [InlineData(1_000, 10_000, 9_020)]
    [InlineData(19_999, 10_000, 21)]
    [InlineData(20_000, 10_000, 10_020)]
    public void The_slide_loop_wakes_just_after_the_next_slide_boundary(long nowMs, int slideMs, int expectedMs)
    {
        var wait = TrendingIngestService.UntilNextBoundary(DateTimeOffset.FromUnixTimeMilliseconds(nowMs), TimeSpan.FromMilliseconds(slideMs));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), wait);
    }
}
