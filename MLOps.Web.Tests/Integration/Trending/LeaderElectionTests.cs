using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;
using static MLOps.Web.Tests.Integration.Trending.LocalStreamServer;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>The lease itself on the test redis-server: one leader, takeover on release, step-down on loss.</summary>
public sealed class LeaderElectionTests
{
    // A lease long against the interval: a renewal delayed by a loaded machine must not read as a lost lease.
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private static (LeaderElection Election, Func<bool> Leading) Replica(IConnectionMultiplexer redis, string key, string holder, out Func<CancellationToken, Task> lead)
    {
        var leading = 0;
        lead = async token =>
        {
            Interlocked.Exchange(ref leading, 1);
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Exchange(ref leading, 0);
            }
        };
        var election = new LeaderElection(new RedisLease(redis, key, holder, TimeSpan.FromSeconds(5)), Interval, TimeProvider.System, NullLogger.Instance);
        return (election, () => Volatile.Read(ref leading) == 1);
    }

    [TrendingRedisFact]
    public async Task One_of_two_replicas_leads_and_the_other_takes_over_when_it_stops_or_loses_the_lease()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        var key = $"test-lease-{Guid.NewGuid():N}";
        var (a, aLeads) = Replica(redis, key, "a", out var leadA);
        var (b, bLeads) = Replica(redis, key, "b", out var leadB);
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var runA = a.RunAsync(leadA, stopA.Token);
        await Eventually.TrueAsync(aLeads, TimeSpan.FromSeconds(5), "a leads");
        var runB = b.RunAsync(leadB, stopB.Token);
        await Task.Delay(Interval * 5);
        Assert.True(aLeads() && !bLeads(), "only a leads");
        Assert.Equal("a", await new RedisLease(redis, key, "reader", TimeSpan.FromSeconds(1)).ReadHolderAsync());

        // A graceful stop releases the lease: b takes over within about one interval.
        var clock = Stopwatch.StartNew();
        await stopA.CancelAsync();
        await runA;
        await Eventually.TrueAsync(bLeads, TimeSpan.FromSeconds(5), "b took over");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2)); // one interval, plus a loaded machine's slack; the lease is 5 s

        // Someone else holds the key now (b's lease expired while it was partitioned): b stops leading at its next renewal.
        await redis.GetDatabase().StringSetAsync(key, "intruder", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => !bLeads(), TimeSpan.FromSeconds(5), "b stepped down");
        Assert.False(b.IsLeader);
        await stopB.CancelAsync();
        await runB;
        Assert.Equal("intruder", (string?)await redis.GetDatabase().StringGetAsync(key));
        await redis.GetDatabase().KeyDeleteAsync(key);
    }
}

