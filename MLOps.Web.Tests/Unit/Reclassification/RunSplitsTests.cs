using MLOps.Web.Features.Reclassification;

namespace MLOps.Web.Tests.Unit.Reclassification;

public sealed class RunSplitsTests
{
    private static RunPlan Plan(int chunks, double planMilliseconds) => RunOutcomeTests.Plan(chunks, planMilliseconds);

    private static ChunkStats Stats(double milliseconds, ChunkPhases? phases) => new(5, 5, 0, milliseconds, "s") { Phases = phases };

    [Fact]
    public void The_phases_of_the_finished_chunks_are_summed_and_the_rest_of_the_wall_time_is_outside_the_chunks()
    {
        var progress = new RunProgress
        {
            Done = new HashSet<int> { 0, 1 },
            Stats = new Dictionary<int, ChunkStats>
            {
                [0] = Stats(1000, new ChunkPhases(Read: 10, Lease: 5, Embed: 800, Cache: 20, Score: 15, Write: 100)),
                [1] = Stats(2000, new ChunkPhases(Read: 30, Lease: 0, Embed: 1700, Cache: 40, Score: 25, Write: 150)),
                [2] = Stats(9999, new ChunkPhases(9999, 9999, 9999, 9999, 9999, 9999)), // not done: a failed attempt's leftovers
            },
        };

        var split = RunSplits.Of(Plan(3, planMilliseconds: 500), progress, durationSeconds: 4.0);

        Assert.NotNull(split);
        Assert.Equal(new RunSplit(Plan: 0.5, Read: 0.04, Lease: 0.005, Embed: 2.5, Cache: 0.06, Score: 0.04, Write: 0.25, Chunks: 3.0, OutsideChunks: 0.5), split);
    }

    [Fact]
    public void A_run_whose_chunks_were_recorded_without_phases_has_no_split()
    {
        var progress = new RunProgress
        {
            Done = new HashSet<int> { 0 },
            Stats = new Dictionary<int, ChunkStats> { [0] = Stats(1000, null) },
        };

        Assert.Null(RunSplits.Of(Plan(1, 0), progress, 1.0));
        Assert.Null(RunSplits.Of(Plan(1, 0), RunProgress.Empty, 1.0));
    }
}
