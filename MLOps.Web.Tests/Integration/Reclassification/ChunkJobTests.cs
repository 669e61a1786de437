using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>Chunk jobs called directly against a stored plan, with no coordinator running.</summary>
public sealed class ChunkJobTests
{
    [Fact]
    public async Task A_finished_chunk_is_not_redone_and_the_last_chunk_records_the_run()
    {
        var scorer = new FakeEmbeddingScorer();
        using var factory = new ReclassificationAppFactory(
            new InMemoryCatalogIndex(TestCatalog.Create(7)), new FakeScorerProvider(scorer), new FixedTrendingReader());
        using var client = factory.CreateClient();
        var services = factory.Services;
        var runs = services.GetRequiredService<IRunRepository>();

        // A run id that is a real job which will not run by itself.
        var runId = services.GetRequiredService<IBackgroundJobClient>().Schedule(() => Console.WriteLine("placeholder"), TimeSpan.FromDays(1));
        List<IReadOnlyList<string>> chunks = [new[] { "m0000", "m0001", "m0002", "m0003" }, new[] { "m0004", "m0005", "m0006" }];
        await runs.MarkPlanningAsync(runId, "test", DateTimeOffset.UtcNow, CancellationToken.None);
        await runs.SavePlanAsync(new RunPlan
        {
            RunId = runId,
            Reason = "test",
            Tags = ReclassificationLabels.FromLabels(["christmas"]),
            ModelId = scorer.Model.Id,
            ModelSha256 = scorer.Model.Sha256,
            ChunkSizes = [4, 3],
            TotalDocuments = 7,
            RetryAttempts = 0,
            StartedAt = DateTimeOffset.UtcNow,
        }, chunks, [], CancellationToken.None);
        var jobs = ActivatorUtilities.CreateInstance<ReclassificationChunkJob>(services);

        await jobs.RunAsync(runId, 0, null, CancellationToken.None);
        await jobs.RunAsync(runId, 0, null, CancellationToken.None); // e.g. re-queued after a crash
        Assert.Equal(RunStatus.Running, (await services.GetRequiredService<RunHistory>().GetAsync(runId, CancellationToken.None))!.Status);
        Assert.Single(factory.Index.Updates);

        await jobs.RunAsync(runId, 1, null, CancellationToken.None);

        var run = (await services.GetRequiredService<RunHistory>().GetAsync(runId, CancellationToken.None))!;
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(7, run.DocumentsDone);
        Assert.Equal(2, factory.Index.Updates.Count);
        Assert.All(factory.Index.Documents, d => Assert.Equal(1, factory.Index.Writes[d.Id]));
        Assert.Equal(7, scorer.CountEmbedded(t => !t.StartsWith("This example is", StringComparison.Ordinal)));
        using var connection = services.GetRequiredService<JobStorage>().GetConnection();
        Assert.Contains("100%", connection.GetJobParameter(runId, ReclassificationJobs.ProgressParameter), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunk_whose_lock_another_copy_holds_is_put_back_not_reported_done_and_scored_once_the_lock_is_free()
    {
        var scorer = new FakeEmbeddingScorer();
        using var factory = new ReclassificationAppFactory(
            new InMemoryCatalogIndex(TestCatalog.Create(3)), new FakeScorerProvider(scorer), new FixedTrendingReader(),
            new Dictionary<string, string?> { ["Reclassification:BusyRetryDelay"] = "00:05:00" });
        using var client = factory.CreateClient();
        var services = factory.Services;
        var runs = services.GetRequiredService<IRunRepository>();
        var runId = services.GetRequiredService<IBackgroundJobClient>().Schedule(() => Console.WriteLine("placeholder"), TimeSpan.FromDays(1));
        await runs.MarkPlanningAsync(runId, "test", DateTimeOffset.UtcNow, CancellationToken.None);
        await runs.SavePlanAsync(new RunPlan
        {
            RunId = runId,
            Reason = "test",
            Tags = ReclassificationLabels.FromLabels(["christmas"]),
            ModelId = scorer.Model.Id,
            ModelSha256 = scorer.Model.Sha256,
            ChunkSizes = [3],
            TotalDocuments = 3,
            RetryAttempts = 0,
            StartedAt = DateTimeOffset.UtcNow,
        }, [new[] { "m0000", "m0001", "m0002" }], [], CancellationToken.None);

        // E.g. the copy of a process that was killed: its lock outlives it until it expires.
        var held = await services.GetRequiredService<IRunLocks>().AcquireAsync(RunLockNames.Chunk(runId, 0), TimeSpan.FromSeconds(5), CancellationToken.None);
        var chunkJob = services.GetRequiredService<IBackgroundJobClient>().Create(
            Hangfire.Common.Job.FromExpression<ReclassificationChunkJob>(j => j.RunAsync(runId, 0, null, CancellationToken.None)),
            new Hangfire.States.EnqueuedState(ReclassificationJobs.Queue));

        using var connection = services.GetRequiredService<JobStorage>().GetConnection();
        for (var i = 0; i < 200 && connection.GetStateData(chunkJob)?.Name != Hangfire.States.ScheduledState.StateName; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(Hangfire.States.ScheduledState.StateName, connection.GetStateData(chunkJob)?.Name);
        Assert.False(await runs.IsChunkFinishedAsync(runId, 0, CancellationToken.None));
        Assert.Empty(factory.Index.Updates);

        held.Dispose();
        await ActivatorUtilities.CreateInstance<ReclassificationChunkJob>(services).RunAsync(runId, 0, null, CancellationToken.None);
        Assert.True(await runs.IsChunkFinishedAsync(runId, 0, CancellationToken.None));
        Assert.Equal(RunStatus.Succeeded, (await services.GetRequiredService<RunHistory>().GetAsync(runId, CancellationToken.None))!.Status);
        Assert.All(factory.Index.Documents, d => Assert.Equal(1, factory.Index.Writes[d.Id]));
    }
}
