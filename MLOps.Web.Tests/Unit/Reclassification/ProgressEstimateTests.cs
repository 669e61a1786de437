using MLOps.Web.Features.Reclassification;

namespace MLOps.Web.Tests.Unit.Reclassification;

public sealed class ProgressEstimateTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 20, 3, 0, 0, TimeSpan.Zero);

    private static RunPlan Plan(params int[] sizes) => new()
    {
        RunId = "r",
        Reason = "test",
        Tags = ReclassificationLabels.FromLabels(["christmas"]),
        ModelId = "m@1",
        ModelSha256 = "sha",
        ChunkSizes = sizes,
        TotalDocuments = sizes.Sum(),
        RetryAttempts = 0,
        StartedAt = Start,
    };

    [Fact]
    public void Percent_and_eta_follow_the_documents_of_the_finished_chunks()
    {
        var plan = Plan(10, 10, 5, 5);

        var estimate = ProgressEstimate.Of(plan, new HashSet<int> { 0, 2 }, Start.AddSeconds(30));

        Assert.Equal(50, estimate.Percent);
        Assert.Equal(15, estimate.DocumentsFinished);
        Assert.Equal(2, estimate.ChunksFinished);
        Assert.Equal(TimeSpan.FromSeconds(30), estimate.Eta);
        Assert.Equal("50.0% (15/30 documents, 2/4 chunks), ETA 00:00:30", estimate.Describe(plan));
    }

    [Fact]
    public void Before_any_chunk_the_eta_is_unknown_and_an_empty_plan_is_complete()
    {
        var none = ProgressEstimate.Of(Plan(10), new HashSet<int>(), Start.AddSeconds(5));
        Assert.Null(none.Eta);
        Assert.Equal("unknown", none.EtaText);
        Assert.Equal(100, ProgressEstimate.Of(Plan(), new HashSet<int>(), Start).Percent);
    }

    [Fact]
    public void The_final_text_gives_status_documents_time_and_rate()
    {
        Assert.Equal("100% (succeeded: 50 documents in 10.0 s, 5.0 docs/s)", ProgressEstimate.Finished(RunStatus.Succeeded, 50, 10));
    }
}
