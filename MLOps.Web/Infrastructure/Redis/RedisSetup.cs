using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using StackExchange.Redis;

namespace MLOps.Web.Infrastructure.Redis;

/// <summary>Shared Redis connection settings. Empty connection string: no Redis, embedded defaults.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>. Empty: Redis is not used.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Password; prefer <see cref="PasswordFile"/> or the <c>Redis__Password</c> environment variable.</summary>
    public string? Password { get; set; }

    /// <summary>Path of a mounted file that holds the password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Prefix for every key this service writes, except the reference-compatible <c>hashtags</c> set.</summary>
    public string KeyPrefix { get; set; } = "mlops:";

    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);
}

/// <summary>Registers one shared <see cref="IConnectionMultiplexer"/> when the <see cref="StorageTopology"/> uses Redis.</summary>
public static class RedisSetup
{
    public static IHostApplicationBuilder AddRedis(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration(RedisOptions.SectionName)
            .Validate(o => !o.Enabled || ConfigurationOptionsParse(o.ConnectionString!), "Redis:ConnectionString is not a valid StackExchange.Redis configuration string.")
            .ValidateOnStart();

        if (!StorageTopology.Of(builder).UsesRedis)
        {
            return builder;
        }

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            return ConnectionMultiplexer.Connect(BuildConfiguration(o));
        });
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return builder;
    }

    /// <summary>Connection settings that survive Redis being down at start and reconnect forever.</summary>
    public static ConfigurationOptions BuildConfiguration(RedisOptions o)
    {
        var config = ConfigurationOptions.Parse(o.ConnectionString!);
        config.AbortOnConnectFail = false;
        config.ConnectRetry = Math.Max(config.ConnectRetry, 3);
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, 5000);
        var password = Secrets.Read(o.Password, o.PasswordFile);
        if (password is not null)
        {
            config.Password = password;
        }

        return config;
    }

    private static bool ConfigurationOptionsParse(string value)
    {
        try
        {
            _ = ConfigurationOptions.Parse(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Readiness: Redis answers PING.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis is unreachable: {ex.Message}");
        }
    }
}
