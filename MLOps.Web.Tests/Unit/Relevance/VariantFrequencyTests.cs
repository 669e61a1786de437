using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Reclassification;
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

    private async Task<TagPlan> PlanAsync(string tag, RelevanceOptions options, IReadOnlyList<string>? stream = null)
    {
        List<CatalogDocument> docs =
        [
            new() { Id = "l1", Title = "Star-Crossed", Overview = "Two young lovers defy their families." },
            new() { Id = "k1", Title = "Zero Day", Overview = "Hackers break into a bank's network." },
            new() { Id = "k2", Title = "Breach", Overview = "A teenager is hacking the school's grades." },
            new() { Id = "p1", Title = "The Ring", Overview = "Two spies trade secrets." },
            .. Enumerable.Range(0, 12).Select(i => new CatalogDocument { Id = $"f{i:D2}", Title = $"Family {i}", Overview = "A family learns to love again after a loss." }),
            .. Enumerable.Range(0, 6).Select(i => new CatalogDocument { Id = $"s{i:D2}", Title = $"Agent {i}", Overview = "A secret spy is sent abroad." }),
        ];
        await Index.IndexAsync(docs, CancellationToken.None);
        var planner = new TagPlanner(Index, new MemoryEmbeddingCache(), Options.Create(options), NullLogger<TagPlanner>.Instance);
        var request = new TagPlanRequest(new FakeEmbeddingScorer(), [new TagToPlan(tag.Replace(" ", "", StringComparison.Ordinal), tag, "classification_" + tag, stream)], [.. docs.Select(d => d.Id)], null);
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

    [Fact]
    public async Task In_a_tag_of_several_words_a_variant_is_measured_against_its_own_word()
    {
        // "secret" matches 7 documents: against the words together "loving" (12) would be within 4 × 8.
        var plan = await PlanAsync("secret lovers", new RelevanceOptions());

        Assert.DoesNotContain("loving", plan.LexicalQuery.Select(t => t.Text));
        Assert.Equal([new VariantCheck("loving", 12, 1, Kept: false)], plan.VariantChecks);
    }

    [Fact]
    public async Task A_stream_variant_does_not_bring_a_left_out_variant_back()
    {
        var plan = await PlanAsync("lovers", new RelevanceOptions(), ["#Loving", "#StarCrossed"]);

        Assert.Equal(["lovers", "star crossed"], plan.LexicalQuery.Select(t => t.Text));
        Assert.False(plan.VariantChecks.Single().Kept);
    }

    [Fact]
    public async Task An_inflection_is_never_checked_however_common()
    {
        var plan = await PlanAsync("spies", new RelevanceOptions());

        Assert.Equal(["spies", "spy"], plan.LexicalQuery.Select(t => t.Text)); // "spy" matches 6, "spies" 1
        Assert.Empty(plan.VariantChecks);
    }

    [Fact]
    public async Task The_checks_survive_the_run_records_json()
    {
        var plan = await PlanAsync("lovers", new RelevanceOptions());

        var json = JsonSerializer.Serialize(plan, RunRecordFormat.Json);
        var read = JsonSerializer.Deserialize<TagPlan>(json, RunRecordFormat.Json)!;
        Assert.Equal(plan.VariantChecks, read.VariantChecks);
        Assert.Empty(JsonSerializer.Deserialize<TagPlan>(json.Replace("\"variantChecks\"", "\"absent\"", StringComparison.Ordinal), RunRecordFormat.Json)!.VariantChecks);
    }
}
