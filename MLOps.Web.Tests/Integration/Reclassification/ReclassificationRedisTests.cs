using System.Net.Http.Json;
using MLOps.Web.Shared.Models;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>
/// Runs on Hangfire.Redis.StackExchange storage against the real redis-server (REDIS_TEST_SERVER),
/// each test under a key prefix of its own: replicas sharing one Redis, and a run resumed by a new
/// server after the first one went away in the middle.
/// </summary>
public sealed class ReclassificationRedisTests : IAsyncLifetime
{
    private readonly string _prefix = $"test-reclassify-{Guid.NewGuid():N}:";
    private readonly List<string> _prefixes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (TestEnvironment.RedisServer is not { } server)
        {
            return;
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(server);
        foreach (var prefix in _prefixes.Append(_prefix))
        {
            var keys = redis.GetServers()[0].Keys(pattern: prefix + "*", pageSize: 1000).ToArray();
            if (keys.Length > 0)
            {
                await redis.GetDatabase().KeyDeleteAsync(keys);
            }
        }
    }

    private static string Diagnose(ReclassificationAppFactory app, string? jobId = null)
    {
        var monitor = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Hangfire.JobStorage>(app.Services).GetMonitoringApi();
        var job = "";
        if (jobId is not null && monitor.JobDetails(jobId) is { } details)
        {
            job = "\nhistory: " + string.Join(" | ", details.History.Select(h => $"{h.StateName} {h.Reason} {string.Join(",", h.Data.Select(d => d.Key + "=" + d.Value))}"))
                + "\nqueues: " + string.Join("; ", monitor.Queues().Select(q => $"{q.Name}: {q.Length} enqueued, {q.Fetched} fetched"))
                + "\nservers: " + string.Join("; ", monitor.Servers().Select(sv => $"{sv.Name} w={sv.WorkersCount} q={string.Join(",", sv.Queues)} hb={sv.Heartbeat:O}"));
        }

        return job + "\n" + string.Join("\n", monitor.FailedJobs(0, 20).Select(j => $"{j.Key}: {j.Value.ExceptionType} {j.Value.ExceptionMessage} {j.Value.ExceptionDetails}"))
            + "\nscheduled: " + string.Join(", ", monitor.ScheduledJobs(0, 20).Select(j => j.Key))
            + "\nprocessing: " + string.Join(", ", monitor.ProcessingJobs(0, 20).Select(j => j.Key + " " + j.Value.Job?.Method.Name));
    }

