using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.EndToEnd;

/// <summary>
/// The whole app with nothing replaced: replay source, trending store, Lucene on the test's temp
/// data directory, the real built-in ONNX models, Hangfire jobs, the HTTP API. Drives it over HTTP
/// only, the way an operator would.
/// </summary>
internal sealed class EndToEndApp : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The sample catalog's Family Christmas films (sample-001..sample-015).</summary>
    public static readonly IReadOnlySet<string> ChristmasFilms =
        Enumerable.Range(1, 15).Select(i => $"sample-{i:000}").ToHashSet(StringComparer.Ordinal);

    private readonly string? _redisPrefix;

    private EndToEndApp(MLOpsFactory factory, HttpClient client, string? redisPrefix)
    {
        Factory = factory;
        Client = client;
        _redisPrefix = redisPrefix;
    }

    public MLOpsFactory Factory { get; }

    /// <summary>The Redis key prefix of this app (null on embedded defaults).</summary>
    public string? RedisPrefix => _redisPrefix;

    public HttpClient Client { get; }

    /// <summary>
    /// Starts the app. With <paramref name="redis"/>: Redis trending store and Hangfire.Redis storage
    /// on the test redis-server under a key prefix and trending key of this app's own.
    /// </summary>
    public static async Task<EndToEndApp> StartAsync(bool redis, IDictionary<string, string?>? extra = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Trending:Source"] = "replay",
            ["Trending:Slide"] = "00:00:00.5",
            ["Trending:Replay:PostsPerSecond"] = "400",
            ["Reclassification:RunAtStartup"] = "false",
            ["Reclassification:Cron"] = "",
            ["Reclassification:ChunkSize"] = "40",
            ["Reclassification:ProgressInterval"] = "00:00:00.200",
            ["Evaluation:RecurringEnabled"] = "false",
            ["Hangfire:WorkerCount"] = "4",
        };
        string? prefix = null;
        if (redis)
        {
            prefix = $"test-e2e-{id}:";
            settings["Redis:ConnectionString"] = TestEnvironment.RedisServer;
            settings["Redis:KeyPrefix"] = prefix;
            settings["Trending:RedisKey"] = $"hashtags-e2e-{id}";
        }

        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var factory = new MLOpsFactory(settings);
        var client = factory.CreateClient();
        var app = new EndToEndApp(factory, client, prefix);

        // The sample catalog is imported into the empty Lucene index at start, the default model loaded.
        var loader = factory.Services.GetRequiredService<SampleCatalogLoader>();
        var report = await loader.Completion.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(report is { Indexed: > 0 }, $"the sample catalog was not loaded (state {loader.State})");
        var scorers = factory.Services.GetRequiredService<IScorerProvider>();
        for (var i = 0; i < 1200 && scorers.ActiveModelId is null; i++)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(scorers.ActiveModelId);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        if (_redisPrefix is not null && TestEnvironment.RedisServer is { } server)
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(server);
            var keys = redis.GetServers()[0].Keys(pattern: _redisPrefix + "*", pageSize: 1000).ToArray();
            if (keys.Length > 0)
            {
                await redis.GetDatabase().KeyDeleteAsync(keys);
            }
        }
    }

    /// <summary>Keys under this app's prefix on the test redis-server.</summary>
    public async Task<IReadOnlyList<string>> RedisKeysAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        return [.. redis.GetServers()[0].Keys(pattern: _redisPrefix + "*", pageSize: 1000).Select(k => k.ToString())];
    }

    private static Uri U(string path) => new(path, UriKind.Relative);

    /// <summary>Polls <c>GET /api/trending</c> until <paramref name="tag"/> is among the top tags; returns them.</summary>
    public async Task<IReadOnlyList<string>> WaitUntilTrendingAsync(string tag, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<string> tags = [];
        while (DateTime.UtcNow < deadline)
        {
            using var doc = JsonDocument.Parse(await Client.GetStringAsync(U("/api/trending?top=5")));
            tags = [.. doc.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("tag").GetString()!)];
            if (tags.Contains(tag))
            {
                return tags;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"'{tag}' was not trending within {timeout}; top tags: {string.Join(", ", tags)}");
    }

    /// <summary><c>POST /api/reclassify</c> (labels null: the top trending tags), then polls the run until it finishes.</summary>
    public async Task<ReclassificationRun> ReclassifyAsync(IReadOnlyList<string>? labels, TimeSpan timeout)
    {
        var response = await Client.PostAsJsonAsync(U("/api/reclassify"), new ReclassifyRequest(labels, "end-to-end test"), Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<ReclassifyAccepted>(Json))!;
        Assert.Equal($"/api/reclassify/runs/{Uri.EscapeDataString(accepted.JobId)}", response.Headers.Location?.OriginalString);

        var deadline = DateTime.UtcNow + timeout;
        ReclassificationRun? run = null;
        while (DateTime.UtcNow < deadline)
        {
            var poll = await Client.GetAsync(response.Headers.Location);
            if (poll.IsSuccessStatusCode)
            {
                run = await poll.Content.ReadFromJsonAsync<ReclassificationRun>(Json);
                if (run is not null && RunStatus.IsFinished(run.Status))
                {
                    return run;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {accepted.JobId} did not finish within {timeout}; last seen: {JsonSerializer.Serialize(run, Json)}");
    }

    /// <summary>One search, as <c>GET /api/search</c> answers it.</summary>
    public async Task<SearchResponse> SearchAsync(string query) =>
        (await Client.GetFromJsonAsync<SearchResponse>(U($"/api/search?{query}"), Json))!;

    /// <summary>One document's JSON form (<c>GET /api/catalog/documents/{id}</c>).</summary>
    public async Task<JsonObject> DocumentAsync(string id) =>
        (await Client.GetFromJsonAsync<JsonObject>(U($"/api/catalog/documents/{Uri.EscapeDataString(id)}"), Json))!;

    /// <summary>
    /// Step 3 of the loop: the Family films sorted by <c>classification_christmas</c> put the Christmas
    /// films first; every hit carries the run's model and a <c>classified_at</c> inside the run.
    /// </summary>
    public async Task AssertChristmasFilmsFirstAsync(ReclassificationRun run, ITestOutputHelper output)
    {
        const string field = "classification_christmas";
        var all = await SearchAsync($"genre=Family&sort={field}&size=100");
        Assert.Equal(field, all.Sort);
        var family = all.Hits;
        Assert.Equal(all.Total, family.Count);
        Assert.True(family.Count(h => ChristmasFilms.Contains(h.Id)) == ChristmasFilms.Count,
            "every sample Christmas film is a Family film in the index");

        output.WriteLine($"run {run.Id}: {run.Status}, tags [{string.Join(", ", run.Tags)}], model {run.Model}, {run.DocumentsDone} documents in {run.DurationSeconds:F2} s");
        output.WriteLine($"GET /api/search?genre=Family&sort={field}:");
        for (var i = 0; i < family.Count; i++)
        {
            var h = family[i];
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,3}. {1:F4} {2} {3} {4}",
                i + 1, h.Classifications.GetValueOrDefault(field, float.NaN), ChristmasFilms.Contains(h.Id) ? "*" : " ", h.Id, h.Title));
        }

        // Every Family film was scored, and the order is by the score, descending.
        Assert.All(family, h => Assert.True(h.Classifications.ContainsKey(field), $"{h.Id} has no {field}"));
        var scores = family.Select(h => h.Classifications[field]).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);

        // The top 15 (size=15, the number of Christmas films) are Christmas films, all but a few at most.
        var top = await SearchAsync($"genre=Family&sort={field}&size=15");
        Assert.Equal(family.Take(15).Select(h => h.Id), top.Hits.Select(h => h.Id));
        var christmasInTop = top.Hits.Count(h => ChristmasFilms.Contains(h.Id));
        Assert.True(christmasInTop >= 12, $"only {christmasInTop} of the top 15 are Christmas films");

        // The scores separate the two groups: the lowest Christmas film is (nearly) above the
        // highest other Family film, and the groups' means are far apart.
        var christmas = family.Where(h => ChristmasFilms.Contains(h.Id)).Select(h => h.Classifications[field]).ToList();
        var others = family.Where(h => !ChristmasFilms.Contains(h.Id)).Select(h => h.Classifications[field]).ToList();
        var spread = scores.Max() - scores.Min();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "christmas films: min {0:F4} mean {1:F4}; other family films: max {2:F4} mean {3:F4}; spread {4:F4}",
            christmas.Min(), christmas.Average(), others.Max(), others.Average(), spread));
        Assert.True(christmas.Min() > others.Max() - (0.1 * spread),
            $"the lowest Christmas film ({christmas.Min():F4}) is far below the highest other Family film ({others.Max():F4})");
        Assert.True(christmas.Average() - others.Average() > 0.4 * spread,
            "Christmas and other Family films' mean scores are not far apart");
        // Mean rank of the Christmas films is within the first 15 + a little (perfect: 8).
        var meanRank = family.Select((h, i) => (h, i)).Where(x => ChristmasFilms.Contains(x.h.Id)).Average(x => x.i + 1.0);
        Assert.True(meanRank <= 10, $"mean rank of the Christmas films is {meanRank:F1}");

        await AssertFreshAsync(top.Hits.Select(h => h.Id), run, run.Model!);
    }

    /// <summary>Each document carries <c>classification_model</c> = <paramref name="model"/> and a <c>classified_at</c> within the run.</summary>
    public async Task AssertFreshAsync(IEnumerable<string> ids, ReclassificationRun run, string model)
    {
        var from = (run.CreatedAt ?? run.StartedAt)!.Value.AddSeconds(-1);
        var to = (run.FinishedAt ?? DateTimeOffset.UtcNow).AddSeconds(1);
        foreach (var id in ids)
        {
            var doc = await DocumentAsync(id);
            Assert.Equal(model, doc[CatalogJson.ClassificationModel]?.GetValue<string>());
            var at = DateTimeOffset.Parse(doc[CatalogJson.ClassifiedAt]!.GetValue<string>(), CultureInfo.InvariantCulture);
            Assert.InRange(at, from, to);
        }
    }
}
