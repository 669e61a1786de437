using Hangfire;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Models;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Tests.Integration.Reclassification;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration;

/// <summary>One storage decision per host: every feature's backend follows <see cref="StorageTopology"/>.</summary>
public sealed class StorageTopologyTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Storage:DataDirectory"] = TempDirectory.Create("topology"),
            ["Trending:Source"] = "push",
        });
        builder.AddPlatform();
        builder.AddStorageTopology();
        builder.AddRedis();
        builder.AddHangfireInfrastructure();
        builder.AddEvaluation();
        builder.AddTrending();
        builder.AddCatalog();
        builder.AddModels();
        builder.AddReclassification();
        return builder.Build();
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("  ", false)]
    [InlineData("localhost:6379", true)]
    public void Redis_is_used_when_the_connection_string_is_not_blank(string? connectionString, bool usesRedis)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Redis:ConnectionString"] = connectionString })
            .Build();

        Assert.Equal(usesRedis, StorageTopology.FromConfiguration(configuration).UsesRedis);
    }

    [Fact]
    public void The_decision_is_made_once_per_builder_and_registered()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        var first = StorageTopology.Of(builder);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Redis:ConnectionString"] = "localhost:6379" });

        Assert.Same(first, StorageTopology.Of(builder));
        Assert.Single(builder.Services, d => d.ServiceType == typeof(StorageTopology));
        using var host = builder.Build();
        Assert.Same(first, host.Services.GetRequiredService<StorageTopology>());
    }

    [Fact]
    public void Without_redis_every_feature_uses_its_embedded_backend()
    {
        using var host = Build([]);
        var services = host.Services;

        Assert.False(services.GetRequiredService<StorageTopology>().UsesRedis);
        Assert.Null(services.GetService<IConnectionMultiplexer>());
        Assert.IsType<InMemoryStorage>(services.GetRequiredService<JobStorage>());
        Assert.IsType<MemoryTrendingStore>(services.GetRequiredService<ITrendingStore>());
        Assert.IsType<FileJudgmentStore>(services.GetRequiredService<IJudgmentStore>());
        Assert.IsType<FileEvaluationHistory>(services.GetRequiredService<IEvaluationHistory>());
        Assert.IsType<InProcessRunLocks>(services.GetRequiredService<IRunLocks>());
        Assert.IsType<FileRunRepository>(services.GetRequiredService<IRunRepository>());
        Assert.IsType<DiskEmbeddingCache>(services.GetRequiredService<IEmbeddingCache>());
    }

    [RequiresRedisFact]
    public void With_redis_every_feature_uses_its_redis_backend()
    {
        using var host = Build(new()
        {
            ["Redis:ConnectionString"] = TestEnvironment.RedisServer,
            ["Redis:KeyPrefix"] = $"test-topology-{Guid.NewGuid():N}:",
        });
        var services = host.Services;

        Assert.True(services.GetRequiredService<StorageTopology>().UsesRedis);
        Assert.IsType<RedisStorage>(services.GetRequiredService<JobStorage>());
        Assert.IsType<RedisTrendingStore>(services.GetRequiredService<ITrendingStore>());
        Assert.IsType<RedisJudgmentStore>(services.GetRequiredService<IJudgmentStore>());
        Assert.IsType<RedisEvaluationHistory>(services.GetRequiredService<IEvaluationHistory>());
        Assert.IsType<RedisRunLocks>(services.GetRequiredService<IRunLocks>());
        Assert.IsType<RedisRunRepository>(services.GetRequiredService<IRunRepository>());
        Assert.IsType<RedisEmbeddingCache>(services.GetRequiredService<IEmbeddingCache>());
    }

    [Theory]
    [InlineData("Trending:Store", "redis", "Trending:Store is redis but Redis:ConnectionString is empty.")]
    [InlineData("Reclassification:EmbeddingCache", "Redis", "Reclassification:EmbeddingCache is Redis but Redis:ConnectionString is not set.")]
    public async Task A_setting_that_needs_redis_stops_the_host_at_start_without_it(string key, string value, string message)
    {
        using var host = Build(new() { [key] = value });

        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
