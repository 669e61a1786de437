using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Tests.Support.Fakes;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Relevance;

/// <summary>
/// Each part of the tag-scoring pipeline changes the ranking of <see cref="RelevanceCatalog"/> as it
/// should, with the real MiniLM on a real Lucene index: the fusion lifts the film that names sharks
/// (even one about something else), feedback lifts the film about sharks that never names them, the
/// template ensemble ranks by the mean of its templates' cosines; switched off it is today's cosine,
/// and scoring chunk by chunk from the plan gives the whole-catalog scores.
/// </summary>
public sealed class RealModelRelevanceTests(RelevanceCatalog catalog, ITestOutputHelper output) : IClassFixture<RelevanceCatalog>
{
    private const string Tag = "sharks";
    private static readonly TagToPlan Sharks = new(Tag, Tag, "classification_sharks");

    private static readonly string[] Templates =
        ["This example is {}.", "A movie about {}.", "{}", "This film is about {}.", "The story involves {}."];

    private sealed record Ranking(TagPlan Plan, IReadOnlyList<string> Order, IReadOnlyDictionary<string, TagScore> Scores)
    {
        public int RankOf(string id) => Order.ToList().IndexOf(id) + 1;

        public float Z(string id) => Scores[id].Parts[ScorePartNames.SemanticZ];
    }

    private static RelevanceOptions Options(Action<RelevanceOptions>? change = null)
    {
        var o = new RelevanceOptions();
        change?.Invoke(o);
        return o;
    }

    private async Task<Ranking> RankAsync(RelevanceOptions options, IEmbeddingCache? cache = null, string label = "")
    {
        cache ??= new MemoryEmbeddingCache();
        var planner = new TagPlanner(catalog.Index, cache, Microsoft.Extensions.Options.Options.Create(options), NullLogger<TagPlanner>.Instance);
        var plan = (await planner.PlanAsync(new TagPlanRequest(catalog.Scorer, [Sharks], catalog.Ids, null), CancellationToken.None)).Plans[0];
        var docs = await catalog.DocumentsAsync();
        var vectors = await CachedEmbeddings.GetAsync(catalog.Scorer, cache, [.. docs.Select(d => d.ClassificationText)], CancellationToken.None);
        var scores = docs.Select((d, i) => (d.Id, Score: TagScoring.Score(plan, d.Id, vectors.Vectors[i], catalog.Scorer)))
            .ToDictionary(x => x.Id, x => x.Score, StringComparer.Ordinal);
        var order = scores.OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToList();
        output.WriteLine($"{label}: {string.Join(", ", order.Take(12).Select(id => $"{id} {scores[id].Score:F3}"))}");
        return new Ranking(plan, order, scores);
    }

    [Fact]
    public async Task The_fusion_lifts_the_films_that_name_the_tag_the_loan_shark_one_included()
    {
        var cosine = await RankAsync(Options(o => { o.Fusion = false; o.Feedback = FeedbackMethod.Off; }), label: "cosine");
        var fused = await RankAsync(Options(o => o.Feedback = FeedbackMethod.Off), label: "fusion");

        // The lexical evidence: the five shark films and the loan shark film match, the unnamed one does not.
        Assert.Equal(RelevanceCatalog.SharkFilms.Append(RelevanceCatalog.MentionsNotAbout).Order(StringComparer.Ordinal), fused.Plan.Lexical.Keys.Order(StringComparer.Ordinal));
        Assert.True(fused.RankOf(RelevanceCatalog.MentionsNotAbout) < cosine.RankOf(RelevanceCatalog.MentionsNotAbout),
            $"loan shark: rank {cosine.RankOf(RelevanceCatalog.MentionsNotAbout)} by cosine, {fused.RankOf(RelevanceCatalog.MentionsNotAbout)} fused");
        Assert.Equal(RelevanceCatalog.SharkFilms.Order(StringComparer.Ordinal), fused.Order.Take(5).Order(StringComparer.Ordinal));

        // A match is worth 2 standard deviations of cosine: every film that names sharks now ranks above the unnamed one.
        Assert.True(fused.RankOf(RelevanceCatalog.AboutUnnamed) > fused.RankOf(RelevanceCatalog.MentionsNotAbout));
        Assert.Equal(1f, fused.Scores["cage"].Parts[ScorePartNames.Match]);
        Assert.Equal(0f, fused.Scores[RelevanceCatalog.AboutUnnamed].Parts[ScorePartNames.Match]);
    }

