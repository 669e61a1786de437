using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;
using StackExchange.Redis;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Registration of the reclassification feature.</summary>
public static class ReclassificationSetup
{
    private const string EmbeddingCacheNeedsRedis = "Reclassification:EmbeddingCache is Redis but Redis:ConnectionString is not set.";

    public static IHostApplicationBuilder AddReclassification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReclassificationOptions>()
            .BindConfiguration(ReclassificationOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.Cron) || IsCron(o.Cron),
                "Reclassification:Cron is not a valid cron expression (5 fields, or 6 with seconds).")
            .Validate(o => IsTimeZone(o.TimeZone), "Reclassification:TimeZone is not a known time zone id.")
            .Validate(o => o.EffectiveRetryDelaysSeconds.All(d => d >= 0), "Reclassification:RetryDelaysSeconds must not be negative.")
            .Validate(o => o.FieldRetention >= TimeSpan.Zero, "Reclassification:FieldRetention must not be negative.")
            .Validate(o => o.ProgressInterval > TimeSpan.Zero && o.StartupPollInterval > TimeSpan.Zero,
                "Reclassification:ProgressInterval and Reclassification:StartupPollInterval must be positive.")
            .ValidateOnStart();

        AddStorage(builder.Services, StorageTopology.Of(builder));
        builder.Services.AddSingleton<RunHistory>();
        builder.Services.AddSingleton<DashboardProgress>();
        builder.Services.AddSingleton<ChunkDispatcher>();
        builder.Services.AddSingleton<RunMonitor>();
        builder.Services.AddSingleton<RunCompletion>();
        builder.Services.AddSingleton<ChunkScorer>();
        builder.Services.AddSingleton<IReclassificationTrigger, ReclassificationTrigger>();
        // Before ReclassificationStartup (hosted services start in registration order), so a
        // resumed run holds the run lock before a startup run could be planned.
        builder.Services.AddSingleton<InterruptedRunRecovery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InterruptedRunRecovery>());
        builder.Services.AddHostedService<ReclassificationStartup>();
        return builder;
    }

    /// <summary>
    /// Every backend choice of this feature, in one place, from the host's one <see cref="StorageTopology"/>:
    /// runs and their locks (Redis, shared by every replica; else files in the data directory and
    /// in-process locks, one replica) and the embedding cache (validated on start: EmbeddingCache=Redis needs Redis).
    /// </summary>
    private static void AddStorage(IServiceCollection services, StorageTopology topology)
    {
        services.AddOptions<ReclassificationOptions>()
            .Validate(o => topology.RequireRedis(o.EmbeddingCache == EmbeddingCacheKind.Redis, EmbeddingCacheNeedsRedis) is null, EmbeddingCacheNeedsRedis);

        services.AddSingleton<IRunLocks>(sp => topology.UsesRedis
            ? ActivatorUtilities.CreateInstance<RedisRunLocks>(sp)
            : new InProcessRunLocks());
        services.AddSingleton<IRunRepository>(sp => topology.UsesRedis
            ? ActivatorUtilities.CreateInstance<RedisRunRepository>(sp)
            : ActivatorUtilities.CreateInstance<FileRunRepository>(sp));
        services.AddSingleton<IEmbeddingCache>(sp =>
            sp.GetRequiredService<IOptions<ReclassificationOptions>>().Value.EmbeddingCache switch
            {
                EmbeddingCacheKind.None => new NoEmbeddingCache(),
                EmbeddingCacheKind.Redis or EmbeddingCacheKind.Auto when topology.UsesRedis =>
                    new RedisEmbeddingCache(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<RedisOptions>>()),
                EmbeddingCacheKind.Redis => throw new OptionsValidationException(ReclassificationOptions.SectionName, typeof(ReclassificationOptions),
                    [EmbeddingCacheNeedsRedis]),
                _ => ActivatorUtilities.CreateInstance<DiskEmbeddingCache>(sp),
            });
    }

    private static bool IsCron(string cron)
    {
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            _ = Cronos.CronExpression.Parse(cron.Trim(), fields == 6 ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard);
            return true;
        }
        catch (Cronos.CronFormatException)
        {
            return false;
        }
    }

    private static bool IsTimeZone(string id)
    {
        try
        {
            _ = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }
}
