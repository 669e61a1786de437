using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// The coordinator's watch over a running run: every <see cref="ReclassificationOptions.ProgressInterval"/>
/// one read of the run's progress, a progress text and log line when the percentage moved, and every
/// <see cref="ReclassificationOptions.ChunkCheckInterval"/> a check that each unfinished chunk still has
/// a live job. Returns once every chunk is done or failed, or the run was recorded finished.
/// </summary>
public sealed class RunMonitor(
    IRunRepository runs,
    ChunkDispatcher dispatcher,
    DashboardProgress dashboard,
    IOptions<ReclassificationOptions> options,
    TimeProvider time,
    ILogger<RunMonitor> logger)
{
    public async Task WatchAsync(RunPlan plan, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var watch = new Watch(Stopwatch.GetTimestamp(), -1.0);
        while (true)
        {
            try
            {
                if (await TickAsync(plan, watch, cancellationToken))
                {
                    return;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                ReclassificationLog.MonitorFailed(logger, ex, plan.RunId);
            }

            await Task.Delay(o.ProgressInterval, cancellationToken);
        }
    }

    /// <summary>One look at the run; true when there is nothing left to watch.</summary>
    private async Task<bool> TickAsync(RunPlan plan, Watch watch, CancellationToken cancellationToken)
    {
        var progress = await runs.GetProgressAsync(plan.RunId, cancellationToken);
        if (RunOutcome.IsFinishedStatus(progress.Status) || RunOutcome.OfChunks(plan, progress).AllChunksFinished)
        {
            return true; // the final progress text is written when the run is recorded
        }

        var estimate = ProgressEstimate.Of(plan, progress.Finished, time.GetUtcNow());
        if (Math.Abs(estimate.Percent - watch.LastPercent) > 0.001)
        {
            watch.LastPercent = estimate.Percent;
            dashboard.Show(plan.RunId, estimate.Describe(plan));
            ReclassificationLog.Progress(logger, plan.RunId, estimate.Percent, estimate.DocumentsFinished, plan.TotalDocuments,
                estimate.ChunksFinished, plan.ChunkCount, estimate.EtaText);
        }

        if (Stopwatch.GetElapsedTime(watch.LastCheck) > options.Value.ChunkCheckInterval)
        {
            await dispatcher.EnsureAsync(plan, cancellationToken);
            watch.LastCheck = Stopwatch.GetTimestamp();
        }

        return false;
    }

    private sealed class Watch(long lastCheck, double lastPercent)
    {
        public long LastCheck { get; set; } = lastCheck;
        public double LastPercent { get; set; } = lastPercent;
    }
}