    [Fact]
    public async Task Feedback_lifts_the_film_about_sharks_that_never_names_them_and_lowers_the_loan_shark_film()
    {
        // Feedback assumes the first pass's top k are about the tag; this catalog has five shark films, so k = 5
        // (with k = 10 the loan shark film itself would be among the documents the hypothesis learns from).
        var before = await RankAsync(Options(o => o.Feedback = FeedbackMethod.Off), label: "no feedback");
        var after = await RankAsync(Options(o => o.FeedbackDocuments = 5), label: "Rocchio");

        // The first pass's most confident documents are the shark films; the hypothesis moves towards them.
        Assert.Equal(RelevanceCatalog.SharkFilms.Order(StringComparer.Ordinal), after.Plan.FeedbackDocuments.Order(StringComparer.Ordinal));
        output.WriteLine($"z unnamed {before.Z(RelevanceCatalog.AboutUnnamed):F2} -> {after.Z(RelevanceCatalog.AboutUnnamed):F2}; z loan shark {before.Z(RelevanceCatalog.MentionsNotAbout):F2} -> {after.Z(RelevanceCatalog.MentionsNotAbout):F2}");
        Assert.True(after.Z(RelevanceCatalog.AboutUnnamed) > before.Z(RelevanceCatalog.AboutUnnamed));
        Assert.True(after.Z(RelevanceCatalog.MentionsNotAbout) < before.Z(RelevanceCatalog.MentionsNotAbout));
        Assert.True(after.Scores[RelevanceCatalog.AboutUnnamed].Score > before.Scores[RelevanceCatalog.AboutUnnamed].Score);
        Assert.True(after.Scores[RelevanceCatalog.MentionsNotAbout].Score < before.Scores[RelevanceCatalog.MentionsNotAbout].Score);
        Assert.True(RelevanceCatalog.SharkFilms.Min(id => after.Scores[id].Score) > RelevanceCatalog.SharkFilms.Min(id => before.Scores[id].Score));
    }

