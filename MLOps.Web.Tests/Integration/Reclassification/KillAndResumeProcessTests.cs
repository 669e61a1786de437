using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>
/// Issue 5's "killed mid-run, started again, resumes without redoing finished chunks", with a real
/// kill: the built app (<c>dotnet MLOps.Web.dll</c>) runs as a separate process on the test
/// redis-server, Lucene in a temp data directory and the real built-in model; it is SIGKILLed in the
/// middle of a run (no graceful shutdown, so Hangfire does not put its jobs back), and a second
/// process with the same settings and data directory finishes the run. The in-flight jobs come back
/// through Hangfire.Redis.StackExchange's FetchedJobsWatcher, here after a short
/// <c>Hangfire:InvisibilityTimeout</c>; the dead process's Redis locks (run, chunk) expire on their own.
/// </summary>
public sealed class KillAndResumeProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _id = Guid.NewGuid().ToString("N");
    private readonly string _data = TempDirectory.Create("kill-resume-data");

    private string Prefix => $"test-kill-{_id}:";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // temp folder
        }

        if (TestEnvironment.RedisServer is not { } server)
        {
            return;
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(server);
        var keys = redis.GetServers()[0].Keys(pattern: Prefix + "*", pageSize: 1000).ToArray();
        if (keys.Length > 0)
        {
            await redis.GetDatabase().KeyDeleteAsync(keys);
        }
    }

    [RequiresRedisFact]
    public async Task A_process_killed_mid_run_is_resumed_by_the_next_process_without_redoing_finished_chunks()
    {
        var clock = Stopwatch.StartNew();
        string runId;
        Dictionary<string, string> finishedBeforeKill;
        int chunks;
        long documents;

        await using (var first = AppProcess.Start(Settings(), "first"))
        {
            await first.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"first process ready after {clock.Elapsed.TotalSeconds:F1} s");
            var response = await first.Client.PostAsJsonAsync(new Uri("/api/reclassify", UriKind.Relative),
                new ReclassifyRequest(["christmas", "ocean"], "kill test"), Json);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            runId = (await response.Content.ReadFromJsonAsync<ReclassifyAccepted>(Json))!.JobId;

            // Kill once some chunks are done, but not all.
            var deadline = Stopwatch.StartNew();
            ReclassificationRun? run = null;
            while (deadline.Elapsed < TimeSpan.FromSeconds(30) && run is not { ChunksDone: >= 2 })
            {
                run = await first.RunAsync(runId);
                await Task.Delay(20);
            }

            first.Kill();
            Assert.True(run is { ChunksDone: >= 2, Status: RunStatus.Running }, "the run was not in the middle when polled: " + JsonSerializer.Serialize(run, Json) + first.Tail());
            chunks = run.Chunks;
            documents = run.Documents;
            finishedBeforeKill = await ChunkStatsAsync(runId);
            output.WriteLine($"killed after {clock.Elapsed.TotalSeconds:F1} s with {finishedBeforeKill.Count}/{chunks} chunks done");
            Assert.InRange(finishedBeforeKill.Count, 2, chunks - 1);
            Assert.True(first.HasExited);
        }

        // The killed process left its Lucene write.lock file behind; the OS released the lock itself.
        Assert.True(File.Exists(Path.Combine(_data, "index", "write.lock")), "expected the killed process's write.lock file");

        // Let the killed process's fetched jobs pass the invisibility timeout before the next server's first watcher pass.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await using var second = AppProcess.Start(Settings(), "second");
        await second.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"second process ready after {clock.Elapsed.TotalSeconds:F1} s");

        var resumed = await second.WaitForRunAsync(runId, TimeSpan.FromSeconds(75));
        output.WriteLine($"run finished after {clock.Elapsed.TotalSeconds:F1} s: {JsonSerializer.Serialize(resumed, Json)}");
        foreach (var line in second.Lines("re-queued", "holds the chunk lock", "holds the lock", "resumes"))
        {
            output.WriteLine("second: " + line);
        }

        Assert.Equal(RunStatus.Succeeded, resumed.Status);
        Assert.Equal(documents, resumed.DocumentsDone);
        Assert.Equal(chunks, resumed.ChunksDone);
        Assert.Equal(documents, resumed.DocumentsEmbedded + resumed.EmbeddingCacheHits);

        // No finished chunk was redone: each one's stats (documents, time, server) are still the first process's.
        var after = await ChunkStatsAsync(runId);
        Assert.Equal(chunks, after.Count);
        foreach (var (chunk, stats) in finishedBeforeKill)
        {
            Assert.Equal(stats, after[chunk]);
        }

        var firstServers = finishedBeforeKill.Values.Select(ServerOf).ToHashSet(StringComparer.Ordinal);
        var secondChunks = after.Where(e => !finishedBeforeKill.ContainsKey(e.Key)).ToList();
        Assert.NotEmpty(secondChunks);
        Assert.All(secondChunks, e => Assert.DoesNotContain(ServerOf(e.Value), firstServers));
        Assert.Empty(second.ScoredChunkLines(runId, finishedBeforeKill.Keys));
        Assert.Equal(chunks - finishedBeforeKill.Count, second.CountScoredChunkLines(runId));

        // Search sees both tags' scores on every document.
        var hits = new List<SearchHitDto>();
        for (var from = 0; from < documents; from += 100)
        {
            var page = (await second.Client.GetFromJsonAsync<SearchResponse>(
                new Uri($"/api/search?sort=classification_christmas&size=100&from={from}", UriKind.Relative), Json))!;
            Assert.Equal(documents, page.Total);
            hits.AddRange(page.Hits);
        }

        Assert.Equal(documents, hits.Select(h => h.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(hits, h =>
        {
            Assert.True(h.Classifications.ContainsKey("classification_christmas"), $"{h.Id} has no christmas score");
            Assert.True(h.Classifications.ContainsKey("classification_ocean"), $"{h.Id} has no ocean score");
        });
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static string ServerOf(string statsJson) =>
        JsonSerializer.Deserialize<ChunkStats>(statsJson, Json)?.Server ?? "";

    /// <summary>The run's per-chunk stats as stored (chunk -> JSON), straight from Redis.</summary>
    private async Task<Dictionary<string, string>> ChunkStatsAsync(string runId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        var entries = await redis.GetDatabase().HashGetAllAsync($"{Prefix}reclassify:run:{runId}:stats");
        return entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
    }

    private Dictionary<string, string> Settings() => AppProcess.OnDemandRunSettings(_data, new Dictionary<string, string>
    {
        ["Redis:ConnectionString"] = TestEnvironment.RedisServer!,
        ["Redis:KeyPrefix"] = Prefix,
        ["Trending:RedisKey"] = $"hashtags-kill-{_id}",
        ["Hangfire:WorkerCount"] = "3",
        ["Hangfire:InvisibilityTimeout"] = "00:00:02",
        ["Reclassification:ChunkSize"] = "10",
    });
}
