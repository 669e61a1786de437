namespace MLOps.Web.Infrastructure.Hangfire;

/// <summary>
/// Hangfire's hosted server, stopped gracefully: on SIGTERM its jobs' cancellation tokens fire at
/// once, running jobs get <c>Hangfire:ShutdownTimeout</c> to return (aborted jobs go back on their
/// queue), and if the host's own shutdown timeout runs out first, the wait ends with a log line
/// instead of Hangfire's <see cref="OperationCanceledException"/> escaping the host's stop (which
/// the host reported as an unhandled error).
/// </summary>
internal sealed partial class GracefulHangfireServer(IHostedService inner, ILogger<GracefulHangfireServer> logger) : IHostedService
{
    /// <summary>Wraps the hosted services AddHangfireServer registered (those added since <paramref name="before"/>).</summary>
    public static void Wrap(IServiceCollection services, int before)
    {
        for (var i = before; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(IHostedService) || d.ImplementationFactory is not { } factory)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Describe(typeof(IHostedService),
                sp => new GracefulHangfireServer((IHostedService)factory(sp), sp.GetRequiredService<ILogger<GracefulHangfireServer>>()),
                d.Lifetime);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.StopAsync(cancellationToken);
            LogStopped(logger);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogGaveUp(logger);
        }
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Hangfire server stopped; interrupted jobs were put back on their queues")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Warning, Message = "Hangfire server did not stop within the host's shutdown timeout; its unfinished jobs are recovered at the next start")]
    private static partial void LogGaveUp(ILogger logger);
}
