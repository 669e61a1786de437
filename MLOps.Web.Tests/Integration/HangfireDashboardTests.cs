using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration;

public sealed class HangfireDashboardTests
{
    [Fact]
    public async Task Dashboard_answers_a_local_request()
    {
        using var factory = new MLOpsFactory(null);
        using var client = factory.CreateClient();
        var response = await client.GetAsync(new Uri("/hangfire", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hangfire", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Remote_request_is_refused_when_no_credentials_are_configured()
    {
        var filter = new HangfireSetup.LocalOrBasicAuthFilter(new HangfireOptions());
        Assert.False(filter.Authorize(RemoteContext(null)));
    }

    [Fact]
    public void Remote_request_needs_the_configured_basic_credentials()
    {
        var options = new HangfireOptions { DashboardUsername = "ops", DashboardPassword = "s3cret" };
        var filter = new HangfireSetup.LocalOrBasicAuthFilter(options);
        Assert.False(filter.Authorize(RemoteContext(null)));
        Assert.False(filter.Authorize(RemoteContext(Basic("ops", "wrong"))));
        Assert.True(filter.Authorize(RemoteContext(Basic("ops", "s3cret"))));
    }

    [Fact]
    public void Dashboard_username_without_password_fails_at_start_naming_the_setting()
    {
        using var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Hangfire:DashboardUsername"] = "ops" });
        var ex = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Hangfire:DashboardPassword", ex.ToString(), StringComparison.Ordinal);
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static Hangfire.Dashboard.AspNetCoreDashboardContext RemoteContext(string? authorization)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };
        http.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        http.Connection.LocalIpAddress = IPAddress.Parse("10.0.0.5");
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        // A storage that does nothing: creating a real one logs through Hangfire's process-wide
        // log provider, which may belong to another test's host that is already disposed.
        return new Hangfire.Dashboard.AspNetCoreDashboardContext(new NullStorage(), new Hangfire.DashboardOptions(), http);
    }

    private sealed class NullStorage : Hangfire.JobStorage
    {
        public override Hangfire.Storage.IMonitoringApi GetMonitoringApi() => throw new NotSupportedException();

        public override Hangfire.Storage.IStorageConnection GetConnection() => throw new NotSupportedException();
    }
}
