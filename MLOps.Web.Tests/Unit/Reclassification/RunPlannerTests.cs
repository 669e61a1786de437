using MLOps.Web.Features.Reclassification;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Tests.Unit.Reclassification;

public sealed class RunPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 20, 3, 0, 0, TimeSpan.Zero);

    private static TrendingSnapshot Trending(params string[] displays) =>
        new([.. displays.Select((d, i) => new TrendingTag(d.ToLowerInvariant(), d, 100 - i))], Now.AddMinutes(-30), Now, "test");

    private static RunPlanInputs Inputs(
        IReadOnlyList<RunTag>? tags = null, int documents = 7, int chunkSize = 3,
        IReadOnlyDictionary<string, DateTimeOffset>? fieldTimes = null, ReclassificationOptions? options = null)
    {
        var o = options ?? new ReclassificationOptions();
        o.ChunkSize = chunkSize;
        return new RunPlanInputs
        {
            RunId = "run-1",
            Reason = "test",
            Tags = tags ?? ReclassificationLabels.FromLabels(["christmas"]),
            ModelId = "minilm@1",
            ModelSha256 = new string('a', 64),
            DocumentIds = [.. Enumerable.Range(0, documents).Select(i => $"m{i:D4}")],
            FieldTimes = fieldTimes ?? new Dictionary<string, DateTimeOffset>(),
            Now = Now,
            Options = o,
        };
    }

    [Fact]
    public void Without_labels_the_top_trending_tags_are_taken_label_from_the_display_form_and_field_from_the_key()
    {
        var tags = RunPlanner.SelectTags(null, Trending("ChristmasMovies", "WorldCup", "Halloween", "Ocean"), topTags: 3);

        Assert.Equal(["christmasmovies", "worldcup", "halloween"], tags.Select(t => t.Tag));
        Assert.Equal("christmas movies", tags[0].Label);
        Assert.Equal("classification_christmasmovies", tags[0].Field);
    }

    [Fact]
    public void Explicit_labels_win_over_the_trending_tags_and_repeat_fields_once()
    {
        var tags = RunPlanner.SelectTags(["#WorldCup", "christmas", "worldcup"], Trending("Ocean"), topTags: 5);

        Assert.Equal(["classification_worldcup", "classification_christmas"], tags.Select(t => t.Field));
    }

    [Fact]
    public void No_labels_and_no_trending_tags_select_nothing()
    {
        Assert.Empty(RunPlanner.SelectTags(null, Trending(), topTags: 5));
        Assert.Empty(RunPlanner.SelectTags([], null, topTags: 5));
    }

    [Fact]
    public void Documents_are_cut_into_chunks_of_the_chunk_size_in_scan_order_the_last_one_holding_the_rest()
    {
        var planned = RunPlanner.Plan(Inputs(documents: 7, chunkSize: 3));

        Assert.Equal([3, 3, 1], planned.Plan.ChunkSizes);
        Assert.Equal(3, planned.Plan.ChunkCount);
        Assert.Equal(7, planned.Plan.TotalDocuments);
        Assert.Equal(["m0000", "m0001", "m0002"], planned.Chunks[0]);
        Assert.Equal(["m0006"], planned.Chunks[2]);
    }

    [Fact]
    public void An_empty_catalog_plans_no_chunk()
    {
        var planned = RunPlanner.Plan(Inputs(documents: 0));

        Assert.Empty(planned.Chunks);
        Assert.Empty(planned.Plan.ChunkSizes);
        Assert.Equal(0, planned.Plan.TotalDocuments);
    }

    [Fact]
    public void The_plan_fixes_model_tags_time_hypothesis_and_retry_policy()
    {
        var options = new ReclassificationOptions { RetryAttempts = 4, RetryDelaysSeconds = [1, 2], HypothesisTemplate = "About {}." };
        var tags = ReclassificationLabels.FromLabels(["christmas", "ocean"]);

        var plan = RunPlanner.Plan(Inputs(tags: tags, options: options)).Plan;

        Assert.Equal("run-1", plan.RunId);
        Assert.Equal("test", plan.Reason);
        Assert.Equal(tags, plan.Tags);
        Assert.Equal("minilm@1", plan.ModelId);
        Assert.Equal(new string('a', 64), plan.ModelSha256);
        Assert.Equal("About {}.", plan.HypothesisTemplate);
        Assert.Equal(4, plan.RetryAttempts);
        Assert.Equal([1, 2], plan.RetryDelaysSeconds);
        Assert.Equal(Now, plan.StartedAt);
    }

    [Fact]
    public void Fields_that_left_the_tag_set_are_removed_once_past_the_retention_and_kept_before()
    {
        var times = new Dictionary<string, DateTimeOffset>
        {
            ["classification_christmas"] = Now.AddDays(-30), // still a tag: never removed
            ["classification_worldcup"] = Now.AddDays(-7), // exactly the retention: removed
            ["classification_halloween"] = Now.AddDays(-8),
            ["classification_ocean"] = Now.AddDays(-3), // within the retention: kept
        };

        var plan = RunPlanner.Plan(Inputs(fieldTimes: times, options: new ReclassificationOptions { FieldRetention = TimeSpan.FromDays(7) })).Plan;

        Assert.Equal(["classification_halloween", "classification_worldcup"], plan.RemoveFields);
    }

    [Fact]
    public void A_chunk_size_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RunPlanner.Chunk(["m1"], 0));
    }
}