/// <summary>
/// Issue 13's leader test with real processes: two <c>dotnet MLOps.Web.dll</c> on one redis-server, the
/// <c>x</c> source pointed at a local server speaking X's stream format (each connection gets 30
/// tweets, then keep-alive). Only one connects; SIGKILL it and the other connects within the lease
/// time; the shared counts are each connection's tweets once, never twice.
/// </summary>
[Collection(TrendingAppHostsCollection.Name)]
public sealed class StreamLeaderProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int TweetsPerConnection = 30;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Renew = TimeSpan.FromSeconds(1);
    private readonly string _id = Guid.NewGuid().ToString("N");
    private LocalStreamServer _server = null!;

    private string Prefix => $"test-leader-{_id}:";

    private string Key => $"hashtags-leader-{_id}";

    public async Task InitializeAsync() => _server = await StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (TestEnvironment.RedisServer is { } endpoint)
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
            var keys = redis.GetServers()[0].Keys(pattern: Prefix + "*").Append(Key).Append(Key + ":burst").ToArray();
            await redis.GetDatabase().KeyDeleteAsync(keys);
        }
    }

    private Dictionary<string, string> Settings(string token) => new(StringComparer.Ordinal)
    {
        ["Storage:DataDirectory"] = TempDirectory.Create("leader-" + token),
        ["Redis:ConnectionString"] = TestEnvironment.RedisServer!,
        ["Redis:KeyPrefix"] = Prefix,
        ["Trending:RedisKey"] = Key,
        ["Trending:Source"] = "x",
        ["Trending:Slide"] = "00:00:00.5",
        ["Trending:X:BaseUrl"] = _server.BaseAddress.ToString(),
        ["Trending:X:BearerToken"] = token,
        ["Trending:Leader:LeaseDuration"] = "00:00:04",
        ["Trending:Leader:RenewInterval"] = "00:00:01",
        ["Models:BuiltInCacheDirectory"] = Path.Combine(Path.GetTempPath(), "mlops-test-builtin-models"),
        ["Search:LoadSampleCatalog"] = "false",
        ["Reclassification:RunAtStartup"] = "false",
        ["Reclassification:Cron"] = "",
        ["Evaluation:RecurringEnabled"] = "false",
        ["Evaluation:EvaluateOnRegister"] = "false",
        ["Hangfire:WorkerCount"] = "1",
    };

    private static string Tweet(int id) =>
        JsonSerializer.Serialize(new { data = new { id = id.ToString(System.Globalization.CultureInfo.InvariantCulture), text = "#LeaderTest", entities = new { hashtags = new[] { new { start = 0, end = 11, tag = "LeaderTest" } } } } }) + "\r\n";

    /// <summary>The bearer tokens of the stream connections so far, in order.</summary>
    private List<string> StreamConnections() =>
        [.. _server.Requests.Where(r => r.PathAndQuery.StartsWith("/2/tweets/search/stream?", StringComparison.Ordinal)).Select(r => r.Authorization!["Bearer ".Length..])];

    private async Task<double> CountAsync(ConnectionMultiplexer redis) =>
        (await redis.GetDatabase().SortedSetScoreAsync(Key, "leadertest")).GetValueOrDefault();

    private static async Task<JsonElement> TrendingCheckAsync(AppProcess app, Func<JsonElement, bool> accept) =>
        (await app.WaitForJsonAsync("/readyz", r => r.TryGetProperty("checks", out var c) && c.TryGetProperty("trending", out var t) && accept(t), TimeSpan.FromSeconds(90)))
            .GetProperty("checks").GetProperty("trending");

    private static string Role(JsonElement check) => check.GetProperty("data").GetProperty("role").GetString()!;

    [TrendingRedisFact]
    public async Task Only_one_replica_reads_the_stream_and_the_other_takes_over_when_it_is_killed()
    {
        _server.Script("/2/tweets/search/stream/rules", Json(200, """{"data":[{"id":"7","value":"has:hashtags -is:retweet lang:en","tag":"mlops-hashtags"}],"meta":{"result_count":1}}"""));
        var tweets = Enumerable.Range(1, TweetsPerConnection).Select(Tweet).ToList();
        _server.Script("/2/tweets/search/stream", Chunks("application/json", [.. tweets, .. Enumerable.Repeat("\r\n", 200)], StreamEnd.Hold, pause: TimeSpan.FromMilliseconds(5)));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);

        await using var a = AppProcess.Start(Settings("token-a"), "a");
        await TrendingCheckAsync(a, t => Role(t).StartsWith("leader", StringComparison.Ordinal));
        await using var b = AppProcess.Start(Settings("token-b"), "b");
        var standby = await TrendingCheckAsync(b, t => Role(t).StartsWith("standby", StringComparison.Ordinal));
        var leaderId = (await TrendingCheckAsync(a, _ => true)).GetProperty("data").GetProperty("instance").GetString();
        Assert.Equal(leaderId, standby.GetProperty("data").GetProperty("leader").GetString());

        await Eventually.TrueAsync(async () => await CountAsync(redis) == TweetsPerConnection, TimeSpan.FromSeconds(20), "a's tweets reached the shared window");
        await Task.Delay(Lease); // b keeps standing by for a whole lease
        Assert.Equal(["token-a"], StreamConnections());
        Assert.Equal(TweetsPerConnection, await CountAsync(redis));
        Assert.Equal(1, LeaderGauge(await a.GetStringAsync("/metrics")));
        Assert.Equal(0, LeaderGauge(await b.GetStringAsync("/metrics")));

        var clock = Stopwatch.StartNew();
        a.Kill();
        await Eventually.TrueAsync(() => StreamConnections().Count == 2, TimeSpan.FromSeconds(15), "b connected after a was killed" + b.Tail());
        var takeover = clock.Elapsed;
        output.WriteLine($"b connected {takeover.TotalSeconds:F1} s after a was killed (lease {Lease.TotalSeconds} s, renew every {Renew.TotalSeconds} s)");
        Assert.Equal(["token-a", "token-b"], StreamConnections());
        Assert.InRange(takeover, TimeSpan.Zero, Lease + Renew + TimeSpan.FromSeconds(1));

        await Eventually.TrueAsync(async () => await CountAsync(redis) == 2 * TweetsPerConnection, TimeSpan.FromSeconds(20), "b's tweets reached the shared window");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2 * TweetsPerConnection, await CountAsync(redis));
        Assert.StartsWith("leader", Role(await TrendingCheckAsync(b, _ => true)), StringComparison.Ordinal);
        Assert.Equal(1, LeaderGauge(await b.GetStringAsync("/metrics")));
    }

    /// <summary>The value of <c>mlops_trending_leader</c> in a Prometheus scrape.</summary>
    private static int LeaderGauge(string metrics)
    {
        var match = Regex.Match(metrics, @"^mlops_trending_leader(?:_[a-z]+)?\{[^}]*\} (\d+)", RegexOptions.Multiline);
        Assert.True(match.Success, "no mlops_trending_leader in /metrics:\n" + string.Join('\n', metrics.Split('\n').Where(l => l.Contains("trending", StringComparison.Ordinal))));
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
