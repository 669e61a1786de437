using Microsoft.Extensions.Options;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Evaluation;

public sealed class JudgmentStoreTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    private static JudgmentSet Set(string name, params (string Id, int Rel)[] items) =>
        new(name, new JudgedQuery("Family", "christmas", null), items.Select(i => new Judgment(i.Id, i.Rel)).ToList(), At);

    private static async Task RoundTripAsync(IJudgmentStore store)
    {
        var ct = CancellationToken.None;
        Assert.Null(await store.GetAsync("family-christmas", ct));
        Assert.True(await store.PutAsync(Set("family-christmas", ("1", 3), ("2", 0)), ct));
        Assert.True(await store.PutAsync(Set("ocean", ("3", 2)), ct));

        var read = await store.GetAsync("family-christmas", ct);
        Assert.NotNull(read);
        Assert.Equal(new JudgedQuery("Family", "christmas", null), read.Query);
        Assert.Equal([new Judgment("1", 3), new Judgment("2", 0)], read.Judgments);
        Assert.Equal(At, read.UpdatedAt);

        // replacing keeps one set under the name
        Assert.False(await store.PutAsync(Set("family-christmas", ("1", 2)), ct));
        Assert.Equal([new Judgment("1", 2)], (await store.GetAsync("family-christmas", ct))!.Judgments);
        Assert.Equal(["family-christmas", "ocean"], (await store.ListAsync(ct)).Select(s => s.Name));

        Assert.True(await store.DeleteAsync("family-christmas", ct));
        Assert.False(await store.DeleteAsync("family-christmas", ct));
        Assert.Null(await store.GetAsync("family-christmas", ct));
        Assert.Equal(["ocean"], (await store.ListAsync(ct)).Select(s => s.Name));
    }

    [Fact]
    public async Task File_store_round_trips_replaces_and_deletes_sets()
    {
        var dir = Path.Combine(TempDirectory.Create("judgments"), "judgments");
        using var store = new FileJudgmentStore(dir);
        await RoundTripAsync(store);

        // one file per set, no temp files left behind by the atomic writes
        Assert.Equal(["ocean.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task File_store_survives_a_new_instance_on_the_same_folder()
    {
        var dir = TempDirectory.Create("judgments");
        using (var first = new FileJudgmentStore(dir))
        {
            await first.PutAsync(Set("kept", ("9", 1)), CancellationToken.None);
        }

        using var second = new FileJudgmentStore(dir);
        Assert.Equal([new Judgment("9", 1)], (await second.GetAsync("kept", CancellationToken.None))!.Judgments);
    }

    [EvaluationRedisFact]
    public async Task Redis_store_round_trips_replaces_and_deletes_sets()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        var prefix = $"test-{Guid.NewGuid():N}:";
        var store = new RedisJudgmentStore(redis, Options.Create(new RedisOptions { KeyPrefix = prefix }));
        try
        {
            await RoundTripAsync(store);
            Assert.True(await redis.GetDatabase().KeyExistsAsync(prefix + "evaluation:judgments"));
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync(store.Key);
        }
    }

    [EvaluationRedisFact]
    public async Task Redis_history_keeps_evaluations_and_decisions_newest_first_within_the_limit()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        var prefix = $"test-{Guid.NewGuid():N}:";
        var history = new RedisEvaluationHistory(redis, Options.Create(new RedisOptions { KeyPrefix = prefix }),
            Options.Create(new EvaluationOptions { HistoryLimit = 10 }));
        try
        {
            await HistoryRoundTripAsync(history);
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync([prefix + "evaluation:history", prefix + "evaluation:decisions"]);
        }
    }

    [Fact]
    public async Task File_history_keeps_evaluations_and_decisions_newest_first_within_the_limit()
    {
        using var history = new FileEvaluationHistory(TempDirectory.Create("history"), limit: 10);
        await HistoryRoundTripAsync(history);
    }

    private static async Task HistoryRoundTripAsync(IEvaluationHistory history)
    {
        var ct = CancellationToken.None;
        var metrics = new RankingMetrics(10, 1, 2, 0.5, 1, 1, 0.1, 1, 10, 0, 5, 2);
        for (var i = 0; i < 25; i++)
        {
            var record = new EvaluationRecord($"r{i}", i % 2 == 0 ? "m@1" : "m@2", i % 3 == 0 ? "a" : "b", EvaluationMode.InMemory,
                metrics with { Ndcg = i / 100.0 }, At.AddMinutes(i), "test", 1);
            await history.AppendAsync(i == 24 ? record with { Calibration = new CalibrationEffect("m@1", 12, -4, 40, 10, 0.7, 0.4, 0.25, 0.12, 0.5) } : record, ct);
        }

        var all = await history.ListAsync(null, null, 100, ct);
        Assert.Equal(10, all.Count); // trimmed to the limit
        Assert.Equal("r24", all[0].Id);
        Assert.Equal(12, all[0].Calibration!.A);
        Assert.Equal(0.24, all[0].Metrics.Ndcg, 1e-12);

        var filtered = await history.ListAsync("m@1", "a", 100, ct);
        Assert.All(filtered, r => Assert.True(r.ModelId == "m@1" && r.Set == "a"));
        Assert.Equal(["r24", "r18"], filtered.Select(r => r.Id));

        await history.AppendDecisionAsync(new PromotionDecision("d1", At, "nightly", "m@1", new Dictionary<string, double> { ["a"] = 0.5 }, 0.5, 0.01, 10, [], "kept"), ct);
        await history.AppendDecisionAsync(new PromotionDecision("d2", At, "nightly", "m@1", new Dictionary<string, double> { ["a"] = 0.5 }, 0.5, 0.01, 10, [], "promoted") { PromotedModelId = "m@2" }, ct);
        var decisions = await history.ListDecisionsAsync(10, ct);
        Assert.Equal(["d2", "d1"], decisions.Select(d => d.Id));
        Assert.Equal("m@2", decisions[0].PromotedModelId);
        Assert.Equal(0.5, decisions[1].ChampionNdcgBySet["a"]);
    }
}
