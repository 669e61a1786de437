using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>What both run repositories must do: Redis (the real redis-server of REDIS_TEST_SERVER) and the data-directory files.</summary>
public abstract class RunRepositoryContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset At = new(2026, 12, 20, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty repository.</summary>
    protected abstract IRunRepository Create();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static RunPlan Plan(string runId, params int[] sizes) => new()
    {
        RunId = runId,
        Reason = "test",
        Tags = ReclassificationLabels.FromLabels(["christmas", "ocean"]),
        ModelId = "minilm@1",
        ModelSha256 = new string('a', 64),
        ChunkSizes = sizes,
        TotalDocuments = sizes.Sum(),
        RemoveFields = ["classification_halloween"],
        RetryAttempts = 2,
        RetryDelaysSeconds = [0],
        StartedAt = At.AddSeconds(1),
    };

    protected static IReadOnlyList<IReadOnlyList<string>> Chunks(params int[] sizes) =>
        [.. sizes.Select((n, c) => (IReadOnlyList<string>)[.. Enumerable.Range(0, n).Select(i => $"c{c}-d{i}")])];

    protected static void AssertNoProgress(RunProgress progress)
    {
        Assert.Null(progress.Status);
        Assert.Empty(progress.Done);
        Assert.Empty(progress.Failed);
        Assert.Empty(progress.Stats);
        Assert.Empty(progress.Errors);
    }

    protected static async Task StartAsync(IRunRepository runs, string runId, DateTimeOffset at, params int[] sizes)
    {
        await runs.MarkPlanningAsync(runId, "test", at, CancellationToken.None);
        await runs.SavePlanAsync(Plan(runId, sizes) with { StartedAt = at.AddSeconds(1) }, Chunks(sizes), [], CancellationToken.None);
    }

    [SkippableFact]
    public async Task A_run_is_planning_then_running_with_its_plan_chunk_ids_and_chunk_jobs()
    {
        var runs = Create();
        await runs.MarkPlanningAsync("r1", "nightly", At, CancellationToken.None);
        var planning = await runs.GetAsync("r1", CancellationToken.None);
        Assert.Equal((RunStatus.Planning, "nightly", At), (planning!.Status, planning.Reason, planning.CreatedAt));
        Assert.Null(planning.Plan);

        await runs.SavePlanAsync(Plan("r1", 3, 2), Chunks(3, 2), [], CancellationToken.None);
        await runs.SetChunkJobsAsync("r1", new Dictionary<int, string> { [0] = "job-a", [1] = "job-b" }, CancellationToken.None);
        await runs.SetChunkJobsAsync("r1", new Dictionary<int, string> { [1] = "job-c" }, CancellationToken.None);

        var running = (await runs.GetAsync("r1", CancellationToken.None))!;
        Assert.Equal(RunStatus.Running, running.Status);
        Assert.Equal(At.AddSeconds(1), running.StartedAt);
        Assert.Equal(Plan("r1", 3, 2).Tags, running.Plan!.Tags);
        Assert.Equal([3, 2], running.Plan.ChunkSizes);
        Assert.Equal(["classification_halloween"], running.Plan.RemoveFields);
        Assert.Equal(new Dictionary<int, string> { [0] = "job-a", [1] = "job-c" }, running.ChunkJobs);
        Assert.Equal(["c1-d0", "c1-d1"], await runs.GetChunkIdsAsync("r1", 1, CancellationToken.None));
        Assert.Empty(await runs.GetChunkIdsAsync("r1", 5, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Planning_again_keeps_the_first_creation_time_and_forgets_the_earlier_attempt()
    {
        var runs = Create();
        await StartAsync(runs, "r1", At, 2);
        await runs.CompleteChunkAsync("r1", 0, new ChunkStats(2, 2, 0, 5, "s"), CancellationToken.None);

        await runs.MarkPlanningAsync("r1", "retry", At.AddMinutes(5), CancellationToken.None);

        var state = (await runs.GetAsync("r1", CancellationToken.None))!;
        Assert.Equal((RunStatus.Planning, "retry", At), (state.Status, state.Reason, state.CreatedAt));
        Assert.Null(state.Plan);
        Assert.Empty((await runs.GetProgressAsync("r1", CancellationToken.None)).Done);
        Assert.Empty(await runs.GetChunkIdsAsync("r1", 0, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Chunk_completion_is_a_set_and_a_done_chunk_is_never_listed_failed()
    {
        var runs = Create();
        await StartAsync(runs, "r1", At, 2, 2, 2);

        await runs.FailChunkAsync("r1", 1, "slow shard", CancellationToken.None);
        Assert.True(await runs.IsChunkFinishedAsync("r1", 1, CancellationToken.None));
        await runs.CompleteChunkAsync("r1", 1, new ChunkStats(2, 1, 1, 10, "a"), CancellationToken.None); // a retry succeeded
        await runs.CompleteChunkAsync("r1", 1, new ChunkStats(2, 0, 2, 12, "b"), CancellationToken.None); // a second copy
        await runs.FailChunkAsync("r1", 1, "late failure", CancellationToken.None);
        await runs.FailChunkAsync("r1", 2, null, CancellationToken.None);

        var progress = await runs.GetProgressAsync("r1", CancellationToken.None);
        Assert.Equal(RunStatus.Running, progress.Status);
        Assert.Equal([1], progress.Done);
        Assert.Equal([2], progress.Failed);
        Assert.Equal([1, 2], progress.Finished.Order());
        Assert.Equal(new ChunkStats(2, 0, 2, 12, "b"), progress.Stats[1]);
        Assert.Equal("failed", progress.Errors[2]);
        Assert.False(await runs.IsChunkFinishedAsync("r1", 0, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Chunks_completed_at_the_same_time_are_all_counted()
    {
        var runs = Create();
        await StartAsync(runs, "r1", At, [.. Enumerable.Repeat(1, 24)]);

        await Task.WhenAll(Enumerable.Range(0, 24).Select(c => Task.Run(() =>
            runs.CompleteChunkAsync("r1", c, new ChunkStats(1, 1, 0, 1, "s"), CancellationToken.None))));

        var progress = await runs.GetProgressAsync("r1", CancellationToken.None);
        Assert.Equal(24, progress.Done.Count);
        Assert.Equal(24, progress.Stats.Count);
    }

    [SkippableFact]
    public async Task Finishing_records_status_error_and_time_and_only_a_finished_outcome_is_accepted()
    {
        var runs = Create();
        await StartAsync(runs, "r1", At, 2, 2);
        await runs.CompleteChunkAsync("r1", 0, new ChunkStats(2, 2, 0, 5, "s"), CancellationToken.None);
        await runs.FailChunkAsync("r1", 1, "boom", CancellationToken.None);
        var outcome = RunOutcome.OfChunks(Plan("r1", 2, 2), await runs.GetProgressAsync("r1", CancellationToken.None));

        await Assert.ThrowsAsync<ArgumentException>(() => runs.FinishAsync("r1", RunOutcome.OfChunks(2, 0, [0], []), At, CancellationToken.None));
        await runs.FinishAsync("r1", outcome, At.AddMinutes(1), CancellationToken.None);

        var state = (await runs.GetAsync("r1", CancellationToken.None))!;
        Assert.Equal(RunStatus.CompletedWithFailures, state.Status);
        Assert.Equal(At.AddMinutes(1), state.FinishedAt);
        Assert.Equal("1 chunk(s) failed after 2 retries: 1", state.Error);
        Assert.Equal(RunStatus.CompletedWithFailures, (await runs.GetProgressAsync("r1", CancellationToken.None)).Status);
    }

    [SkippableFact]
    public async Task The_history_is_newest_first_with_unfinished_runs_and_trimming_keeps_those()
    {
        var runs = Create();
        await StartAsync(runs, "r1", At, 1);
        await StartAsync(runs, "r2", At.AddMinutes(1), 1); // left running, e.g. cut off by a restart
        await StartAsync(runs, "r3", At.AddMinutes(2), 1);
        await StartAsync(runs, "r4", At.AddMinutes(3), 1);
        foreach (var id in new[] { "r1", "r3", "r4" })
        {
            await runs.FinishAsync(id, RunOutcome.OfChunks(1, 0, [0], []), At.AddMinutes(4), CancellationToken.None);
        }

        Assert.Equal(["r4", "r3", "r2", "r1"], (await runs.ListAsync(CancellationToken.None)).Select(r => r.RunId));
        Assert.Equal(["r2"], (await runs.ListAsync(CancellationToken.None)).Where(r => !RunOutcome.IsFinishedStatus(r.Status)).Select(r => r.RunId));

        await runs.TrimAsync(1, CancellationToken.None);

        Assert.Equal(["r4", "r2"], (await runs.ListAsync(CancellationToken.None)).Select(r => r.RunId));
        Assert.Null(await runs.GetAsync("r1", CancellationToken.None));
        Assert.Empty((await runs.GetProgressAsync("r3", CancellationToken.None)).Done);
        Assert.Empty(await runs.GetChunkIdsAsync("r3", 0, CancellationToken.None));
    }

    [SkippableFact]
    public async Task An_unknown_run_has_no_state_no_progress_and_no_chunks()
    {
        var runs = Create();

        Assert.Null(await runs.GetAsync("no-such-run", CancellationToken.None));
        AssertNoProgress(await runs.GetProgressAsync("no-such-run", CancellationToken.None));
        Assert.Empty(await runs.ListAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task Field_times_are_set_tracked_without_moving_known_ones_and_forgotten()
    {
        var runs = Create();
        await runs.SetFieldTimesAsync(["classification_christmas", "classification_ocean"], At, CancellationToken.None);
        await runs.TrackUnknownFieldsAsync(["classification_ocean", "classification_space"], At.AddDays(1), CancellationToken.None);
        await runs.ForgetFieldsAsync(["classification_christmas"], CancellationToken.None);
        await runs.ForgetFieldsAsync([], CancellationToken.None);
        await runs.SetFieldTimesAsync([], At, CancellationToken.None);

        var times = await runs.GetFieldTimesAsync(CancellationToken.None);
        Assert.Equal(new Dictionary<string, DateTimeOffset>
        {
            ["classification_ocean"] = At,
            ["classification_space"] = At.AddDays(1),
        }, times);
    }

    [SkippableFact]
    public async Task The_startup_claim_or_any_run_counts_as_a_startup_already_done()
    {
        var claimed = Create();
        Assert.False(await claimed.AnyRunOrStartupClaimAsync(CancellationToken.None));
        await claimed.ClaimStartupAsync("job-1", At, CancellationToken.None);
        Assert.True(await claimed.AnyRunOrStartupClaimAsync(CancellationToken.None));

        var ran = Create();
        await ran.MarkPlanningAsync("r1", "api", At, CancellationToken.None);
        Assert.True(await ran.AnyRunOrStartupClaimAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task The_completion_lock_lets_one_holder_in_at_a_time()
    {
        var runs = Create();
        var first = await runs.LockCompletionAsync("r1", CancellationToken.None);
        var second = runs.LockCompletionAsync("r1", CancellationToken.None);
        await Task.Delay(300);
        Assert.False(second.IsCompleted);
        await using (await runs.LockCompletionAsync("r2", CancellationToken.None))
        {
            // another run's lock is another lock
        }

        await first.DisposeAsync();
        await using var taken = await second.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

/// <summary>The embedded repository: files under a temp data directory.</summary>
public sealed class FileRunRepositoryTests : RunRepositoryContractTests
{
    private readonly List<string> _roots = [];

    protected override IRunRepository Create()
    {
        var root = TempDirectory.Create("runs");
        _roots.Add(root);
        return Open(root);
    }

    private static FileRunRepository Open(string root) => new(
        new DataDirectory(Options.Create(new StorageOptions { DataDirectory = root }), new HostingEnvironment { ContentRootPath = root }),
        new InProcessRunLocks(),
        NullLogger<FileRunRepository>.Instance);

    public override Task DisposeAsync()
    {
        foreach (var root in _roots)
        {
            Directory.Delete(root, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_history_survives_a_new_repository_instance_on_the_same_folder()
    {
        var root = TempDirectory.Create("runs");
        _roots.Add(root);
        using (var before = Open(root))
        {
            await StartAsync(before, "r1", At, 2, 2);
            await before.CompleteChunkAsync("r1", 0, new ChunkStats(2, 2, 0, 5, "s"), CancellationToken.None);
            await before.FailChunkAsync("r1", 1, "boom", CancellationToken.None);
            await before.FinishAsync("r1", RunOutcome.OfChunks(2, 2, [0], [1]), At.AddMinutes(1), CancellationToken.None);
            await StartAsync(before, "r2", At.AddMinutes(2), 3); // still running when the process went away
            await before.CompleteChunkAsync("r2", 0, new ChunkStats(3, 3, 0, 5, "s"), CancellationToken.None);
            await before.SetFieldTimesAsync(["classification_christmas"], At, CancellationToken.None);
        }

        using var after = Open(root);
        Assert.Equal(["r2", "r1"], (await after.ListAsync(CancellationToken.None)).Select(r => r.RunId));
        var r1 = (await after.GetAsync("r1", CancellationToken.None))!;
        Assert.Equal((RunStatus.CompletedWithFailures, At.AddMinutes(1)), (r1.Status, r1.FinishedAt));
        Assert.Equal("boom", (await after.GetProgressAsync("r1", CancellationToken.None)).Errors[1]);
        var r2 = (await after.GetAsync("r2", CancellationToken.None))!;
        Assert.Equal(RunStatus.Running, r2.Status);
        Assert.Equal([0], (await after.GetProgressAsync("r2", CancellationToken.None)).Done);
        Assert.Equal(["c0-d0", "c0-d1", "c0-d2"], await after.GetChunkIdsAsync("r2", 0, CancellationToken.None));
        Assert.Equal(At, (await after.GetFieldTimesAsync(CancellationToken.None))["classification_christmas"]);
        Assert.True(await after.AnyRunOrStartupClaimAsync(CancellationToken.None));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "runs"), "*.tmp"));
    }

    [Fact]
    public async Task A_run_id_that_cannot_be_a_file_name_is_no_run_and_cannot_be_written()
    {
        using var runs = (FileRunRepository)Create();

        Assert.Null(await runs.GetAsync("../../etc/passwd", CancellationToken.None));
        AssertNoProgress(await runs.GetProgressAsync("a/b", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => runs.MarkPlanningAsync("../x", "test", At, CancellationToken.None));
    }
}

/// <summary>The Redis repository against the test redis-server, under a key prefix of its own.</summary>
public sealed class RedisRunRepositoryTests : RunRepositoryContractTests
{
    private readonly string _prefix = $"test-runs-{Guid.NewGuid():N}:";
    private readonly List<string> _prefixes = [];
    private ConnectionMultiplexer? _redis;

    public override async Task InitializeAsync()
    {
        if (TestEnvironment.RedisServer is { } server)
        {
            _redis = await ConnectionMultiplexer.ConnectAsync(server);
        }
    }

    public override async Task DisposeAsync()
    {
        if (_redis is null)
        {
            return;
        }

        foreach (var prefix in _prefixes)
        {
            var keys = _redis.GetServers()[0].Keys(pattern: prefix + "*", pageSize: 1000).ToArray();
            if (keys.Length > 0)
            {
                await _redis.GetDatabase().KeyDeleteAsync(keys);
            }
        }

        await _redis.DisposeAsync();
    }

    protected override IRunRepository Create()
    {
        Skip.If(_redis is null, "REDIS_TEST_SERVER is not set: the Redis run repository needs a real redis-server (scripts/test.sh starts one).");
        var prefix = $"{_prefix}{_prefixes.Count}:";
        _prefixes.Add(prefix);
        var options = Options.Create(new RedisOptions { KeyPrefix = prefix });
        return new RedisRunRepository(_redis!, new RedisRunLocks(_redis!, options), options);
    }

    [SkippableFact]
    public async Task Runs_live_under_the_key_prefix_not_under_hangfire_storage()
    {
        var runs = Create();
        await StartAsync(runs, "r1", At, 2);
        await runs.CompleteChunkAsync("r1", 0, new ChunkStats(2, 2, 0, 5, "s"), CancellationToken.None);

        var db = _redis!.GetDatabase();
        var prefix = _prefixes[^1];
        Assert.Equal(RunStatus.Running, (string?)await db.HashGetAsync(prefix + "reclassify:run:r1", "Status"));
        Assert.True(await db.SetContainsAsync(prefix + "reclassify:run:r1:done", "0"));
        Assert.Equal(1, await db.SortedSetLengthAsync(prefix + "reclassify:runs"));
    }
}
