using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Commands;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>Runs end to end through Hangfire (InMemory storage), with in-test fakes of the catalog, model and trending features.</summary>
public sealed class ReclassificationRunTests
{
    private static (ReclassificationAppFactory Factory, FakeEmbeddingScorer Scorer) Create(
        int documents = 23, string[]? trending = null, Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var scorer = new FakeEmbeddingScorer();
        var factory = new ReclassificationAppFactory(
            new InMemoryCatalogIndex(TestCatalog.Create(documents)),
            new FakeScorerProvider(scorer),
            new FixedTrendingReader(trending ?? ["Christmas", "WorldCup", "Halloween", "Ocean", "Space", "Basketball"]),
            settings,
            time);
        return (factory, scorer);
    }

    [Fact]
    public async Task A_run_without_labels_writes_the_top_trending_tags_into_every_document_one_bulk_update_per_chunk()
    {
        var (factory, scorer) = Create();
        using var _ = factory;
        using var client = factory.CreateClient();

        var accepted = await ReclassificationAppFactory.StartAsync(client);
        Assert.Equal($"/hangfire/jobs/details/{accepted.JobId}", accepted.DashboardUrl);
        var run = await ReclassificationAppFactory.WaitForRunAsync(client, accepted.JobId);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["christmas", "worldcup", "halloween", "ocean", "space"], run.Tags);
        Assert.Equal(scorer.Model.Id, run.Model);
        Assert.Equal(23, run.Documents);
        Assert.Equal(23, run.DocumentsDone);
        Assert.Equal(5, run.Chunks);
        Assert.Empty(run.FailedChunks);
        Assert.True(run.DocsPerSecond > 0);
        Assert.Equal(100, run.Percent);

        // 23 documents in chunks of 5: five bulk updates of 5, 5, 5, 5 and 3 documents.
        Assert.Equal([3, 5, 5, 5, 5], factory.Index.Updates.Select(u => u.Count).Order());
        foreach (var doc in factory.Index.Documents)
        {
            Assert.Equal(1, factory.Index.Writes[doc.Id]);
            Assert.Equal(scorer.Model.Id, doc.ClassificationModel);
            Assert.NotNull(doc.ClassifiedAt);
            Assert.Equal(
                ["classification_christmas", "classification_halloween", "classification_ocean", "classification_space", "classification_worldcup"],
                doc.Classifications.Keys.Order(StringComparer.Ordinal));
        }

        // Each document was embedded once for all five tags.
        Assert.Equal(23, scorer.CountEmbedded(t => !t.StartsWith("This example is", StringComparison.Ordinal)));

        var christmas = factory.Index.Documents.Where(d => TestCatalog.IsChristmas(d.Id)).Select(d => d.Classifications["classification_christmas"]).ToList();
        var others = factory.Index.Documents.Where(d => !TestCatalog.IsChristmas(d.Id)).Select(d => d.Classifications["classification_christmas"]).ToList();
        Assert.True(christmas.Min() > others.Max(), $"christmas films {christmas.Min()} vs others {others.Max()}");

