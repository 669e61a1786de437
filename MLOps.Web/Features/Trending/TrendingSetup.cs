using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Trending;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>Registers the trending feature: options, extractor, counters, store, reader (topics, bursts), sources, leadership, hosted ingest, readiness.</summary>
public static class TrendingSetup
{
    public static IHostApplicationBuilder AddTrending(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrendingOptions>()
            .BindConfiguration(TrendingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrendingOptions>, TrendingOptionsValidator>();
        services.AddSingleton<IValidateOptions<TrendingOptions>, TrendingStoreValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<TrendingMetrics>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TrendingOptions>>().Value;
            return new HashtagExtractor(o.MaxTagLength, o.EffectiveStopList);
        });
        services.AddSingleton(sp => new TrendingCounters(
            sp.GetRequiredService<IOptions<TrendingOptions>>().Value, sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        services.AddSingleton(sp => sp.GetRequiredService<TrendingCounters>().Window);
        var topology = StorageTopology.Of(builder);
        services.AddSingleton<ITrendingStore>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TrendingOptions>>().Value;
            if (!UsesRedisStore(o.Store, topology))
            {
                return ActivatorUtilities.CreateInstance<MemoryTrendingStore>(sp);
            }

            return topology.UsesRedis
                ? ActivatorUtilities.CreateInstance<RedisTrendingStore>(sp, sp.GetRequiredService<IConnectionMultiplexer>())
                : throw new InvalidOperationException(StoreNeedsRedis);
        });
        services.AddSingleton<TopicEmbeddings>();
        services.AddSingleton<TrendingReader>();
        services.AddSingleton<ITrendingReader>(sp => sp.GetRequiredService<TrendingReader>());
        services.AddSingleton<StreamLeadership>();
        services.AddSingleton<PostIngestor>();
        services.AddSingleton<TrendingSlideSignal>();
        services.TryAddSingleton<IReconnectDelay, TimeProviderReconnectDelay>();

        services.AddHttpClient(XStreamSource.ClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHttpClient(MastodonSource.ClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<ReplaySource>();
        services.AddSingleton<XStreamSource>();
        services.AddSingleton<MastodonSource>();

        services.AddHostedService<TrendingIngestService>();
        services.AddHealthChecks().AddCheck<TrendingHealthCheck>("trending", tags: ["ready"]);
        return builder;
    }

    private const string StoreNeedsRedis = "Trending:Store is redis but Redis:ConnectionString is empty.";

    /// <summary>The store choice: <c>redis</c>, or <c>auto</c> when the topology uses Redis.</summary>
    internal static bool UsesRedisStore(TrendingStoreKind store, StorageTopology topology) =>
        store == TrendingStoreKind.Redis || (store == TrendingStoreKind.Auto && topology.UsesRedis);

    /// <summary>Trending:Store=redis needs the Redis topology.</summary>
    private sealed class TrendingStoreValidator(StorageTopology topology) : IValidateOptions<TrendingOptions>
    {
        public ValidateOptionsResult Validate(string? name, TrendingOptions options) =>
            topology.RequireRedis(options.Store == TrendingStoreKind.Redis, StoreNeedsRedis) is { } failure
                ? ValidateOptionsResult.Fail(failure)
                : ValidateOptionsResult.Success;
    }
}
