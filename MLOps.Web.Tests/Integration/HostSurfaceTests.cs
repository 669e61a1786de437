using System.Net;
using System.Text.Json;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration;

public sealed class HostSurfaceTests : IClassFixture<DefaultAppFactory>
{
    private readonly DefaultAppFactory _factory;

    public HostSurfaceTests(DefaultAppFactory factory) => _factory = factory;

    [Fact]
    public async Task Liveness_answers_ok_without_running_any_check()
    {
        using var client = _factory.CreateClient();
        var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", doc.RootElement.GetProperty("status").GetString());
        Assert.Empty(doc.RootElement.GetProperty("checks").EnumerateObject());
    }

    [Fact]
    public async Task Readiness_reports_each_check_by_name_in_json()
    {
        using var client = _factory.CreateClient();
        var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.TryGetProperty("checks", out var checks));
        Assert.Equal(JsonValueKind.Object, checks.ValueKind);
        var status = doc.RootElement.GetProperty("status").GetString();
        Assert.Equal(status == "Unhealthy" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Swagger_document_lists_the_health_endpoints()
    {
        using var client = _factory.CreateClient();
        var json = await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        using var doc = JsonDocument.Parse(json);
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/healthz", paths);
        Assert.Contains("/readyz", paths);
    }

    [Fact]
    public async Task Swagger_ui_is_served()
    {
        using var client = _factory.CreateClient();
        var html = await client.GetStringAsync(new Uri("/swagger/index.html", UriKind.Relative));
        Assert.Contains("swagger-ui", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unknown_api_route_answers_404_problem_details()
    {
        using var client = _factory.CreateClient();
        var response = await client.GetAsync(new Uri("/api/does-not-exist", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
