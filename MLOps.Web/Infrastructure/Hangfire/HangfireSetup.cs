using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;
using StackExchange.Redis;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Infrastructure.Hangfire;

/// <summary>Hangfire server and dashboard settings.</summary>
public sealed class HangfireOptions
{
    public const string SectionName = "Hangfire";

    /// <summary>Worker threads of this replica's Hangfire server; 0 means the CPU count the process sees.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 256)]
    public int WorkerCount { get; set; }

    /// <summary>Queues this server takes jobs from, in priority order.</summary>
    public string[] Queues { get; set; } = ["default", "reclassify", "evaluation"];

    /// <summary>Dashboard user for remote access. Empty: the dashboard answers local requests only.</summary>
    public string? DashboardUsername { get; set; }

    /// <summary>Dashboard password; from env (<c>Hangfire__DashboardPassword</c>) or <see cref="DashboardPasswordFile"/>.</summary>
    public string? DashboardPassword { get; set; }

    public string? DashboardPasswordFile { get; set; }

    /// <summary>Run a Hangfire server in this process (every replica does by default).</summary>
    public bool ServerEnabled { get; set; } = true;

    /// <summary>
    /// Redis storage only: a fetched job whose fetch is older than this is put back on its queue by
    /// any server's FetchedJobsWatcher (a pass a minute), even while its server is alive and still
    /// running it: a second copy then runs. Jobs of a dead server are re-queued sooner anyway, once
    /// the server watchdog has removed the server (about ServerTimeout + ServerCheckInterval, 5 + 5
    /// minutes by default). So the default is long: longer than any reclassification run, whose
    /// coordinator job lives as long as the run. The library's default is 30 minutes.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "30.00:00:00",
        ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Hangfire:InvisibilityTimeout must be between 00:00:01 and 30.00:00:00.")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A server whose heartbeat is older than this is taken for dead by any other server's watchdog,
    /// and its fetched jobs are put back on their queues (Redis storage: by the next
    /// FetchedJobsWatcher pass, about a minute). Hangfire's default is 5 minutes. Shorter requeues a
    /// crashed replica's chunks sooner; too short takes a live but stalled server (long GC pause,
    /// CPU-starved node) for dead and runs its jobs twice, which the run and chunk locks then absorb.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00",
        ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Hangfire:ServerTimeout must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each server's watchdog looks for dead servers (Hangfire's default: 5 minutes).</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00",
        ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Hangfire:ServerCheckInterval must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan ServerCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a server reports that it is alive; must be well under <see cref="ServerTimeout"/> (Hangfire's default: 30 s).</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00",
        ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Hangfire:HeartbeatInterval must be between 00:00:00.100 and 1.00:00:00.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On a graceful stop, how long running jobs get to finish after their cancellation token fired;
    /// kept under the host's shutdown timeout (30 s) so the server stops before the host gives up.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "00:10:00",
        ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Hangfire:ShutdownTimeout must be between 00:00:00 and 00:10:00.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Hangfire: InMemory storage by default, Redis storage when the <see cref="StorageTopology"/> uses Redis.</summary>
public static class HangfireSetup
{
    public static IHostApplicationBuilder AddHangfireInfrastructure(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HangfireOptions>()
            .BindConfiguration(HangfireOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.DashboardUsername) || !string.IsNullOrEmpty(Secrets.Read(o.DashboardPassword, o.DashboardPasswordFile)),
                "Hangfire:DashboardUsername is set but no Hangfire:DashboardPassword (or DashboardPasswordFile) is configured.")
            .Validate(o => o.HeartbeatInterval * 2 <= o.ServerTimeout,
                "Hangfire:HeartbeatInterval must be at most half of Hangfire:ServerTimeout, or live servers are taken for dead.")
            .ValidateOnStart();

        var topology = StorageTopology.Of(builder);

        // This host's own storage and activator. AddHangfire's defaults return the process-wide
        // JobStorage.Current / JobActivator.Current, which another host in the same process (tests
        // run many in parallel) may have replaced a moment earlier: its jobs would then run with the
        // other host's services. AddHangfire only TryAdds these, so these registrations win.
        builder.Services.AddSingleton<JobStorage>(sp =>
        {
            if (topology.UsesRedis)
            {
                var prefix = sp.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix + "hangfire:";
                // FetchTimeout: idle workers poll at least this often, in case a pub/sub wake-up was missed (default 3 min).
                return new RedisStorage(sp.GetRequiredService<IConnectionMultiplexer>(), new RedisStorageOptions
                {
                    Prefix = prefix,
                    FetchTimeout = TimeSpan.FromSeconds(5),
                    InvisibilityTimeout = sp.GetRequiredService<IOptions<HangfireOptions>>().Value.InvisibilityTimeout,
                });
            }

            // GUID job ids: a reclassification run's id is its job id, and the embedded run history
            // (files in the data directory) outlives this storage; numbers would start again at 1.
            return new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromDays(7), IdType = InMemoryStorageIdType.Guid });
        });
        builder.Services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((sp, config) =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>()))
                .UseStorage(sp.GetRequiredService<JobStorage>());
        });

        var options = builder.Configuration.GetSection(HangfireOptions.SectionName).Get<HangfireOptions>() ?? new HangfireOptions();
        if (options.ServerEnabled)
        {
            AddServer(builder.Services);
        }

        return builder;
    }

    /// <summary>This replica's server, with the crash-recovery and shutdown settings, stopped gracefully (<see cref="GracefulHangfireServer"/>).</summary>
    private static void AddServer(IServiceCollection services)
    {
        var before = services.Count;
        services.AddHangfireServer((sp, o) =>
        {
            var ho = sp.GetRequiredService<IOptions<HangfireOptions>>().Value;
            o.WorkerCount = ho.WorkerCount > 0 ? ho.WorkerCount : Math.Max(2, Environment.ProcessorCount);
            o.Queues = ho.Queues;
            o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            o.ServerTimeout = ho.ServerTimeout;
            o.ServerCheckInterval = ho.ServerCheckInterval;
            o.HeartbeatInterval = ho.HeartbeatInterval;
            o.ShutdownTimeout = ho.ShutdownTimeout;
            o.StopTimeout = TimeSpan.Zero;
        });
        GracefulHangfireServer.Wrap(services, before);
    }

    public static WebApplication MapHangfireDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<HangfireOptions>>().Value;
        app.UseHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "MLOps.Web jobs",
            AppPath = "/",
            Authorization = [new LocalOrBasicAuthFilter(options)],
            // Read-only for remote users would need per-user roles; credentials grant full access.
        });
        return app;
    }

    /// <summary>
    /// Local requests are allowed; remote ones only with HTTP Basic credentials when configured.
    /// With no credentials configured, remote requests are refused: never open by default.
    /// </summary>
    internal sealed class LocalOrBasicAuthFilter(HangfireOptions options) : IDashboardAuthorizationFilter
    {
        private readonly string? _password = Secrets.Read(options.DashboardPassword, options.DashboardPasswordFile);

        public bool Authorize(DashboardContext context)
        {
            var http = context.GetHttpContext();
            if (RequestLocality.IsLocal(http))
            {
                return true;
            }

            if (string.IsNullOrEmpty(options.DashboardUsername) || string.IsNullOrEmpty(_password))
            {
                return false;
            }

            string header = http.Request.Headers.Authorization.ToString();
            if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                    var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0
                        && FixedEquals(decoded[..colon], options.DashboardUsername)
                        && FixedEquals(decoded[(colon + 1)..], _password))
                    {
                        return true;
                    }
                }
                catch (FormatException)
                {
                    // fall through to the challenge
                }
            }

            http.Response.Headers.WWWAuthenticate = "Basic realm=\"hangfire\"";
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return false;
        }

        private static bool FixedEquals(string a, string b) =>
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    }
}

/// <summary>
/// Hangfire's log provider is process-wide. This one survives the disposal of the host whose logger
/// factory it holds (several hosts in one test process): it then stops logging instead of throwing.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory factory) : global::Hangfire.Logging.ILogProvider
{
    public global::Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return new HostLog(factory.CreateLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new HostLog(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
    }

    private sealed class HostLog(ILogger logger) : global::Hangfire.Logging.ILog
    {
        public bool Log(global::Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var level = logLevel switch
            {
                global::Hangfire.Logging.LogLevel.Trace => LogLevel.Trace,
                global::Hangfire.Logging.LogLevel.Debug => LogLevel.Debug,
                global::Hangfire.Logging.LogLevel.Info => LogLevel.Information,
                global::Hangfire.Logging.LogLevel.Warn => LogLevel.Warning,
                global::Hangfire.Logging.LogLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            try
            {
                if (messageFunc is null)
                {
                    return logger.IsEnabled(level);
                }

                if (logger.IsEnabled(level))
                {
                    logger.Log(level, default, messageFunc(), exception, static (message, _) => message);
                }

                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
