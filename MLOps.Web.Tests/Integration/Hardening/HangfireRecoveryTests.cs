using System.Diagnostics;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Hangfire's crashed-server recovery is configurable (<c>Hangfire:ServerTimeout</c>,
/// <c>ServerCheckInterval</c>, <c>HeartbeatInterval</c>): a server that stopped sending heartbeats
/// is dropped by a live server's watchdog within timeout + check interval, which is what lets its
/// fetched jobs be requeued. The defaults do it within about a minute.
/// </summary>
public sealed class HangfireRecoveryTests
{
    [Fact]
    public async Task A_server_that_stopped_beating_is_dropped_within_timeout_plus_check_interval()
    {
        await using var app = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Hangfire:ServerTimeout"] = "00:00:02",
            ["Hangfire:ServerCheckInterval"] = "00:00:01",
            ["Hangfire:HeartbeatInterval"] = "00:00:00.500",
        });
        using var client = app.CreateClient();
        var storage = app.Services.GetRequiredService<JobStorage>();
        using (var connection = storage.GetConnection())
        {
            connection.AnnounceServer("dead-replica:1", new ServerContext { Queues = ["reclassify"], WorkerCount = 1 });
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20) && storage.GetMonitoringApi().Servers().Any(s => s.Name == "dead-replica:1"))
        {
            await Task.Delay(100);
        }

        Assert.DoesNotContain(storage.GetMonitoringApi().Servers(), s => s.Name == "dead-replica:1");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"dropped after {clock.Elapsed}");
        Assert.NotEmpty(storage.GetMonitoringApi().Servers()); // the live one stays
    }

    [Fact]
    public void The_defaults_drop_a_dead_server_within_about_a_minute()
    {
        var o = new MLOps.Web.Infrastructure.Hangfire.HangfireOptions();
        Assert.True(o.ServerTimeout + o.ServerCheckInterval <= TimeSpan.FromMinutes(1), $"{o.ServerTimeout} + {o.ServerCheckInterval}");
        Assert.True(o.HeartbeatInterval * 2 <= o.ServerTimeout);
    }

    [Fact]
    public async Task A_heartbeat_too_slow_for_the_server_timeout_stops_the_start_with_the_reason()
    {
        await using var app = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Hangfire:ServerTimeout"] = "00:00:10",
            ["Hangfire:HeartbeatInterval"] = "00:00:08",
        });
        var ex = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("HeartbeatInterval", ex.ToString(), StringComparison.Ordinal);
    }
}
