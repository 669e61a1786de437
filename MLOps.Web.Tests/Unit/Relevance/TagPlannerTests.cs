using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Relevance;

/// <summary>The plan step over an in-memory catalog and the deterministic fake bi-encoder.</summary>
public sealed class TagPlannerTests
{
    private static readonly List<CatalogDocument> Catalog =
    [
        new() { Id = "a", Title = "The Heist", Overview = "A crew plans a heist of a casino." },
        new() { Id = "b", Title = "Bank Job", Overview = "Robbers hit a bank; a bank robbery goes wrong." },
        new() { Id = "c", Title = "Snow Day", Overview = "Kids build a fort." },
        new() { Id = "d", Title = "Vault", Overview = "Thieves break into a vault." },
    ];

    private static (TagPlanner Planner, FakeEmbeddingScorer Scorer, MemoryEmbeddingCache Cache) Create(RelevanceOptions? options = null)
    {
        var cache = new MemoryEmbeddingCache();
        var planner = new TagPlanner(new InMemoryCatalogIndex(Catalog), cache, Options.Create(options ?? new RelevanceOptions()), NullLogger<TagPlanner>.Instance);
        return (planner, new FakeEmbeddingScorer(), cache);
    }

    private static TagPlanRequest Request(FakeEmbeddingScorer scorer, IReadOnlyList<string>? variants = null) =>
        new(scorer, [new TagToPlan("heistmovies", "heist movies", "classification_heistmovies", variants)], ["a", "b", "c", "d"], null);

    [Fact]
    public async Task Stream_variants_add_bm25_evidence_at_their_weight_but_not_the_match_test()
    {
        var (planner, scorer, _) = Create();
        var plan = (await planner.PlanAsync(Request(scorer, ["#BankRobbery"]), CancellationToken.None)).Plans[0];

        Assert.Equal([new WeightedText("heist", 1f), new WeightedText("bank robbery", 0.5f)], plan.LexicalQuery);
        Assert.Equal(["a"], plan.CoreMatches);
        Assert.True(plan.IsMatch("a"));
        Assert.False(plan.IsMatch("b"));
        Assert.True(plan.Lexical["b"] > 0, "the variant's words found the bank robbery film");
        Assert.Equal(1, plan.LexicalMatches);

        var off = await Create(new RelevanceOptions { StreamVariants = false }).Planner.PlanAsync(Request(scorer, ["#BankRobbery"]), CancellationToken.None);
        Assert.Equal([new WeightedText("heist", 1f)], off.Plans[0].LexicalQuery);
        Assert.Null(off.Plans[0].CoreMatches);
        Assert.Equal(["a"], off.Plans[0].Lexical.Keys);
    }

    [Fact]
    public async Task The_plan_records_which_titles_name_the_tag()
    {
        var (planner, scorer, _) = Create();
        var plan = (await planner.PlanAsync(Request(scorer), CancellationToken.None)).Plans[0];

        Assert.Equal(["a"], plan.TitleMatches); // "The Heist"; the bank and vault films name no heist in the title
        Assert.True(plan.IsTitleMatch("a"));
        Assert.False(plan.IsTitleMatch("b"));
        Assert.Equal(1f, TagScoring.Features(plan, "a", new float[FakeEmbeddingScorer.Dimensions])[ScorePartNames.TitleMatch]);
    }

    [Fact]
    public async Task The_first_pass_ranks_by_the_hand_set_fusion_whatever_the_plan_scores_with()
    {
        var (planner, scorer, _) = Create();
        var inverted = new FusionModel { Weights = new Dictionary<string, double> { [ScorePartNames.SemanticZ] = -1, [ScorePartNames.TitleMatch] = -5 }, Source = "test" };
        var byDefault = (await planner.PlanAsync(Request(scorer) with { Options = new RelevanceOptions { FeedbackDocuments = 2 } }, CancellationToken.None)).Plans[0];
        var byInverted = (await planner.PlanAsync(Request(scorer) with { Options = new RelevanceOptions { FeedbackDocuments = 2 }, Fusion = inverted }, CancellationToken.None)).Plans[0];

        Assert.Equal(FusionModel.HandSet(new RelevanceOptions()).Weights, byDefault.Fusion.Weights);
        Assert.Same(inverted, byInverted.Fusion);
        Assert.Equal(byDefault.FeedbackDocuments, byInverted.FeedbackDocuments);
        Assert.Equal(byDefault.Hypothesis, byInverted.Hypothesis);
        Assert.Equal("a", byDefault.FeedbackDocuments[0]); // the only film that matches "heist"
    }

    [Fact]
    public async Task The_planner_embeds_the_sample_and_the_hits_once_and_caches_them_for_the_chunks()
    {
        var (planner, scorer, cache) = Create();
        var batch = await planner.PlanAsync(Request(scorer), CancellationToken.None);
        Assert.Equal(4, batch.Embedded); // a small catalog is its own sample
        Assert.Equal(4, cache.Count);
        Assert.Equal(4, batch.Plans[0].SampleSize);
        Assert.Equal(["This example is heist movies."], batch.Plans[0].Hypotheses);
        Assert.Equal(FeedbackMethod.Rocchio, batch.Plans[0].Feedback);
        Assert.Equal(4, batch.Plans[0].FeedbackDocuments.Count); // k = 10, but only 4 documents exist

        var again = await planner.PlanAsync(Request(scorer), CancellationToken.None);
        Assert.Equal(0, again.Embedded);
        Assert.Equal(4, again.CacheHits);
        Assert.Equal(batch.Plans[0].Hypothesis, again.Plans[0].Hypothesis);
        Assert.Equal(batch.Plans[0].Mean, again.Plans[0].Mean);
    }

    [Fact]
    public async Task With_the_fusion_off_and_no_feedback_the_plan_is_the_hypothesis_alone()
    {
        var (planner, scorer, cache) = Create(new RelevanceOptions { Fusion = false, Feedback = FeedbackMethod.Off });
        var batch = await planner.PlanAsync(Request(scorer), CancellationToken.None);
        Assert.Equal(0, batch.Embedded);
        Assert.Equal(0, cache.Count);
        Assert.Empty(batch.Plans[0].Lexical);
        Assert.True(batch.Plans[0].Fusion.ModelCalibration);
        Assert.Equal(["This example is heist movies."], scorer.Embedded);
    }

    [Fact]
    public async Task A_given_fusion_model_is_planned_with_instead_of_the_options()
    {
        var (planner, scorer, _) = Create();
        var learned = new FusionModel { Weights = new Dictionary<string, double> { [ScorePartNames.SemanticZ] = 0.5 }, Alpha = 1, Beta = -3, Source = "trained@2" };
        var plan = (await planner.PlanAsync(Request(scorer) with { Fusion = learned }, CancellationToken.None)).Plans[0];
        Assert.Same(learned, plan.Fusion);
    }
}
