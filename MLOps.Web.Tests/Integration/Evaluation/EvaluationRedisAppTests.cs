using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Evaluation;

/// <summary>With Redis configured, judgments and history live in Redis under the key prefix and outlive the app instance.</summary>
public sealed class EvaluationRedisAppTests
{
    [EvaluationRedisFact]
    public async Task With_redis_configured_judgments_and_history_are_kept_in_redis_across_app_instances()
    {
        var prefix = $"test-{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?>(CosineOnlyScoring.Settings)
        {
            ["Redis:ConnectionString"] = TestEnvironment.RedisServer,
            ["Redis:KeyPrefix"] = prefix,
            ["Evaluation:RecurringEnabled"] = "false",
            ["Evaluation:SeedDirectory"] = "",
        };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisServer!);
        try
        {
            var s = new EvaluationScenario();
            string evaluationId;
            using (var first = App(settings, s))
            using (var client = first.CreateClient())
            {
                var put = await client.PutAsync(new Uri("/api/judgments/family-christmas?genre=Family&tag=christmas", UriKind.Relative),
                    new StringContent(EvaluationScenario.ChristmasCsv, Encoding.UTF8, "text/csv"));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                var eval = await client.PostAsJsonAsync(new Uri("/api/evaluations", UriKind.Relative), new { set = "family-christmas" });
                Assert.Equal(HttpStatusCode.OK, eval.StatusCode);
                using var doc = JsonDocument.Parse(await eval.Content.ReadAsStringAsync());
                evaluationId = doc.RootElement.GetProperty("id").GetString()!;
                Assert.IsType<RedisJudgmentStore>(first.Services.GetRequiredService<IJudgmentStore>());
            }

            var db = redis.GetDatabase();
            Assert.True(await db.HashExistsAsync(prefix + "evaluation:judgments", "family-christmas"));
            Assert.Equal(1, await db.ListLengthAsync(prefix + "evaluation:history"));

            using var second = App(settings, new EvaluationScenario());
            using var again = second.CreateClient();
            using var set = JsonDocument.Parse(await again.GetStringAsync(new Uri("/api/judgments/family-christmas", UriKind.Relative)));
            Assert.Equal(6, set.RootElement.GetProperty("judgments").GetArrayLength());
            using var history = JsonDocument.Parse(await again.GetStringAsync(new Uri("/api/evaluations", UriKind.Relative)));
            Assert.Equal(evaluationId, Assert.Single(history.RootElement.EnumerateArray()).GetProperty("id").GetString());
        }
        finally
        {
            var server = redis.GetServers()[0];
            await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }
        }
    }

    private static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> App(Dictionary<string, string?> settings, EvaluationScenario s) =>
        new MLOpsFactory(settings).WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.AddSingleton<ICatalogIndex>(s.Index);
            services.AddSingleton<IScorerProvider>(s.Scorers);
            services.AddSingleton<IModelRegistry>(s.Registry);
        }));
}
