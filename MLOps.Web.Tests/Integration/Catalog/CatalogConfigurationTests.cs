using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Catalog;

/// <summary>
/// The catalog's registration on a plain host (platform + catalog only): what a setting does at start
/// and what readiness says, without the web server and Hangfire.
/// </summary>
public sealed class CatalogConfigurationTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Storage:DataDirectory"] = TempDirectory.Create("catalog-config"),
            ["Search:LoadSampleCatalog"] = "false",
        });
        builder.AddPlatform();
        builder.AddCatalog();
        return builder.Build();
    }

    [Fact]
    public async Task With_elasticsearch_unreachable_readiness_names_the_failing_catalog()
    {
        using var host = Build(new()
        {
            ["Search:Engine"] = "elasticsearch",
            ["Search:Elasticsearch:Url"] = "http://127.0.0.1:9",
            ["Search:Elasticsearch:RequestTimeoutSeconds"] = "2",
        });

        var report = await host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(c => c.Tags.Contains("ready"), CancellationToken.None);

        var catalog = report.Entries["catalog"];
        Assert.Equal(HealthStatus.Unhealthy, catalog.Status);
        Assert.Contains("elasticsearch index unreachable", catalog.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_the_default_settings_readiness_reports_the_lucene_index()
    {
        using var host = Build([]);

        var report = await host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(c => c.Tags.Contains("ready"), CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, report.Entries["catalog"].Status);
        Assert.Equal("lucene", report.Entries["catalog"].Data["engine"]);
    }

    [Theory]
    [InlineData("Search:Engine", "solr", "Search:Engine")]
    [InlineData("Search:Elasticsearch:Url", "not a url", "Search:Elasticsearch:Url")]
    [InlineData("Search:Trending:Top", "0", "Search:Trending:Top")]
    [InlineData("Search:Import:BatchSize", "0", "Search:Import:BatchSize")]
    public async Task A_wrong_search_setting_fails_the_start_naming_it(string key, string value, string named)
    {
        using var host = Build(new() { [key] = value });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(named, ex.ToString(), StringComparison.Ordinal);
    }
}
