using System.Net;
using System.Text.Json;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Catalog;

public sealed class CatalogConfigurationTests
{
    [Fact]
    public async Task With_elasticsearch_unreachable_the_app_starts_and_readiness_names_the_failing_catalog()
    {
        using var factory = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Search:Engine"] = "elasticsearch",
            ["Search:Elasticsearch:Url"] = "http://127.0.0.1:9",
            ["Search:Elasticsearch:RequestTimeoutSeconds"] = "2",
        });
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var catalog = doc.RootElement.GetProperty("checks").GetProperty("catalog");
        Assert.Equal("Unhealthy", catalog.GetProperty("status").GetString());
        Assert.Contains("elasticsearch index unreachable", catalog.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Search:Engine", "solr", "Search:Engine")]
    [InlineData("Search:Elasticsearch:Url", "not a url", "Search:Elasticsearch:Url")]
    [InlineData("Search:Trending:Top", "0", "Search:Trending:Top")]
    [InlineData("Search:Import:BatchSize", "0", "Search:Import:BatchSize")]
    public void A_wrong_search_setting_fails_the_start_naming_it(string key, string value, string named)
    {
        using var factory = new MLOpsFactory(new Dictionary<string, string?> { [key] = value });

        var ex = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(named, ex.ToString(), StringComparison.Ordinal);
    }
}
