using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Hangfire;

namespace MLOps.Web.Tests.Unit.Hardening;

/// <summary>The wrapper around Hangfire's hosted server: a stop cut short by the host's timeout ends quietly, nothing else changes.</summary>
public sealed class GracefulHangfireServerTests
{
    /// <summary>Stands in for Hangfire's BackgroundJobServerHostedService, whose stop waits on the host's token.</summary>
    private sealed class SlowToStop : IHostedService
    {
        public bool Started { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken) => await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    [Fact]
    public async Task A_stop_past_the_hosts_timeout_ends_without_an_exception()
    {
        var inner = new SlowToStop();
        var server = new GracefulHangfireServer(inner, NullLogger<GracefulHangfireServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await server.StopAsync(timeout.Token); // Hangfire's own service throws OperationCanceledException here

        Assert.True(inner.Started);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => inner.StopAsync(new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Only_the_hosted_services_added_after_the_mark_are_wrapped()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IHostedService>(new SlowToStop());
        var before = services.Count;
        services.AddTransient<IHostedService>(_ => new SlowToStop());

        GracefulHangfireServer.Wrap(services, before);
        services.AddLogging();
        using var provider = services.BuildServiceProvider();

        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.IsType<SlowToStop>(hosted[0]);
        Assert.IsType<GracefulHangfireServer>(hosted[1]);
    }
}
