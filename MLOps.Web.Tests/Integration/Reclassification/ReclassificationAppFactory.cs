using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>
/// The real app (Hangfire server, job storage, endpoints) with the features it builds on replaced by
/// in-test fakes: an in-memory catalog, a deterministic embedding scorer, fixed trending tags.
/// </summary>
public sealed class ReclassificationAppFactory : MLOpsFactory
{
    public ReclassificationAppFactory(
        InMemoryCatalogIndex index,
        FakeScorerProvider scorers,
        ITrendingReader trending,
        IDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        string? dataDirectory = null)
        : base(Defaults(settings), dataDirectory)
    {
        Index = index;
        Scorers = scorers;
        Trending = trending;
        Time = time;
    }

    public InMemoryCatalogIndex Index { get; }
    public FakeScorerProvider Scorers { get; }
    public ITrendingReader Trending { get; }
    public TimeProvider? Time { get; }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Settings for a run against the shared test redis-server with a key prefix of its own.</summary>
    public static Dictionary<string, string?> RedisSettings(string prefix) => new()
    {
        ["Redis:ConnectionString"] = TestEnvironment.RedisServer,
        ["Redis:KeyPrefix"] = prefix,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ICatalogIndex>(Index);
            services.AddSingleton<IScorerProvider>(Scorers);
            services.AddSingleton(Trending);
            if (Time is not null)
            {
                services.AddSingleton(Time);
            }
        });
    }

    public static async Task<ReclassifyAccepted> StartAsync(HttpClient client, params string[]? labels)
    {
        var response = await client.PostAsJsonAsync(new Uri("/api/reclassify", UriKind.Relative),
            new ReclassifyRequest(labels is { Length: > 0 } ? labels : null, "test"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ReclassifyAccepted>(Json))!;
    }

    public static async Task<ReclassificationRun> WaitForRunAsync(HttpClient client, string id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        ReclassificationRun? run = null;
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync(new Uri($"/api/reclassify/runs/{id}", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                run = await response.Content.ReadFromJsonAsync<ReclassificationRun>(Json);
                if (run is not null && RunStatus.IsFinished(run.Status))
                {
                    return run;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {id} did not finish; last seen: {JsonSerializer.Serialize(run, Json)}");
    }

    private static Dictionary<string, string?> Defaults(IDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Hangfire:WorkerCount"] = "4",
            ["Reclassification:RunAtStartup"] = "false",
            ["Reclassification:ProgressInterval"] = "00:00:00.100",
            ["Reclassification:BusyRetryDelay"] = "00:00:00",
            ["Reclassification:RetryDelaysSeconds:0"] = "0",
            ["Reclassification:ChunkSize"] = "5",
            // These tests are about run mechanics (chunks, retries, resumes, replicas) over fakes, and
            // count document inference per chunk: the relevance pipeline is off, so planning embeds no
            // document and reads none from the index (a test that scores with it turns it on).
            ["Relevance:Fusion"] = "false",
            ["Relevance:Feedback"] = "Off",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        return all;
    }
}
