using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Trending;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>Registers the trending feature: options, extractor, window, store, sources, hosted ingest, readiness.</summary>
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
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TrendingOptions>>().Value;
            return new SlidingWindowCounter(o.Window, o.Slide);
        });
        services.AddSingleton<ITrendingStore>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TrendingOptions>>().Value;
            var redis = sp.GetService<IConnectionMultiplexer>();
            var useRedis = o.Store == TrendingStoreKind.Redis || (o.Store == TrendingStoreKind.Auto && redis is not null);
            return useRedis
                ? ActivatorUtilities.CreateInstance<RedisTrendingStore>(sp, redis
                    ?? throw new InvalidOperationException("Trending:Store is redis but Redis:ConnectionString is empty."))
                : ActivatorUtilities.CreateInstance<MemoryTrendingStore>(sp);
        });
        services.AddSingleton<ITrendingReader>(sp => sp.GetRequiredService<ITrendingStore>());
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

    /// <summary>Trending:Store=redis needs Redis:ConnectionString.</summary>
    private sealed class TrendingStoreValidator(IOptions<RedisOptions> redis) : IValidateOptions<TrendingOptions>
    {
        public ValidateOptionsResult Validate(string? name, TrendingOptions options) =>
            options.Store == TrendingStoreKind.Redis && !redis.Value.Enabled
                ? ValidateOptionsResult.Fail("Trending:Store is redis but Redis:ConnectionString is empty.")
                : ValidateOptionsResult.Success;
    }
}
