namespace MLOps.Web.Infrastructure.Redis;

/// <summary>
/// Where shared state lives, decided once per host: <see cref="UsesRedis"/> when
/// <c>Redis:ConnectionString</c> is set (Hangfire storage, trending buckets, judgments, evaluation
/// history, run locks, embedding cache), else the embedded backends (InMemory job storage,
/// in-process window, files under the data directory). Built from the builder's configuration the
/// first time a registration asks for it (<see cref="Of"/>), registered as a singleton, and handed
/// to every feature that chooses a backend, so no feature reads the connection string itself.
/// Settings that need Redis (<c>Trending:Store=redis</c>, <c>Reclassification:EmbeddingCache=Redis</c>)
/// are validated on start against it by their feature (<see cref="RequireRedis"/>).
/// </summary>
/// <param name="UsesRedis">True when Redis is configured.</param>
public sealed record StorageTopology(bool UsesRedis)
{
    /// <summary>No Redis: every backend embedded.</summary>
    public static StorageTopology Embedded { get; } = new(false);

    /// <summary>The decision for <paramref name="configuration"/>: Redis when <c>Redis:ConnectionString</c> is not blank.</summary>
    public static StorageTopology FromConfiguration(IConfiguration configuration) =>
        new(!string.IsNullOrWhiteSpace(configuration[$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConnectionString)}"]));

    /// <summary>
    /// This builder's topology: decided from its configuration on the first call and registered as a
    /// singleton; later calls (any feature, any order) return that same decision.
    /// </summary>
    public static StorageTopology Of(IHostApplicationBuilder builder)
    {
        var registered = builder.Services.LastOrDefault(d => d.ServiceType == typeof(StorageTopology) && d.ImplementationInstance is StorageTopology);
        if (registered?.ImplementationInstance is StorageTopology topology)
        {
            return topology;
        }

        topology = FromConfiguration(builder.Configuration);
        builder.Services.AddSingleton(topology);
        return topology;
    }

    /// <summary>
    /// Null when Redis is configured or not <paramref name="needed"/>; else <paramref name="message"/>,
    /// the validation failure of the setting that needs Redis.
    /// </summary>
    public string? RequireRedis(bool needed, string message) => needed && !UsesRedis ? message : null;
}

/// <summary>Registration of the storage decision.</summary>
public static class StorageTopologySetup
{
    /// <summary>Decides the storage topology now (see <see cref="StorageTopology.Of"/>); call before the features.</summary>
    public static IHostApplicationBuilder AddStorageTopology(this IHostApplicationBuilder builder)
    {
        _ = StorageTopology.Of(builder);
        return builder;
    }
}
