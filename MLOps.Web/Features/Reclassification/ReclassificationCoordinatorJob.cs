using Hangfire;
using Hangfire.Server;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// The coordinator of a run (queue <c>default</c>; its Hangfire job id is the run id). It holds the
/// run lock (runs never overlap), gathers what <see cref="RunPlanner"/> needs and stores the plan,
/// has <see cref="ChunkDispatcher"/> enqueue one <see cref="ReclassificationChunkJob"/> per chunk,
/// watches the run (<see cref="RunMonitor"/>) and records it (<see cref="RunCompletion"/>). Everything
/// about a run lives in <see cref="IRunRepository"/>, so a coordinator re-queued after a crash resumes
/// the run where it was.
/// </summary>
public sealed class ReclassificationCoordinatorJob(
    IRunRepository runs,
    IRunLocks locks,
    ICatalogIndex index,
    IScorerProvider scorers,
    ITrendingReader trending,
    ITagPlanner planner,
    ChunkDispatcher dispatcher,
    RunMonitor monitor,
    RunCompletion completion,
    IOptions<ReclassificationOptions> options,
    TimeProvider time,
    ILogger<ReclassificationCoordinatorJob> logger,
    ITrainedVersions? trained = null)
{
    /// <summary>Coordinates one run. <paramref name="labels"/> null: the top trending tags.</summary>
    [JobDisplayName("Reclassify: {1}")]
    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [30, 120])]
    [ReclassificationStateFilter]
    public Task RunAsync(string[]? labels, string reason, PerformContext? context, CancellationToken cancellationToken) =>
        CoordinateAsync(context?.BackgroundJob.Id ?? throw new InvalidOperationException("A reclassification run is a Hangfire job."),
            labels, reason, resumeOnly: false, cancellationToken);

    /// <summary>
    /// Resumes run <paramref name="runId"/>, whose own job is gone (embedded job storage lives in
    /// memory, so a restart loses it): the same coordination under a new job id, finished chunks
    /// skipped. Only a run that has a plan is resumed; anything else is left as it is.
    /// </summary>
    [JobDisplayName("Resume reclassification run {0}")]
    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [30, 120])]
    [ReclassificationStateFilter]
    public Task ResumeAsync(string runId, PerformContext? context, CancellationToken cancellationToken) =>
        CoordinateAsync(runId, null, "resumed after a restart", resumeOnly: true, cancellationToken);

    private async Task CoordinateAsync(string runId, string[]? labels, string reason, bool resumeOnly, CancellationToken cancellationToken)
    {
        var o = options.Value;
        RunLock runLock;
        try
        {
            // A run that just finished still holds the lock until its coordinator's next progress
            // check: wait that long, so a run started right after another starts now, not after BusyRetryDelay.
            runLock = await locks.AcquireAsync(RunLockNames.Run, LockWait(o), cancellationToken);
        }
        catch (DistributedLockTimeoutException)
        {
            ReclassificationLog.Busy(logger, runId, o.BusyRetryDelay);
            throw new RunInProgressException(o.BusyRetryDelay);
        }

        await using (runLock)
        {
            if (resumeOnly && RunOutcome.NextStep(await runs.GetAsync(runId, cancellationToken)) != RunStep.Resume)
            {
                return;
            }

            await RunLockedAsync(runId, labels, reason, cancellationToken);
        }
    }

    /// <summary>How long a run waits for the previous one's lock: one progress interval (at most 10 s) plus a second.</summary>
    internal static TimeSpan LockWait(ReclassificationOptions o) =>
        TimeSpan.FromSeconds(Math.Min(o.ProgressInterval.TotalSeconds, 10) + 1);

    private async Task RunLockedAsync(string runId, string[]? labels, string reason, CancellationToken cancellationToken)
    {
        var state = await runs.GetAsync(runId, cancellationToken);
        RunPlan? plan;
        switch (RunOutcome.NextStep(state))
        {
            case RunStep.None:
                return;
            case RunStep.Resume:
                plan = state!.Plan!;
                var finished = (await runs.GetProgressAsync(runId, cancellationToken)).Finished.Count;
                ReclassificationLog.Resuming(logger, runId, finished, plan.ChunkCount);
                break;
            default:
                plan = await PlanOrRecordFailureAsync(runId, labels, reason, cancellationToken);
                if (plan is null)
                {
                    return;
                }

                break;
        }

        await dispatcher.EnsureAsync(plan, cancellationToken);
        await monitor.WatchAsync(plan, cancellationToken);
        await completion.TryCompleteAsync(plan, cancellationToken);
    }

    private async Task<RunPlan?> PlanOrRecordFailureAsync(string runId, string[]? labels, string reason, CancellationToken cancellationToken)
    {
        await runs.MarkPlanningAsync(runId, reason, time.GetUtcNow(), cancellationToken);
        try
        {
            return await PlanAsync(runId, labels, reason, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            ReclassificationLog.PlanningFailed(logger, ex, runId);
            await runs.FinishAsync(runId, RunOutcome.PlanningFailed(ex.Message), time.GetUtcNow(), cancellationToken);
            throw;
        }
    }

    /// <summary>
    /// Leases the active version once and, for an embedding model, plans every tag with the relevance
    /// pipeline (lexical evidence, hypothesis, sample statistics, feedback); a cross-encoder gets no tag
    /// plans and its chunks score with the model alone.
    /// </summary>
    private async Task<(ModelDescriptor Model, TagPlanBatch Scoring)> PlanTagsAsync(
        IReadOnlyList<RunTag> tags, IReadOnlyList<string> ids, ReclassificationOptions o, CancellationToken cancellationToken)
    {
        using var lease = await scorers.AcquireAsync(null, cancellationToken);
        if (lease.Scorer is not IEmbeddingScorer embedding)
        {
            return (lease.Scorer.Model, new TagPlanBatch([], 0, 0, 0));
        }

        // A trained version (its fusion.json) scores with its own fusion weights; any other with the Relevance options'.
        var request = new TagPlanRequest(embedding, [.. tags.Select(t => new TagToPlan(t.Tag, t.Label, t.Field, t.Variants))], ids, o.HypothesisTemplate)
        {
            Fusion = trained?.Find(embedding.Model.Id)?.Fusion,
        };
        return (embedding.Model, await planner.PlanAsync(request, cancellationToken));
    }

    /// <summary>Gathers the planner's inputs and stores the plan; null when there is nothing to score (the run is recorded skipped).</summary>
    private async Task<RunPlan?> PlanAsync(string runId, string[]? labels, string reason, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var snapshot = labels is { Length: > 0 } ? null
            : await trending.GetTopAsync(new TrendingQuery(o.TopTags) { Rank = o.TrendingRank }, cancellationToken);
        var tags = RunPlanner.SelectTags(labels, snapshot, o.TopTags);
        var now = time.GetUtcNow();
        if (tags.Count == 0)
        {
            await runs.FinishAsync(runId, RunOutcome.Skipped(RunPlanner.NoTags), now, cancellationToken);
            ReclassificationLog.Skipped(logger, runId, RunPlanner.NoTags);
            return null;
        }

        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            ids.Add(id);
        }

        // The model version is fixed here, once: every chunk leases this id even if another is promoted meanwhile.
        var (model, scoring) = await PlanTagsAsync(tags, ids, o, cancellationToken);
        var planned = RunPlanner.Plan(new RunPlanInputs
        {
            RunId = runId,
            Reason = reason,
            Tags = tags,
            ModelId = model.Id,
            ModelSha256 = model.Sha256,
            DocumentIds = ids,
            FieldTimes = await runs.GetFieldTimesAsync(cancellationToken),
            Now = now,
            Options = o,
        });
        var plan = planned.Plan with
        {
            Scoring = [.. scoring.Plans.Select(TagPlanSummary.Of)],
            PlanEmbedded = scoring.Embedded,
            PlanCacheHits = scoring.CacheHits,
            PlanMilliseconds = scoring.Milliseconds,
        };
        await runs.SavePlanAsync(plan, planned.Chunks, scoring.Plans, cancellationToken);
        var tagList = string.Join(", ", tags.Select(t => t.Tag));
        ReclassificationLog.Planned(logger, runId, tagList, model.Id, plan.TotalDocuments, plan.ChunkCount, reason);
        return plan;
    }
}
