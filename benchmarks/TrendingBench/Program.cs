using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Redis;
using StackExchange.Redis;

// Trending benchmarks: `throughput [posts]` (extraction + counting on one thread, pinned to one
// core where the OS allows), `flush <redis host:port> [tags] [slides]` (one Redis flush per slide
// at N distinct tags, from an empty window up to a full one) and `topics [registry]` (the cosine of
// tag hypotheses with the built-in models over topic-groups.json: the embedding rule's threshold).
var verb = args.Length > 0 ? args[0] : "throughput";
var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
var options = new TrendingOptions { Source = TrendingSourceKind.Push };
var metrics = new TrendingMetrics(meters);
var extractor = new HashtagExtractor(options.MaxTagLength, options.EffectiveStopList);

return verb switch
{
    "throughput" => Throughput(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4_000_000),
    "flush" => await FlushAsync(args.Length > 1 ? args[1] : "127.0.0.1:6379",
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 180),
    "topics" => await TopicSimilarity.RunAsync(args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "mlops-bench-models")),
    _ => Usage(),
};

int Usage()
{
    Console.Error.WriteLine("usage: TrendingBench throughput [posts] | flush <host:port> [tags] [slides] | topics [model registry dir]");
    return 2;
}

int Throughput(int total)
{
    if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
    {
        Process.GetCurrentProcess().ProcessorAffinity = 1; // one core
    }

    var file = Path.Combine(AppContext.BaseDirectory, "SampleData", "posts.jsonl");
    var posts = File.ReadLines(file).Select(l => JsonSerializer.Deserialize<PostLine>(l)!).ToArray();
    var store = new MemoryTrendingStore(new TrendingCounters(options, DateTimeOffset.UtcNow), Options.Create(options), TimeProvider.System);
    var ingestor = new PostIngestor(store, extractor, metrics, TimeProvider.System);

    void Run(int n)
    {
        for (var i = 0; i < n; i++)
        {
            var p = posts[i % posts.Length];
            ingestor.Ingest(p.Text, p.Hashtags);
        }
    }

    Run(200_000); // warm up (tiered JIT)
    var hashtagsBefore = metrics.HashtagsTotal;
    var gcBefore = GC.CollectionCount(0);
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var sw = Stopwatch.StartNew();
    Run(total);
    sw.Stop();
    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    var hashtags = metrics.HashtagsTotal - hashtagsBefore;

    var textOnly = posts.Where(p => p.Hashtags is null).Select(p => p.Text!).ToArray();
    var sink = new CountingSink();
    var swExtract = Stopwatch.StartNew();
    for (var i = 0; i < total; i++)
    {
        extractor.ExtractFromText(textOnly[i % textOnly.Length], ref sink);
    }

    swExtract.Stop();

    Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; pinned to one core");
    Console.WriteLine($"sample: {posts.Length} posts, avg {posts.Average(p => p.Text?.Length ?? 0):F0} chars");
    Console.WriteLine($"extraction + counting: {total:N0} posts in {sw.Elapsed.TotalMilliseconds:F0} ms = {total / sw.Elapsed.TotalSeconds:N0} posts/s, {hashtags / sw.Elapsed.TotalSeconds:N0} hashtags/s, {allocated / (double)total:F2} B allocated/post, {GC.CollectionCount(0) - gcBefore} gen0 GCs");
    Console.WriteLine($"extraction only (text): {total / swExtract.Elapsed.TotalSeconds:N0} posts/s ({sink.Count:N0} tags)");
    return 0;
}

async Task<int> FlushAsync(string endpoint, int tags, int slides)
{
    var config = ConfigurationOptions.Parse(endpoint);
    config.AsyncTimeout = 60_000;
    config.SyncTimeout = 60_000;
    config.AllowAdmin = true;
    await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
    var time = new ManualTime(DateTimeOffset.UtcNow);
    var prefix = $"bench-{Guid.NewGuid():N}:";
    options.RedisKey = $"hashtags-bench-{Guid.NewGuid():N}";
    var counters = new TrendingCounters(options, time.GetUtcNow());
    var counter = counters.Window;
    using var store = new RedisTrendingStore(redis, counters, Options.Create(options),
        Options.Create(new RedisOptions { KeyPrefix = prefix }), time, metrics, NullLogger<RedisTrendingStore>.Instance);
    var names = Enumerable.Range(0, tags).Select(i => $"tag{i:D5}x").ToArray();
    var timings = new List<double>();
    try
    {
        for (var s = 0; s < slides; s++)
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < names.Length; i++)
            {
                counter.Add(names[i], names[i], 1 + (i % 7), now);
                counters.Baseline.Add(names[i], names[i], 1 + (i % 7), now);
            }

            var sw = Stopwatch.StartNew();
            if (!await store.SlideAsync(CancellationToken.None))
            {
                throw new InvalidOperationException("flush failed");
            }

            timings.Add(sw.Elapsed.TotalMilliseconds);
            time.Advance(options.Slide);
        }

        var top = await store.GetTopAsync(options.TopN, CancellationToken.None);
        var info = (await redis.GetServers()[0].InfoAsync("memory")).SelectMany(g => g).FirstOrDefault(kv => kv.Key == "used_memory_human").Value;
        Console.WriteLine($"redis {endpoint}, {tags:N0} distinct tags per slide, {slides} slides (window {options.Window}, slide {options.Slide}), used_memory {info}");
        Console.WriteLine($"first flush (empty window): {timings[0]:F1} ms");
        foreach (var at in new[] { 10, 60, 120 }.Where(a => a < timings.Count))
        {
            Console.WriteLine($"flush {at + 1} ({at + 1} buckets in the window): {timings[at]:F1} ms");
        }

        var last = timings.Skip(Math.Max(1, timings.Count - 20)).Order().ToList();
        Console.WriteLine($"last {last.Count} flushes (window of {Math.Min(slides, counter.BucketCount)} buckets): median {last[last.Count / 2]:F1} ms, max {last[^1]:F1} ms");
        Console.WriteLine($"top: {top.Tags[0].Tag} = {top.Tags[0].Count}");
        return 0;
    }
    finally
    {
        var db = redis.GetDatabase();
        var server = redis.GetServers()[0];
        await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
        {
            await db.KeyDeleteAsync(key);
        }

        await db.KeyDeleteAsync(options.RedisKey);
    }
}

internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

internal struct CountingSink : IHashtagSink
{
    public long Count;

    public void OnHashtag(scoped ReadOnlySpan<char> key, scoped ReadOnlySpan<char> display) => Count++;
}
