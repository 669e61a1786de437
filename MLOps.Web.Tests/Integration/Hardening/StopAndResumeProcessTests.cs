using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Issue 12, findings 5 and 6, as a user meets them, on the embedded defaults (no Redis: Lucene,
/// InMemory Hangfire, run history in files) with the real built-in model, the built app run as a
/// process (<c>dotnet MLOps.Web.dll</c>): SIGTERM in the middle of a reclassification run stops the
/// process within the host's shutdown timeout with no unhandled exception, and after a SIGTERM or
/// a <c>kill -9</c> the next process resumes the run from the files: it is not lost, and finished
/// chunks are not redone.
/// </summary>
public sealed class StopAndResumeProcessTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The host's shutdown timeout (HostOptions default, not changed by the app).</summary>
    private static readonly TimeSpan HostShutdownTimeout = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _data = TempDirectory.Create("stop-resume-data");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // temp folder
        }
    }

    private Dictionary<string, string> Settings() => AppProcess.OnDemandRunSettings(_data, new Dictionary<string, string>
    {
        ["Hangfire:WorkerCount"] = "2",
        ["Reclassification:ChunkSize"] = "20",
        ["Reclassification:EmbeddingCache"] = "None",
    });

    private static async Task<(string RunId, ReclassificationRun Run)> StartRunMidwayAsync(AppProcess app)
    {
        await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
        var response = await app.Client.PostAsJsonAsync(new Uri("/api/reclassify", UriKind.Relative),
            new ReclassifyRequest(["christmas", "ocean", "basketball", "space", "heist"], "stop test"), Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<ReclassifyAccepted>(Json))!.JobId;
        var clock = Stopwatch.StartNew();
        ReclassificationRun? run = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && run is not { ChunksDone: >= 2 })
        {
            run = await app.RunAsync(runId);
            await Task.Delay(20);
        }

        Assert.True(run is { ChunksDone: >= 2, Status: RunStatus.Running }, "not mid-run: " + JsonSerializer.Serialize(run, Json) + app.Tail());
        Assert.True(run.ChunksDone < run.Chunks, "the run finished before it could be stopped");
        return (runId, run);
    }

    /// <summary>Chunk -> stats JSON of the finished chunks, from the run's file.</summary>
    private Dictionary<string, string> FinishedChunks(string runId)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_data, "runs", runId + ".run.json")));
        return doc.RootElement.EnumerateObject().First(p => p.NameEquals("Stats") || p.NameEquals("stats")).Value
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
    }

    [Fact]
    public async Task Sigterm_mid_run_stops_within_the_shutdown_timeout_cleanly_and_the_next_process_resumes_the_run()
    {
        string runId;
        Dictionary<string, string> before;
        await using (var first = AppProcess.Start(Settings(), "first"))
        {
            (runId, _) = await StartRunMidwayAsync(first);
            var clock = Stopwatch.StartNew();
            first.Terminate();
            var exited = await first.WaitForExitAsync(HostShutdownTimeout + TimeSpan.FromSeconds(30));
            clock.Stop();
            output.WriteLine($"SIGTERM to exit: {clock.Elapsed.TotalSeconds:F1} s, exit code {(exited ? first.ExitCode : -1)}");
            Assert.True(exited, "still running after SIGTERM" + first.Tail());
            Assert.True(clock.Elapsed < HostShutdownTimeout, $"took {clock.Elapsed} to stop" + first.Tail());
            Assert.Contains(first.ExitCode, new[] { 0, 143 });
            var log = first.Output();
            Assert.DoesNotContain("OperationCanceledException", log, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", log, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("crit:", log, StringComparison.Ordinal);
            before = FinishedChunks(runId);
        }

        await AssertResumedAsync(runId, before);
    }

    [Fact]
    public async Task A_run_cut_off_by_kill_9_is_resumed_by_the_next_process_not_lost()
    {
        string runId;
        Dictionary<string, string> before;
        await using (var first = AppProcess.Start(Settings(), "first"))
        {
            (runId, _) = await StartRunMidwayAsync(first);
            first.Kill();
            before = FinishedChunks(runId);
        }

        await AssertResumedAsync(runId, before);
    }

    private async Task AssertResumedAsync(string runId, Dictionary<string, string> before)
    {
        output.WriteLine($"{before.Count} chunks finished before the stop");
        await using var second = AppProcess.Start(Settings(), "second");
        await second.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
        var listed = await second.Client.GetFromJsonAsync<ReclassificationRun[]>(new Uri("/api/reclassify/runs", UriKind.Relative), Json);
        Assert.Contains(listed!, r => r.Id == runId);

        var resumed = await second.WaitForRunAsync(runId, TimeSpan.FromSeconds(120));
        output.WriteLine(JsonSerializer.Serialize(resumed, Json));
        Assert.Equal(RunStatus.Succeeded, resumed.Status);
        Assert.Equal(resumed.Chunks, resumed.ChunksDone);
        Assert.Equal(resumed.Documents, resumed.DocumentsDone);
        Assert.NotEmpty(second.Lines("resumes it"));

        var after = FinishedChunks(runId);
        foreach (var (chunk, stats) in before)
        {
            Assert.Equal(stats, after[chunk]); // not redone: same documents, time and server
        }
    }
}
