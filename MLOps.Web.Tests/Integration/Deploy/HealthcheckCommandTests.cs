using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using MLOps.Web.Commands;

namespace MLOps.Web.Tests.Integration.Deploy;

/// <summary>The healthcheck verb against real HTTP servers on loopback ports.</summary>
public sealed class HealthcheckCommandTests
{
    [Theory]
    [InlineData(200, 0)]
    [InlineData(204, 0)]
    [InlineData(503, 1)]
    [InlineData(404, 1)]
    public async Task The_exit_code_follows_the_status_of_healthz(int status, int expectedExitCode)
    {
        await using var server = await StartServerAsync(status);
        using var output = new StringWriter();
        var code = await AppCommand.Parse(["healthcheck", $"{server.Url}/healthz"]).RunAsync(output, output, CancellationToken.None);
        Assert.Equal(expectedExitCode, code);
        Assert.Contains($"-> {status}", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nobody_listening_is_unhealthy()
    {
        using var output = new StringWriter();
        var code = await AppCommand.Parse(["healthcheck", $"http://127.0.0.1:{FreePort()}/healthz"]).RunAsync(output, output, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.StartsWith("unhealthy:", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_unhealthy_within_the_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var output = new StringWriter();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var code = await AppCommand.Parse(["healthcheck", $"http://127.0.0.1:{port}/healthz"]).RunAsync(output, output, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.InRange(started.Elapsed, HealthcheckCommand.Timeout - TimeSpan.FromMilliseconds(200), HealthcheckCommand.Timeout + TimeSpan.FromSeconds(3));
        Assert.Contains("no answer", output.ToString(), StringComparison.Ordinal);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<Server> StartServerAsync(int status)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.StatusCode(status));
        await app.StartAsync();
        var address = app.Urls.Single();
        return new Server(app, address);
    }

    private sealed record Server(WebApplication App, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