        var list = await client.GetFromJsonAsync<List<ReclassificationRun>>(new Uri("/api/reclassify/runs", UriKind.Relative), ReclassificationAppFactory.Json);
        Assert.Equal(accepted.JobId, Assert.Single(list!).Id);
    }

    [Fact]
    public async Task A_run_started_right_after_another_finished_starts_at_once_not_after_the_busy_retry_delay()
    {
        // The last chunk records the run; the coordinator holds the run lock until its next progress
        // check (up to ProgressInterval later). A run started in that gap must wait for the lock, not
        // be rescheduled BusyRetryDelay (here 60 s) later.
        var (factory, _) = Create(settings: new()
        {
            ["Reclassification:ProgressInterval"] = "00:00:03",
            ["Reclassification:BusyRetryDelay"] = "00:01:00",
        });
        using var _ = factory;
        using var client = factory.CreateClient();

        var first = await ReclassificationAppFactory.StartAsync(client, "christmas");
        var run = await ReclassificationAppFactory.WaitForRunAsync(client, first.JobId);
        Assert.Equal(RunStatus.Succeeded, run.Status);

        var started = DateTime.UtcNow;
        var second = await ReclassificationAppFactory.StartAsync(client, "ocean");
        var next = await ReclassificationAppFactory.WaitForRunAsync(client, second.JobId, TimeSpan.FromSeconds(40));
        Assert.Equal(RunStatus.Succeeded, next.Status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), $"the second run took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task Explicit_labels_are_validated_like_classify_labels_and_nothing_is_enqueued_on_bad_input()
    {
        var (factory, _) = Create();
        using var __ = factory;
        using var client = factory.CreateClient();

        async Task<JsonElement> Bad(object body)
        {
            var response = await client.PostAsJsonAsync(new Uri("/api/reclassify", UriKind.Relative), body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        }

        Assert.True((await Bad(new { labels = Array.Empty<string>() })).TryGetProperty("labels", out _));
        Assert.True((await Bad(new { labels = Enumerable.Range(0, 101).Select(i => $"tag{i}").ToArray() })).TryGetProperty("labels", out _));
        var errors = await Bad(new { labels = new[] { "christmas", " ", new string('a', 101), "!!!" } });
        Assert.False(errors.TryGetProperty("labels[0]", out _));
        Assert.True(errors.TryGetProperty("labels[1]", out _));
        Assert.True(errors.TryGetProperty("labels[2]", out _));
        Assert.True(errors.TryGetProperty("labels[3]", out _));

        var runs = await client.GetFromJsonAsync<List<ReclassificationRun>>(new Uri("/api/reclassify/runs", UriKind.Relative), ReclassificationAppFactory.Json);
        Assert.Empty(runs!);
        Assert.Equal(0, factory.Services.GetRequiredService<JobStorage>().GetMonitoringApi().EnqueuedCount("default"));
    }

    [Fact]
    public async Task A_post_without_a_body_runs_the_trending_tags_and_swagger_documents_the_endpoints()
    {
        var (factory, _) = Create(documents: 4, trending: ["Halloween"]);
        using var __ = factory;
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(new Uri("/api/reclassify", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<ReclassifyAccepted>(ReclassificationAppFactory.Json);
        Assert.Equal($"/api/reclassify/runs/{accepted!.JobId}", response.Headers.Location?.OriginalString);
        var run = await ReclassificationAppFactory.WaitForRunAsync(client, accepted.JobId);
        Assert.Equal(["halloween"], run.Tags);
        Assert.Equal("api", run.Reason);

        var swagger = await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        Assert.Contains("\"/api/reclassify\"", swagger, StringComparison.Ordinal);
        Assert.Contains("\"/api/reclassify/runs\"", swagger, StringComparison.Ordinal);
        Assert.Contains("\"/api/reclassify/runs/{id}\"", swagger, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_with_no_trending_tags_is_recorded_as_skipped_and_writes_nothing()
    {
        var (factory, _) = Create(trending: []);
        using var __ = factory;
        using var client = factory.CreateClient();

        var run = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client)).JobId);

        Assert.Equal(RunStatus.Skipped, run.Status);
        Assert.Empty(factory.Index.Updates);
    }

    [Fact]
    public async Task Unknown_run_id_answers_404()
    {
        var (factory, _) = Create();
        using var __ = factory;
        using var client = factory.CreateClient();
        var response = await client.GetAsync(new Uri("/api/reclassify/runs/no-such-run", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_second_run_with_new_tags_over_unchanged_documents_embeds_no_document()
    {
        var (factory, scorer) = Create();
        using var _ = factory;
        using var client = factory.CreateClient();
        static bool IsDocument(string text) => !text.StartsWith("This example is", StringComparison.Ordinal);

        var first = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "christmas")).JobId);
        Assert.Equal(23, first.DocumentsEmbedded);
        Assert.Equal(23, scorer.CountEmbedded(IsDocument));
        var split = Assert.IsType<RunSplit>(first.Split);
        Assert.True(split.Chunks > 0 && split.Embed >= 0 && split.Write >= 0 && split.Read >= 0, $"split {split}");
        Assert.True(split.Read + split.Lease + split.Embed + split.Cache + split.Score + split.Write <= split.Chunks + 0.01, $"phases beyond the chunks' time: {split}");

        var second = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "ocean", "#SpaceRace")).JobId);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Equal(0, second.DocumentsEmbedded);
        Assert.Equal(23, second.EmbeddingCacheHits);
        Assert.Equal(23, scorer.CountEmbedded(IsDocument));
        Assert.Contains("This example is space race.", scorer.Embedded);
        Assert.All(factory.Index.Documents, d => Assert.Contains("classification_spacerace", d.Classifications.Keys));

        // Scores from cached vectors are the scores a fresh embedding gives.
        var doc = factory.Index["m0005"];
        var expected = scorer.ScoreEmbeddings(FakeEmbeddingScorer.Embed(doc.ClassificationText), [FakeEmbeddingScorer.Embed("This example is ocean.")])[0];
        Assert.Equal(expected, doc.Classifications["classification_ocean"], 5);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(factory.DataDirectory, "embedding-cache"), "*.bin"));
    }

    [Fact]
    public async Task Every_chunk_scores_with_the_model_version_the_run_started_with_even_after_a_promotion()
    {
        var (factory, scorer) = Create();
        using var _ = factory;
        var promoted = new FakeEmbeddingScorer("fake-embed@2");
        factory.Scorers.Add(promoted);
        factory.Scorers.OnAcquired = _ => factory.Scorers.ActiveModelId = promoted.Model.Id;
        using var client = factory.CreateClient();

        var run = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "christmas")).JobId);

        Assert.Equal(scorer.Model.Id, run.Model);
        Assert.Equal(promoted.Model.Id, factory.Scorers.ActiveModelId);
        Assert.All(factory.Index.Documents, d => Assert.Equal(scorer.Model.Id, d.ClassificationModel));
        Assert.DoesNotContain(promoted.Model.Id, factory.Scorers.Acquired);
        Assert.Empty(promoted.Embedded);
    }

    [Fact]
    public async Task Two_triggers_never_overlap_the_second_run_waits_for_the_first()
    {
        // Enough workers for the first run's three held chunks, its coordinator and the second coordinator.
        var (factory, _) = Create(settings: new() { ["Reclassification:ChunkSize"] = "10", ["Hangfire:WorkerCount"] = "6" });
        using var __ = factory;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        factory.Index.BeforeGetMany = (_, ct) => release.Task.WaitAsync(ct);
        using var client = factory.CreateClient();
        var monitor = factory.Services.GetRequiredService<JobStorage>().GetMonitoringApi();

        var a = await ReclassificationAppFactory.StartAsync(client, "christmas");
        var b = await ReclassificationAppFactory.StartAsync(client, "ocean");

        // While the first run's chunks are held, the other run is put back, not started.
        bool Waited(string id) => monitor.JobDetails(id).History.Any(h => h.Reason?.Contains("in progress", StringComparison.Ordinal) == true);
        for (var i = 0; i < 200 && !Waited(a.JobId) && !Waited(b.JobId); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(Waited(a.JobId) || Waited(b.JobId), "neither run was put back while the other held the lock");
        release.SetResult();
        var runA = await ReclassificationAppFactory.WaitForRunAsync(client, a.JobId);
        var runB = await ReclassificationAppFactory.WaitForRunAsync(client, b.JobId);

        Assert.Equal(RunStatus.Succeeded, runA.Status);
        Assert.Equal(RunStatus.Succeeded, runB.Status);
        var (first, second) = runA.StartedAt < runB.StartedAt ? (runA, runB) : (runB, runA);
        Assert.True(first.FinishedAt <= second.StartedAt, $"runs overlap: {first.StartedAt:O}-{first.FinishedAt:O} and {second.StartedAt:O}-{second.FinishedAt:O}");
        Assert.True(Waited(second.Id));
        Assert.All(factory.Index.Documents, d => Assert.Equal(2, factory.Index.Writes[d.Id]));
    }

    [Fact]
    public async Task A_chunk_whose_job_was_deleted_is_enqueued_again_by_the_coordinator()
    {
        // One worker for the coordinator, one for chunks: chunk 0 is held while chunk 2's queued job is deleted.
        var (factory, _) = Create(documents: 20, settings: new()
        {
            ["Hangfire:WorkerCount"] = "2",
            ["Reclassification:ChunkCheckInterval"] = "00:00:00.200",
        });
        using var __ = factory;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        factory.Index.BeforeGetMany = (ids, ct) => ids.Contains("m0000") ? release.Task.WaitAsync(ct) : Task.CompletedTask;
        using var client = factory.CreateClient();
        var runs = factory.Services.GetRequiredService<IRunRepository>();

        var accepted = await ReclassificationAppFactory.StartAsync(client, "christmas");
        string? chunkJob = null;
        for (var i = 0; i < 100 && chunkJob is null; i++)
        {
            await Task.Delay(100);
            chunkJob = (await runs.GetAsync(accepted.JobId, CancellationToken.None))?.ChunkJobs.GetValueOrDefault(2);
        }

        Assert.NotNull(chunkJob);
        Assert.True(factory.Services.GetRequiredService<IBackgroundJobClient>().Delete(chunkJob));
        await Task.Delay(500);
        release.SetResult();

        var run = await ReclassificationAppFactory.WaitForRunAsync(client, accepted.JobId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.All(factory.Index.Documents, d => Assert.Equal(1, factory.Index.Writes[d.Id]));
        Assert.NotEqual(chunkJob, (await runs.GetAsync(accepted.JobId, CancellationToken.None))!.ChunkJobs[2]);
    }

    [Fact]
    public async Task A_chunk_that_keeps_failing_is_retried_then_listed_and_the_run_finishes()
    {
        var (factory, _) = Create(settings: new() { ["Reclassification:RetryAttempts"] = "2" });
        using var __ = factory;
        var attempts = 0;
        factory.Index.BeforeGetMany = (ids, _) =>
        {
            if (ids.Contains("m0007"))
            {
                Interlocked.Increment(ref attempts);
                throw new IOException("index shard unavailable");
            }

            return Task.CompletedTask;
        };
        using var client = factory.CreateClient();

        var run = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "christmas")).JobId);

        Assert.Equal(RunStatus.CompletedWithFailures, run.Status);
        Assert.Equal(3, attempts); // the first try and two retries
        var failed = Assert.Single(run.FailedChunks);
        Assert.Equal(1, failed.Chunk); // m0005..m0009
        Assert.NotNull(failed.JobId);
        Assert.Contains("index shard unavailable", failed.Error, StringComparison.Ordinal);
        Assert.Equal(18, run.DocumentsDone);
        Assert.Contains("1", run.Error, StringComparison.Ordinal);
        Assert.All(factory.Index.Documents.Where(d => d.Id is not ("m0005" or "m0006" or "m0007" or "m0008" or "m0009")),
            d => Assert.Contains("classification_christmas", d.Classifications.Keys));
        Assert.DoesNotContain("classification_christmas", factory.Index["m0007"].Classifications.Keys);
        var state = factory.Services.GetRequiredService<JobStorage>().GetConnection().GetStateData(failed.JobId!);
        Assert.Equal("Failed", state.Name);
    }

    [Fact]
    public async Task A_chunk_that_fails_once_is_retried_and_the_run_succeeds()
    {
        var (factory, _) = Create();
        using var __ = factory;
        var failures = 0;
        factory.Index.BeforeGetMany = (ids, _) =>
            ids.Contains("m0012") && Interlocked.Increment(ref failures) == 1 ? throw new TimeoutException("slow shard") : Task.CompletedTask;
        using var client = factory.CreateClient();

        var run = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "christmas")).JobId);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(2, failures);
        Assert.Empty(run.FailedChunks);
        Assert.All(factory.Index.Documents, d => Assert.Equal(1, factory.Index.Writes[d.Id]));
    }

    [Fact]
    public async Task Fields_of_tags_that_left_the_trending_set_are_kept_for_the_retention_then_removed()
    {
        var time = new OffsetTimeProvider();
        var (factory, _) = Create(documents: 6, time: time, settings: new() { ["Reclassification:FieldRetention"] = "7.00:00:00" });
        using var __ = factory;
        using var client = factory.CreateClient();

        await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "christmas", "ocean")).JobId);
        time.Offset = TimeSpan.FromDays(3);
        var kept = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "ocean")).JobId);
        Assert.Empty(kept.RemovedFields);
        Assert.All(factory.Index.Documents, d => Assert.Contains("classification_christmas", d.Classifications.Keys));

        time.Offset = TimeSpan.FromDays(7.5);
        var removed = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "ocean")).JobId);
        Assert.Equal(["classification_christmas"], removed.RemovedFields);
        Assert.All(factory.Index.Documents, d =>
        {
            Assert.DoesNotContain("classification_christmas", d.Classifications.Keys);
            Assert.Contains("classification_ocean", d.Classifications.Keys);
        });

        // Once removed, the field is no longer tracked: the next run removes nothing.
        time.Offset = TimeSpan.FromDays(20);
        var next = await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "ocean")).JobId);
        Assert.Empty(next.RemovedFields);
    }

    [Fact]
    public async Task Progress_shows_in_the_job_details_page_of_the_dashboard()
    {
        var (factory, _) = Create();
        using var __ = factory;
        using var client = factory.CreateClient();
        var accepted = await ReclassificationAppFactory.StartAsync(client, "christmas");
        await ReclassificationAppFactory.WaitForRunAsync(client, accepted.JobId);

        var html = await client.GetStringAsync(new Uri(accepted.DashboardUrl, UriKind.Relative));
        Assert.Contains(ReclassificationJobs.ProgressParameter, html, StringComparison.Ordinal);
        Assert.Contains("100%", html, StringComparison.Ordinal);
        Assert.Contains("docs/s", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_recurring_job_uses_the_configured_cron_and_time_zone()
    {
        var (factory, _) = Create(settings: new() { ["Reclassification:Cron"] = "30 4 * * 1", ["Reclassification:TimeZone"] = "Europe/Paris" });
        using var __ = factory;
        using var client = factory.CreateClient();
        var storage = factory.Services.GetRequiredService<JobStorage>();

        RecurringJobDto? job = null;
        for (var i = 0; i < 50 && job is null; i++)
        {
            using var connection = storage.GetConnection();
            job = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == ReclassificationStartup.RecurringJobId);
            await Task.Delay(100);
        }

        Assert.NotNull(job);
        Assert.Equal("30 4 * * 1", job.Cron);
        Assert.Equal("Europe/Paris", job.TimeZoneId);
        Assert.Equal(nameof(ReclassificationCoordinatorJob.RunAsync), job.Job.Method.Name);
    }

    [Fact]
    public async Task The_default_schedule_is_nightly_at_three_utc()
    {
        var (factory, _) = Create();
        using var __ = factory;
        using var client = factory.CreateClient();
        var storage = factory.Services.GetRequiredService<JobStorage>();
        RecurringJobDto? job = null;
        for (var i = 0; i < 50 && job is null; i++)
        {
            using var connection = storage.GetConnection();
            job = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == ReclassificationStartup.RecurringJobId);
            await Task.Delay(100);
        }

        Assert.Equal("0 3 * * *", job?.Cron);
        Assert.Equal("UTC", job?.TimeZoneId);
    }

    [Theory]
    [InlineData("Reclassification:Cron", "every night")]
    [InlineData("Reclassification:TimeZone", "Mars/Olympus")]
    [InlineData("Reclassification:ChunkSize", "0")]
    [InlineData("Reclassification:RetryDelaysSeconds:0", "-5")]
    public void A_wrong_setting_fails_validation_naming_it(string key, string value)
    {
        // The registration the app uses (ValidateOnStart fails the start with this message).
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddReclassification();
        using var host = builder.Build();

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ReclassificationOptions>>().Value);
        Assert.Contains(key.Split(':')[1], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_settings_are_valid()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.AddReclassification();
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ReclassificationOptions>>().Value;
        Assert.Equal("0 3 * * *", options.Cron);
        Assert.Equal(500, options.ChunkSize);
        Assert.Equal(5, options.TopTags);
        Assert.Equal(TimeSpan.FromDays(7), options.FieldRetention);
    }

    [Fact]
    public async Task The_benchmark_verb_reports_inference_only_cold_and_warm_runs_and_the_warm_run_embeds_nothing()
    {
        var (factory, scorer) = Create(documents: 12);
        using var _ = factory;
        using var client = factory.CreateClient();
        using var output = new StringWriter();
        await ReclassificationAppFactory.WaitForRunAsync(client, (await ReclassificationAppFactory.StartAsync(client, "halloween")).JobId); // fills the cache

        var bench = Assert.IsType<ReclassifyBenchCommand>(AppCommand.Parse(["bench", "reclassify", "--cold-labels", "christmas,ocean", "--warm-labels", "space"]));
        var code = await bench.MeasureAsync(factory.Services, output, CancellationToken.None);

        Assert.True(code == 0, output.ToString());
        var tables = output.ToString().Replace("\r", "", StringComparison.Ordinal).Split("\n\n")
            .Select(block => block.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList())
            .Where(t => t.Count > 0).ToList();
        Assert.Equal(2, tables.Count); // the runs, then where their time went
        var rows = tables[0];
        Assert.Equal(4, rows.Count); // header + inference only + cold + warm
        var split = tables[1];
        Assert.Equal(3, split.Count); // header + cold + warm
        var warmSplit = split.Single(r => r.StartsWith("| warm ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal("0.00", warmSplit[6]); // no inference: every vector came from the cache
        var warm = rows.Single(r => r.StartsWith("| warm ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal("1", warm[2]); // one tag
        Assert.Equal("12", warm[3]); // documents
        Assert.Equal("0", warm[4]); // embedded: all from the cache
        var cold = rows.Single(r => r.StartsWith("| cold ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal("12", cold[4]);
        // The first run embeds each document once, the floor once, the cold run once more (its cache was cleared), the warm run never.
        Assert.Equal(36, scorer.CountEmbedded(t => !t.StartsWith("This example is", StringComparison.Ordinal)));
    }
}
