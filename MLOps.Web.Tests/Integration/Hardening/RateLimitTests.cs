using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Per-client rate limits on classify (every classify route), search, imports and job routes: the
/// request over the limit is a 429 ProblemDetails with Retry-After, counted in /metrics; clients are
/// counted apart. Champion/challenger requests coalesce onto the pending job.
/// </summary>
#pragma warning disable CA1001 // disposed in DisposeAsync (IAsyncLifetime)
public sealed class RateLimitTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly RemoteClientFactory _factory = new(new Dictionary<string, string?>
    {
        ["RateLimits:Enabled"] = "true",
        ["RateLimits:Classify:Permits"] = "1",
        ["RateLimits:Classify:Period"] = "00:10:00",
        ["RateLimits:Classify:Burst"] = "2",
        ["RateLimits:Search:Permits"] = "1",
        ["RateLimits:Search:Period"] = "00:10:00",
        ["RateLimits:Search:Burst"] = "2",
        ["Hangfire:ServerEnabled"] = "false",
    }, IPAddress.Parse("198.51.100.7"));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static HttpRequestMessage From(string peer, HttpMethod method, string url, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        request.Headers.Add(RemoteClientFactory.PeerHeader, peer);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    [Theory]
    [InlineData("/api/classify")]
    [InlineData("/classify")]
    [InlineData("/v1/models/zero-shot-classifier:predict")]
    public async Task Classify_routes_share_one_limit_per_client_and_answer_429_with_retry_after(string route)
    {
        using var client = _factory.CreateClient();
        var peer = $"198.51.100.{Random.Shared.Next(10, 250)}";
        // Invalid bodies: answered fast, and they still count.
        for (var i = 0; i < 2; i++)
        {
            var ok = await client.SendAsync(From(peer, HttpMethod.Post, route, new { sequence = "" }));
            Assert.NotEqual(HttpStatusCode.TooManyRequests, ok.StatusCode);
        }

        var limited = await client.SendAsync(From(peer, HttpMethod.Post, "/api/classify/batch", new { sequences = Array.Empty<string>() }));
        var body = await limited.Content.ReadAsStringAsync();
        Assert.True(limited.StatusCode == HttpStatusCode.TooManyRequests, body);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), limited.Headers.RetryAfter?.ToString());
        Assert.Contains("classify", body, StringComparison.Ordinal);

        // Another client is not affected.
        var other = await client.SendAsync(From("192.0.2.44", HttpMethod.Post, route, new { sequence = "" }));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);

        var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("mlops_rate_limit_rejected", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_is_limited_per_client()
    {
        using var client = _factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.SendAsync(From("192.0.2.90", HttpMethod.Get, "/api/search?q=snow"))).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Champion_challenger_requests_coalesce_onto_the_pending_job()
    {
        using var client = _factory.CreateClient();
        var ids = new List<(string Id, bool Coalesced)>();
        for (var i = 0; i < 3; i++)
        {
            var response = await client.SendAsync(From("127.0.0.1", HttpMethod.Post, "/api/evaluations/champion-challenger"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            ids.Add((body.GetProperty("jobId").GetString()!, body.GetProperty("coalesced").GetBoolean()));
        }

        Assert.Single(ids.Select(i => i.Id).Distinct());
        Assert.Equal([false, true, true], ids.Select(i => i.Coalesced));
    }
}
