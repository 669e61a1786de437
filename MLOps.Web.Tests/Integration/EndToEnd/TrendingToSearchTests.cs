using System.Net;
using System.Net.Http.Json;
using Hangfire;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.EndToEnd;

/// <summary>
/// Whole-app runs with the real model are CPU-heavy (ONNX inference on every core): they run after
/// the parallel phase, so timing-sensitive tests elsewhere do not run beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "End to end";
}

/// <summary>
/// The closed loop, end to end over HTTP: sample posts replayed until <c>christmas</c> trends, a
/// reclassification run over the top trending tags with the real model, then the search sorted by
/// <c>classification_christmas</c> puts the sample catalog's Christmas films first.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class TrendingToSearchTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TrendingTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [EvaluationRedisFact]
    public async Task With_redis_trending_christmas_is_reclassified_and_sorts_the_christmas_films_first() =>
        await RunLoopAsync(redis: true);

    [Fact]
    public async Task On_embedded_defaults_trending_christmas_is_reclassified_and_sorts_the_christmas_films_first() =>
        await RunLoopAsync(redis: false);

    private async Task RunLoopAsync(bool redis)
    {
        await using var app = await EndToEndApp.StartAsync(redis);

        // 1. the replayed sample posts make christmas trend
        var tags = await app.WaitUntilTrendingAsync("christmas", TrendingTimeout);
        output.WriteLine($"trending: {string.Join(", ", tags)}");

        // 2. a run over the top trending tags (no labels)
        var run = await app.ReclassifyAsync(labels: null, RunTimeout);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Contains("christmas", run.Tags);
        Assert.Contains("classification_christmas", run.Fields);
        Assert.Equal("all-MiniLM-L6-v2-int8@1", run.Model);
        Assert.True(run.Documents > 0);
        Assert.Equal(run.Documents, run.DocumentsDone);
        Assert.Empty(run.FailedChunks);

        // it is in the run history too
        var history = await app.Client.GetFromJsonAsync<List<ReclassificationRun>>(new Uri("/api/reclassify/runs", UriKind.Relative), EndToEndApp.Json);
        Assert.Contains(history!, r => r.Id == run.Id && r.Status == RunStatus.Succeeded);

        // 3. the Family films sorted by classification_christmas: the Christmas films first
        await app.AssertChristmasFilmsFirstAsync(run, output);

        // 4. sort=trending with explain=true: each hit's blend names the christmas weight and the parts of its fused score
        var trending = await app.SearchAsync("genre=Family&sort=trending&explain=true&size=5");
        Assert.Contains(trending.Trending!, w => w.Field == "classification_christmas" && w.Weight > 0);
        foreach (var hit in trending.Hits)
        {
            output.WriteLine($"{hit.Id} {hit.Title}: {hit.Explanation}");
            Assert.InRange(hit.Classifications["classification_christmas"], 0f, 1f);
            Assert.Matches(@"classification_christmas: semantic z -?[0-9.]+ \(cosine -?[0-9.]+\), lexical [0-9.]+ \(bm25 [0-9.]+ / best [0-9.]+\), match [01](, title match [01])?, fused -?[0-9.]+ → [0-9.]+", hit.Explanation);
        }

        // the shared parts really were Redis: job storage and the trending window under this app's prefix
        var storage = app.Factory.Services.GetRequiredService<JobStorage>();
        var store = app.Factory.Services.GetRequiredService<ITrendingStore>();
        Assert.IsType<TrendingReader>(app.Factory.Services.GetRequiredService<ITrendingReader>());
        output.WriteLine($"job storage {storage.GetType().Name}, trending store {store.GetType().Name}");
        if (redis)
        {
            Assert.IsType<RedisStorage>(storage);
            Assert.IsType<RedisTrendingStore>(store);
            var keys = await app.RedisKeysAsync();
            Assert.Contains(keys, k => k.StartsWith(app.RedisPrefix + "hangfire:", StringComparison.Ordinal));
            Assert.Contains(keys, k => k.StartsWith(app.RedisPrefix + "trending:hashtags-e2e-", StringComparison.Ordinal));
        }
        else
        {
            Assert.IsType<Hangfire.InMemory.InMemoryStorage>(storage);
            Assert.IsNotType<RedisTrendingStore>(store);
        }
    }

    /// <summary>
    /// Issue 6: a rollback is honoured by the next run. Runs with the default model, with a promoted
    /// second model, and after rolling back: the last run writes the first model's name and scores again.
    /// </summary>
    [Fact]
    public async Task After_a_rollback_the_next_run_writes_the_previous_versions_scores()
    {
        const string defaultModel = "all-MiniLM-L6-v2-int8@1";
        const string challenger = "snowflake-arctic-embed-xs@1";
        const string field = "classification_christmas";
        string[] labels = ["christmas"];
        await using var app = await EndToEndApp.StartAsync(redis: false);
        var family = (await app.SearchAsync("genre=Family&size=100")).Hits.Select(h => h.Id).Order(StringComparer.Ordinal).ToList();

        async Task<Dictionary<string, float>> ScoresAsync() =>
            (await app.SearchAsync($"genre=Family&sort={field}&size=100")).Hits.ToDictionary(h => h.Id, h => h.Classifications[field]);

        var first = await app.ReclassifyAsync(labels, RunTimeout);
        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.Equal(defaultModel, first.Model);
        var defaultScores = await ScoresAsync();
        Assert.Equal(family, defaultScores.Keys.Order(StringComparer.Ordinal));

        var promote = await app.Client.PostAsJsonAsync(new Uri($"/api/models/{Uri.EscapeDataString(challenger)}/promote", UriKind.Relative), new { reason = "end-to-end test" });
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        var promoted = await app.ReclassifyAsync(labels, RunTimeout);
        Assert.Equal(RunStatus.Succeeded, promoted.Status);
        Assert.Equal(challenger, promoted.Model);
        await app.AssertFreshAsync(family, promoted, challenger);
        var challengerScores = await ScoresAsync();

        var rollback = await app.Client.PostAsync(new Uri("/api/models/rollback", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        var afterRollback = await app.ReclassifyAsync(labels, RunTimeout);
        Assert.Equal(RunStatus.Succeeded, afterRollback.Status);
        Assert.Equal(defaultModel, afterRollback.Model);
        await app.AssertFreshAsync(family, afterRollback, defaultModel);
        var rolledBackScores = await ScoresAsync();

        // Relative: the fused scores are calibrated probabilities, so a film far from the tag scores about 0.0002 under either model.
        var changed = family.Count(id => Math.Abs(rolledBackScores[id] - challengerScores[id]) > 0.01 * Math.Max(rolledBackScores[id], challengerScores[id]));
        output.WriteLine($"{changed} of {family.Count} Family films' {field} changed after the rollback's run");
        foreach (var id in family)
        {
            output.WriteLine($"{id}: {defaultModel} {defaultScores[id]:F4}, {challenger} {challengerScores[id]:F4}, after rollback {rolledBackScores[id]:F4}");
        }

        Assert.True(changed > family.Count / 2, $"only {changed} of {family.Count} scores changed after the rollback's run");
        Assert.All(family, id => Assert.Equal(defaultScores[id], rolledBackScores[id], 1e-4));
    }
}
