using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Relevance;

/// <summary>The <c>Relevance</c> section on a plain host: bad values fail the start, each named.</summary>
public sealed class RelevanceConfigurationTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Storage:DataDirectory"] = TempDirectory.Create("relevance-config"),
        });
        builder.AddPlatform();
        builder.AddRelevance();
        builder.Services.AddSingleton<MLOps.Web.Shared.Catalog.ICatalogIndex>(new MLOps.Web.Tests.Support.Fakes.InMemoryCatalogIndex());
        return builder.Build();
    }

    [Theory]
    [InlineData("Relevance:MatchBonus", "-1", "Relevance:MatchBonus must be between 0 and 100; it is -1.")]
    [InlineData("Relevance:LexicalTopN", "0", "Relevance:LexicalTopN must be between 1 and 10000")]
    [InlineData("Relevance:LexicalTopN", "20000", "Relevance:LexicalTopN must be between 1 and 10000")]
    [InlineData("Relevance:FeedbackDocuments", "0", "Relevance:FeedbackDocuments")]
    [InlineData("Relevance:SampleEvery", "0", "Relevance:SampleEvery")]
    [InlineData("Relevance:SelfTrainingShrinkage", "0", "Relevance:SelfTrainingShrinkage")]
    [InlineData("Relevance:Alpha", "0", "Relevance:Alpha")]
    [InlineData("Relevance:Templates:0", "A movie about sharks.", "Relevance:Templates:0 must contain {} where the label goes")]
    [InlineData("Relevance:Feedback", "Sometimes", "Relevance:Feedback")]
    [InlineData("Relevance:Fusion", "maybe", "Relevance:Fusion")]
    [InlineData("Relevance:LexicalNormalisation", "Log", "Relevance:LexicalNormalisation")]
    [InlineData("Relevance:TitleMatchWeight", "-101", "Relevance:TitleMatchWeight must be between -100 and 100")]
    public async Task A_bad_relevance_setting_fails_the_start_naming_it(string key, string value, string named)
    {
        using var host = Build(new() { [key] = value });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(named, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_value_is_reported_at_once_and_the_defaults_are_valid()
    {
        Assert.Empty(new RelevanceOptions().Validate());
        var errors = new RelevanceOptions { MatchBonus = double.NaN, LexicalWeight = 101, Templates = ["ok {}", ""] }.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Relevance:MatchBonus", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Relevance:LexicalWeight", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Relevance:Templates:1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_defaults_start_and_without_the_reclassification_feature_nothing_is_cached()
    {
        using var host = Build([]);
        await host.StartAsync();
        Assert.IsType<TagPlanner>(host.Services.GetRequiredService<ITagPlanner>());
        Assert.IsType<NoEmbeddingCache>(host.Services.GetRequiredService<IEmbeddingCache>());
        var o = host.Services.GetRequiredService<IOptions<RelevanceOptions>>().Value;
        Assert.True(o.Fusion);
        Assert.Equal(FeedbackMethod.Rocchio, o.Feedback);
        Assert.Equal(LexicalNormalisation.Max, o.LexicalNormalisation);
        Assert.Equal(0, o.TitleMatchWeight);
        Assert.Equal(2, o.LexicalWeight);
        await host.StopAsync();
    }
}
