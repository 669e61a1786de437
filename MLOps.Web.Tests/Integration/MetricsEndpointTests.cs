using System.Net.Http.Json;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_endpoint_exports_the_trending_ingest_counters_in_prometheus_format()
    {
        await using var app = new MLOpsFactory(new Dictionary<string, string?> { ["Trending:Source"] = "push" });
        using var client = app.CreateClient();
        var posted = await client.PostAsJsonAsync(new Uri("/api/posts", UriKind.Relative), new object[] { new { text = "#metrics are #fun" } });
        posted.EnsureSuccessStatusCode();

        string body = "";
        for (var i = 0; i < 50 && !body.Contains("mlops", StringComparison.OrdinalIgnoreCase); i++)
        {
            await Task.Delay(200);
            body = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        Assert.Contains("# TYPE", body, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^mlops_\w*posts\w*", body);
    }
}
