using MLOps.Web.Features.Reclassification;

namespace MLOps.Web.Tests.Unit.Reclassification;

public sealed class RunOutcomeTests
{
    /// <summary>A planned run of <paramref name="chunks"/> chunks of 5 documents, one tag (shared with <see cref="RunSplitsTests"/>).</summary>
    internal static RunPlan Plan(int chunks, double planMilliseconds = 0) => new()
    {
        RunId = "r",
        Reason = "test",
        Tags = ReclassificationLabels.FromLabels(["christmas"]),
        ModelId = "m@1",
        ModelSha256 = "sha",
        ChunkSizes = [.. Enumerable.Repeat(5, chunks)],
        TotalDocuments = 5L * chunks,
        RetryAttempts = 3,
        StartedAt = DateTimeOffset.UnixEpoch,
        PlanMilliseconds = planMilliseconds,
    };

    [Fact]
    public void A_run_with_an_unfinished_chunk_is_running()
    {
        var outcome = RunOutcome.OfChunks(3, 3, done: [0], failed: [1]);

        Assert.Equal(RunStatus.Running, outcome.Status);
        Assert.False(outcome.IsFinished);
        Assert.False(outcome.AllChunksFinished);
        Assert.Equal((3, 1, 1, 2), (outcome.Chunks, outcome.ChunksDone, outcome.ChunksFailed, outcome.ChunksFinished));
        Assert.Null(outcome.Error);
    }

    [Fact]
    public void Every_chunk_done_is_succeeded_and_forgets_the_removed_fields()
    {
        var outcome = RunOutcome.OfChunks(Plan(2), new RunProgress { Done = new HashSet<int> { 0, 1 } });

        Assert.Equal(RunStatus.Succeeded, outcome.Status);
        Assert.True(outcome.IsFinished);
        Assert.True(outcome.WritesFieldTimes);
        Assert.True(outcome.ForgetsRemovedFields);
        Assert.Null(outcome.Error);
    }

    [Fact]
    public void Some_chunks_failed_is_completed_with_failures_listing_them_and_keeping_the_removed_fields()
    {
        var outcome = RunOutcome.OfChunks(4, 3, done: [0, 2], failed: [3, 1]);

        Assert.Equal(RunStatus.CompletedWithFailures, outcome.Status);
        Assert.True(outcome.IsFinished);
        Assert.Equal("2 chunk(s) failed after 3 retries: 1, 3", outcome.Error);
        Assert.True(outcome.WritesFieldTimes);
        Assert.False(outcome.ForgetsRemovedFields);
    }

    [Fact]
    public void Every_chunk_failed_is_failed_and_writes_no_field_time()
    {
        var outcome = RunOutcome.OfChunks(2, 0, done: [], failed: [0, 1]);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.False(outcome.WritesFieldTimes);
        Assert.Equal("2 chunk(s) failed after 0 retries: 0, 1", outcome.Error);
    }

    [Fact]
    public void A_chunk_done_after_it_was_listed_failed_counts_once_as_done_and_unknown_chunks_not_at_all()
    {
        var outcome = RunOutcome.OfChunks(2, 3, done: [0, 1, 7], failed: [1, -1, 9]);

        Assert.Equal(RunStatus.Succeeded, outcome.Status);
        Assert.Equal((2, 0, 2), (outcome.ChunksDone, outcome.ChunksFailed, outcome.ChunksFinished));
    }

    [Fact]
    public void A_planned_run_over_an_empty_catalog_is_succeeded_at_once()
    {
        var outcome = RunOutcome.OfChunks(0, 3, done: [], failed: []);

        Assert.Equal(RunStatus.Succeeded, outcome.Status);
        Assert.True(outcome.AllChunksFinished);
        Assert.True(outcome.WritesFieldTimes);
    }

    [Fact]
    public void No_tags_is_skipped_and_a_planning_error_is_failed_both_finished()
    {
        var skipped = RunOutcome.Skipped("no trending tags and no labels");
        var failed = RunOutcome.PlanningFailed("index unreachable");

        Assert.Equal((RunStatus.Skipped, "no trending tags and no labels", true), (skipped.Status, skipped.Error, skipped.IsFinished));
        Assert.Equal((RunStatus.Failed, "index unreachable", true), (failed.Status, failed.Error, failed.IsFinished));
    }

    [Theory]
    [InlineData(RunStatus.Succeeded, true)]
    [InlineData(RunStatus.CompletedWithFailures, true)]
    [InlineData(RunStatus.Failed, true)]
    [InlineData(RunStatus.Skipped, true)]
    [InlineData(RunStatus.Pending, false)]
    [InlineData(RunStatus.Planning, false)]
    [InlineData(RunStatus.Running, false)]
    [InlineData(null, false)]
    [InlineData("unknown", false)]
    public void Finished_statuses_are_the_four_final_ones(string? status, bool finished)
    {
        Assert.Equal(finished, RunOutcome.IsFinishedStatus(status));
        Assert.Equal(finished, RunStatus.IsFinished(status));
    }

    [Fact]
    public void The_coordinator_plans_a_new_or_cut_off_run_resumes_a_running_one_and_leaves_a_finished_one()
    {
        static RunState State(string status, bool planned) =>
            new() { RunId = "r", Status = status, Plan = planned ? Plan(2) : null };

        Assert.Equal(RunStep.Plan, RunOutcome.NextStep(null));
        Assert.Equal(RunStep.Plan, RunOutcome.NextStep(State(RunStatus.Planning, planned: false)));
        Assert.Equal(RunStep.Resume, RunOutcome.NextStep(State(RunStatus.Running, planned: true)));
        Assert.Equal(RunStep.Plan, RunOutcome.NextStep(State(RunStatus.Failed, planned: false))); // planning failed: the retried job plans again
        Assert.Equal(RunStep.None, RunOutcome.NextStep(State(RunStatus.Failed, planned: true)));
        Assert.Equal(RunStep.None, RunOutcome.NextStep(State(RunStatus.Succeeded, planned: true)));
        Assert.Equal(RunStep.None, RunOutcome.NextStep(State(RunStatus.Skipped, planned: false)));
    }
}
