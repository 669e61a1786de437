namespace MLOps.Web.Features.Reclassification;

/// <summary>Sums the finished chunks' <see cref="ChunkPhases"/> into a run's <see cref="RunSplit"/>.</summary>
public static class RunSplits
{
    /// <summary>The split of a run <paramref name="durationSeconds"/> long so far; null when no finished chunk has timed phases.</summary>
    public static RunSplit? Of(RunPlan plan, RunProgress progress, double durationSeconds)
    {
        var chunks = progress.Done.Where(c => c < plan.ChunkCount)
            .Select(c => progress.Stats.GetValueOrDefault(c))
            .Where(s => s?.Phases is not null)
            .Select(s => s!)
            .ToList();
        if (chunks.Count == 0)
        {
            return null;
        }

        static double Seconds(double milliseconds) => Math.Round(milliseconds / 1000, 3);
        var planning = plan.PlanMilliseconds;
        var own = chunks.Sum(s => s.Milliseconds);
        return new RunSplit(
            Plan: Seconds(planning),
            Read: Seconds(chunks.Sum(s => s.Phases!.Read)),
            Lease: Seconds(chunks.Sum(s => s.Phases!.Lease)),
            Embed: Seconds(chunks.Sum(s => s.Phases!.Embed)),
            Cache: Seconds(chunks.Sum(s => s.Phases!.Cache)),
            Score: Seconds(chunks.Sum(s => s.Phases!.Score)),
            Write: Seconds(chunks.Sum(s => s.Phases!.Write)),
            Chunks: Seconds(own),
            OutsideChunks: Math.Round(durationSeconds - Seconds(planning) - Seconds(own), 3));
    }
}