    private static ReclassificationAppFactory Instance(InMemoryCatalogIndex index, FakeEmbeddingScorer scorer, string prefix, int workers = 3) =>
        new(index, new FakeScorerProvider(scorer), new FixedTrendingReader("Christmas", "Ocean"),
            new Dictionary<string, string?>(ReclassificationAppFactory.RedisSettings(prefix))
            {
                ["Reclassification:ChunkSize"] = "2",
                ["Hangfire:WorkerCount"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

    [RequiresRedisFact]
    public async Task The_redis_embedding_cache_returns_what_was_stored_per_model_and_forgets_a_cleared_model()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        var cache = new RedisEmbeddingCache(redis, Microsoft.Extensions.Options.Options.Create(new MLOps.Web.Infrastructure.Redis.RedisOptions { KeyPrefix = _prefix }));
        var sha = new string('d', 64);
        var keys = new[] { EmbeddingCacheKey.ForText("a"), EmbeddingCacheKey.ForText("b") };
        await cache.PutManyAsync(sha, keys, [[1.5f, -2f], [0f, 3.25f]], CancellationToken.None);

        var got = await cache.GetManyAsync(sha, [keys[1], EmbeddingCacheKey.ForText("c"), keys[0]], CancellationToken.None);
        Assert.Equal([0f, 3.25f], got[0]!);
        Assert.Null(got[1]);
        Assert.Equal([1.5f, -2f], got[2]!);
        Assert.All(await cache.GetManyAsync(new string('e', 64), keys, CancellationToken.None), Assert.Null);
        Assert.True(await redis.GetDatabase().KeyExistsAsync(_prefix + "embeddings:" + sha));

        await cache.ClearAsync(sha, CancellationToken.None);
        Assert.All(await cache.GetManyAsync(sha, keys, CancellationToken.None), Assert.Null);
    }

    [RequiresRedisFact]
    public async Task Two_instances_sharing_one_redis_both_process_chunks_and_give_the_result_of_one_instance()
    {
        var shared = new InMemoryCatalogIndex(TestCatalog.Create(40));
        var scorerA = new FakeEmbeddingScorer { DelayPerCall = TimeSpan.FromMilliseconds(60) };
        var scorerB = new FakeEmbeddingScorer { DelayPerCall = TimeSpan.FromMilliseconds(60) };
        using (var a = Instance(shared, scorerA, _prefix))
        using (var b = Instance(shared, scorerB, _prefix))
        {
            using var clientA = a.CreateClient();
            using var clientB = b.CreateClient();
            var servers = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Hangfire.JobStorage>(a.Services).GetMonitoringApi();
            for (var i = 0; i < 100 && servers.Servers().Count < 2; i++)
            {
                await Task.Delay(50);
            }

            var accepted = await ReclassificationAppFactory.StartAsync(clientA, "christmas", "ocean");
            ReclassificationRun run;
            try
            {
                run = await ReclassificationAppFactory.WaitForRunAsync(clientB, accepted.JobId, TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(Diagnose(a, accepted.JobId), ex);
            }

            Assert.True(run.Status == RunStatus.Succeeded, System.Text.Json.JsonSerializer.Serialize(run) + Diagnose(a));
            Assert.Equal(20, run.Chunks);
        }

        static bool IsDocument(string t) => !t.StartsWith("This example is", StringComparison.Ordinal);
        var byA = scorerA.CountEmbedded(IsDocument);
        var byB = scorerB.CountEmbedded(IsDocument);
        Assert.True(byA > 0 && byB > 0, $"instance A embedded {byA} documents, instance B {byB}");
        Assert.Equal(40, byA + byB);
        Assert.All(shared.Documents, d => Assert.Equal(1, shared.Writes[d.Id]));

        // The same run on one instance (own prefix, own copy of the catalog) writes the same scores.
        var single = new InMemoryCatalogIndex(TestCatalog.Create(40));
        var prefix = $"test-reclassify-{Guid.NewGuid():N}:";
        _prefixes.Add(prefix);
        using (var one = Instance(single, new FakeEmbeddingScorer(), prefix))
        {
            using var client = one.CreateClient();
            var id = (await ReclassificationAppFactory.StartAsync(client, "christmas", "ocean")).JobId;
            ReclassificationRun run;
            try
            {
                run = await ReclassificationAppFactory.WaitForRunAsync(client, id, TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(Diagnose(one, id), ex);
            }

            Assert.Equal(RunStatus.Succeeded, run.Status);
        }

        foreach (var doc in single.Documents)
        {
            Assert.Equal(doc.Classifications.OrderBy(kv => kv.Key), shared[doc.Id].Classifications.OrderBy(kv => kv.Key));
            Assert.Equal(doc.ClassificationModel, shared[doc.Id].ClassificationModel);
        }
    }

    [RequiresRedisFact]
    public async Task The_run_lock_excludes_a_second_taker_in_the_same_process_where_the_hangfire_redis_lock_does_not()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        var storage = new Hangfire.Redis.StackExchange.RedisStorage(redis, new Hangfire.Redis.StackExchange.RedisStorageOptions { Prefix = _prefix + "hangfire:" });
        using var first = storage.GetConnection();
        using var second = storage.GetConnection();

        // Hangfire.Redis.StackExchange's lock: a second taker on the same thread is let in as if re-entering.
        using (first.AcquireDistributedLock("plain", TimeSpan.FromSeconds(1)))
        {
            using var reentered = second.AcquireDistributedLock("plain", TimeSpan.FromSeconds(1));
        }

        var locks = new RedisRunLocks(redis, Microsoft.Extensions.Options.Options.Create(new MLOps.Web.Infrastructure.Redis.RedisOptions { KeyPrefix = _prefix }));
        var held = await Task.Run(() => locks.AcquireAsync("run", TimeSpan.FromSeconds(1), CancellationToken.None));
        await Assert.ThrowsAsync<Hangfire.Storage.DistributedLockTimeoutException>(() => locks.AcquireAsync("run", TimeSpan.FromMilliseconds(300), CancellationToken.None));
        await Assert.ThrowsAsync<Hangfire.Storage.DistributedLockTimeoutException>(() => Task.Run(() => locks.AcquireAsync("run", TimeSpan.FromMilliseconds(300), CancellationToken.None)));
        Assert.True(await redis.GetDatabase().KeyExistsAsync(_prefix + "locks:run"));

        held.Dispose(); // released on another thread than it was taken on
        using var again = await locks.AcquireAsync("run", TimeSpan.FromSeconds(1), CancellationToken.None);
        await Assert.ThrowsAsync<Hangfire.Storage.DistributedLockTimeoutException>(() => locks.AcquireAsync("run", TimeSpan.FromMilliseconds(300), CancellationToken.None));
    }

    [RequiresRedisFact]
    public async Task Runs_triggered_on_two_replicas_never_overlap()
    {
        var shared = new InMemoryCatalogIndex(TestCatalog.Create(8));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        shared.BeforeGetMany = (_, ct) => release.Task.WaitAsync(ct);
        using var a = Instance(shared, new FakeEmbeddingScorer(), _prefix, workers: 4);
        using var b = Instance(shared, new FakeEmbeddingScorer(), _prefix, workers: 4);
        using var clientA = a.CreateClient();
        using var clientB = b.CreateClient();
        var monitor = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Hangfire.JobStorage>(a.Services).GetMonitoringApi();

        var first = await ReclassificationAppFactory.StartAsync(clientA, "christmas");
        var second = await ReclassificationAppFactory.StartAsync(clientB, "ocean");
        bool Waited(string id) => monitor.JobDetails(id).History.Any(h => h.Reason?.Contains("in progress", StringComparison.Ordinal) == true);
        for (var i = 0; i < 200 && !Waited(first.JobId) && !Waited(second.JobId); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(Waited(first.JobId) || Waited(second.JobId), "neither run was put back while the other held the lock" + Diagnose(a, second.JobId));
        release.SetResult();
        var runA = await ReclassificationAppFactory.WaitForRunAsync(clientB, first.JobId, TimeSpan.FromSeconds(30));
        var runB = await ReclassificationAppFactory.WaitForRunAsync(clientA, second.JobId, TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Succeeded, runA.Status);
        Assert.Equal(RunStatus.Succeeded, runB.Status);
        var (earlier, later) = runA.StartedAt < runB.StartedAt ? (runA, runB) : (runB, runA);
        Assert.True(earlier.FinishedAt <= later.StartedAt, $"runs overlap: {earlier.StartedAt:O}-{earlier.FinishedAt:O} and {later.StartedAt:O}-{later.FinishedAt:O}");
        Assert.All(shared.Documents, d => Assert.Equal(2, shared.Writes[d.Id]));
    }

    [RequiresRedisFact]
    public async Task A_run_cut_off_in_the_middle_is_resumed_by_a_new_server_without_redoing_finished_chunks()
    {
        var shared = new InMemoryCatalogIndex(TestCatalog.Create(20));
        var firstHalf = new HashSet<string>(shared.Documents.Select(d => d.Id).Order(StringComparer.Ordinal).Take(8), StringComparer.Ordinal);

        // The first server finishes chunks 0-3 (m0000-m0007); every later chunk hangs until the server goes away.
        shared.BeforeGetMany = async (ids, ct) =>
        {
            if (!ids.All(firstHalf.Contains))
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        var scorerA = new FakeEmbeddingScorer();
        string runId;
        using (var a = Instance(shared, scorerA, _prefix))
        {
            using var client = a.CreateClient();
            runId = (await ReclassificationAppFactory.StartAsync(client, "christmas")).JobId;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            ReclassificationRun? run = null;
            while (DateTime.UtcNow < deadline && run?.ChunksDone != 4)
            {
                run = await client.GetFromJsonAsync<ReclassificationRun>(new Uri($"/api/reclassify/runs/{runId}", UriKind.Relative), ReclassificationAppFactory.Json);
                await Task.Delay(100);
            }

            Assert.True(run?.ChunksDone == 4 && run.Status == RunStatus.Running, System.Text.Json.JsonSerializer.Serialize(run) + Diagnose(a));
        }

        Assert.Equal(8, shared.Writes.Count);

        // A new server on the same Redis picks the run up.
        shared.BeforeGetMany = null;
        var scorerB = new FakeEmbeddingScorer();
        using (var b = Instance(shared, scorerB, _prefix))
        {
            using var client = b.CreateClient();
            var run = await ReclassificationAppFactory.WaitForRunAsync(client, runId);
            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.Equal(20, run.DocumentsDone);
            Assert.Equal(10, run.ChunksDone);
        }

        static bool IsDocument(string t) => !t.StartsWith("This example is", StringComparison.Ordinal);
        Assert.Equal(8, scorerA.CountEmbedded(IsDocument));
        Assert.Equal(12, scorerB.CountEmbedded(IsDocument));
        Assert.DoesNotContain(scorerB.Embedded, t => shared.Documents.Where(d => firstHalf.Contains(d.Id)).Any(d => d.ClassificationText == t));
        Assert.All(shared.Documents, d => Assert.Equal(1, shared.Writes[d.Id]));
    }
}

/// <summary>A fact that is skipped, saying why, when no test redis-server is configured.</summary>
public sealed class RequiresRedisFactAttribute : FactAttribute
{
    public RequiresRedisFactAttribute()
    {
        if (TestEnvironment.RedisServer is null)
        {
            Skip = "REDIS_TEST_SERVER is not set: this test needs a real redis-server (scripts/test.sh starts one).";
        }
    }
}