    [Fact]
    public async Task Self_training_separates_the_films_that_name_sharks_from_the_rest_the_loan_shark_film_falls()
    {
        var before = await RankAsync(Options(o => o.Feedback = FeedbackMethod.Off), label: "no feedback");
        var after = await RankAsync(Options(o => { o.Feedback = FeedbackMethod.SelfTraining; o.FeedbackDocuments = 5; }), label: "self-training");

        // It learns what sets the five top documents apart from the sample: the shark films rise and the loan
        // shark film falls. Unlike Rocchio it does not lift the unnamed film, which shares their topic but not
        // their wording (one reason Rocchio stays the default; README, "Relevance").
        output.WriteLine($"z unnamed {before.Z(RelevanceCatalog.AboutUnnamed):F2} -> {after.Z(RelevanceCatalog.AboutUnnamed):F2}; z loan shark {before.Z(RelevanceCatalog.MentionsNotAbout):F2} -> {after.Z(RelevanceCatalog.MentionsNotAbout):F2}");
        Assert.True(after.Z(RelevanceCatalog.MentionsNotAbout) < before.Z(RelevanceCatalog.MentionsNotAbout));
        Assert.True(after.Scores[RelevanceCatalog.MentionsNotAbout].Score < before.Scores[RelevanceCatalog.MentionsNotAbout].Score);
        Assert.True(RelevanceCatalog.SharkFilms.Min(id => after.Scores[id].Score) > RelevanceCatalog.SharkFilms.Min(id => before.Scores[id].Score));
        Assert.Equal(RelevanceCatalog.SharkFilms.Order(StringComparer.Ordinal), after.Order.Take(5).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_template_ensemble_ranks_by_the_mean_of_its_templates_cosines_and_differs_from_one_template()
    {
        var single = await RankAsync(Options(o => { o.Fusion = false; o.Feedback = FeedbackMethod.Off; }), label: "one template");
        var ensemble = await RankAsync(Options(o => { o.Fusion = false; o.Feedback = FeedbackMethod.Off; o.Templates = Templates; }), label: "ensemble");
        Assert.Equal(Templates.Length, ensemble.Plan.Hypotheses.Count);

        var perTemplate = new List<Ranking>();
        foreach (var template in Templates)
        {
            perTemplate.Add(await RankAsync(Options(o => { o.Fusion = false; o.Feedback = FeedbackMethod.Off; o.Templates = [template]; }), label: template));
        }

        var byMean = catalog.Ids
            .OrderByDescending(id => perTemplate.Average(r => r.Scores[id].Parts[ScorePartNames.Cosine]))
            .ThenBy(id => id, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(byMean, ensemble.Order);
        Assert.NotEqual(single.Order, ensemble.Order);
    }

    [Fact]
    public async Task Switched_off_the_pipeline_writes_todays_cosine_score_exactly()
    {
        var docs = await catalog.DocumentsAsync();
        var tags = new[] { new RunTag(Tag, Tag, "classification_sharks") };
        var today = await new ChunkScorer(new NoEmbeddingCache()).ScoreAsync(catalog.Scorer, docs, tags, null, null, CancellationToken.None);
        var off = Options(o => { o.Fusion = false; o.Feedback = FeedbackMethod.Off; });
        var planner = new TagPlanner(catalog.Index, new NoEmbeddingCache(), Microsoft.Extensions.Options.Options.Create(off), NullLogger<TagPlanner>.Instance);
        var plans = (await planner.PlanAsync(new TagPlanRequest(catalog.Scorer, [Sharks], catalog.Ids, null), CancellationToken.None)).Plans;
        var planned = await new ChunkScorer(new NoEmbeddingCache()).ScoreAsync(catalog.Scorer, docs, tags, null, plans, CancellationToken.None);

        Assert.Empty(plans[0].Lexical); // nothing searched, nothing sampled
        for (var i = 0; i < docs.Count; i++)
        {
            Assert.Equal(today.Scores[i][0], planned.Scores[i][0]);
        }
    }

    [Fact]
    public async Task Scoring_chunk_by_chunk_from_the_stored_plan_gives_the_whole_catalog_scores_and_hits_the_cache()
    {
        var cache = new MemoryEmbeddingCache();
        var whole = await RankAsync(Options(), cache, "default");
        var docs = await catalog.DocumentsAsync();
        var tags = new[] { new RunTag(Tag, Tag, "classification_sharks") };
        var stored = System.Text.Json.JsonSerializer.Deserialize<TagPlan>(System.Text.Json.JsonSerializer.Serialize(whole.Plan, Json), Json)!;
        Assert.Equal(whole.Plan.Hypothesis, stored.Hypothesis);

        var chunked = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var chunk in docs.Chunk(7))
        {
            var scored = await new ChunkScorer(cache).ScoreAsync(catalog.Scorer, chunk, tags, null, [stored], CancellationToken.None);
            Assert.Equal(0, scored.Embedded); // the planner embedded and cached every document (a small catalog's sample is all of it)
            for (var i = 0; i < chunk.Length; i++)
            {
                chunked[chunk[i].Id] = scored.Scores[i][0];
                Assert.Equal(whole.Scores[chunk[i].Id].Parts, scored.Parts![i][0]);
            }
        }

        Assert.All(catalog.Ids, id => Assert.Equal(whole.Scores[id].Score, chunked[id]));
        Assert.Equal(1f, TensorPrimitives.Norm(stored.Hypothesis), 4);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
}
