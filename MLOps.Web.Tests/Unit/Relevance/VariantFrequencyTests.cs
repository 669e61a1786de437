using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Relevance;

/// <summary>
/// The variant frequency check, planned over a real Lucene index in a temp folder: "lovers" -> "loving"
/// is analysed to "love", which this catalog uses far more than "lovers"; "hackers" -> "hacking" is as rare as "hackers".
/// </summary>
public sealed class VariantFrequencyTests : IDisposable
{
    private readonly TempLuceneIndex _lucene = new("lucene-variants");

    private LuceneCatalogIndex Index => _lucene.Index;

    public void Dispose() => _lucene.Dispose();

    private async Task<TagPlan> PlanAsync(string tag, RelevanceOptions options)
    {
        List<CatalogDocument> docs =
        [
            new() { Id = "l1", Title = "Star-Crossed", Overview = "Two young lovers defy their families." },
            new() { Id = "k1", Title = "Zero Day", Overview = "Hackers break into a bank's network." },
            new() { Id = "k2", Title = "Breach", Overview = "A teenager is hacking the school's grades." },
            .. Enumerable.Range(0, 12).Select(i => new CatalogDocument { Id = $"f{i:D2}", Title = $"Family {i}", Overview = "A family learns to love again after a loss." }),
        ];
        await Index.IndexAsync(docs, CancellationToken.None);
        var planner = new TagPlanner(Index, new MemoryEmbeddingCache(), Options.Create(options), NullLogger<TagPlanner>.Instance);
        var request = new TagPlanRequest(new FakeEmbeddingScorer(), [new TagToPlan(tag, tag, "classification_" + tag)], [.. docs.Select(d => d.Id)], null);
        return (await planner.PlanAsync(request, CancellationToken.None)).Plans[0];
    }

    [Fact]
    public async Task A_variant_that_matches_far_more_than_the_tag_word_is_left_out_and_recorded()
    {
        var plan = await PlanAsync("lovers", new RelevanceOptions());

        Assert.Equal(["lovers"], plan.LexicalQuery.Select(t => t.Text)); // "lover" has the same stem; "loving" is "love"
        Assert.Equal([new VariantCheck("loving", 12, 1, Kept: false)], plan.VariantChecks);
        Assert.Equal(["l1"], plan.Lexical.Keys);
        Assert.Equal(plan.VariantChecks, TagPlanSummary.Of(plan).VariantChecks);
    }

    [Fact]
    public async Task Without_the_check_the_variant_is_searched()
    {
        var plan = await PlanAsync("lovers", new RelevanceOptions { VariantFrequencyRatio = 0 });

        Assert.Equal(["lovers", "loving"], plan.LexicalQuery.Select(t => t.Text));
        Assert.Empty(plan.VariantChecks); // nothing was counted
        Assert.Equal(13, plan.Lexical.Count);
    }

    [Fact]
    public async Task A_variant_as_rare_as_the_tag_word_is_kept()
    {
        var plan = await PlanAsync("hackers", new RelevanceOptions());

        Assert.Equal(["hackers", "hacking"], plan.LexicalQuery.Select(t => t.Text));
        Assert.Equal([new VariantCheck("hacking", 1, 1, Kept: true)], plan.VariantChecks);
        Assert.Equal(["k1", "k2"], plan.Lexical.Keys.Order(StringComparer.Ordinal));
        Assert.True(plan.IsMatch("k2"), "a core variant counts for the match test");
    }
}
