using Hangfire;
using Hangfire.Storage;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Builds the run views of <c>GET /api/reclassify/runs</c> from the run repository.</summary>
public sealed class RunHistory(IRunRepository runs, JobStorage storage, TimeProvider time)
{
    public async Task<IReadOnlyList<ReclassificationRun>> ListAsync(CancellationToken cancellationToken)
    {
        var views = new List<ReclassificationRun>();
        foreach (var state in await runs.ListAsync(cancellationToken))
        {
            views.Add(await ViewAsync(state, cancellationToken));
        }

        return views;
    }

    /// <summary>The run, a pending view when its job is queued but not started, or null when unknown.</summary>
    public async Task<ReclassificationRun?> GetAsync(string runId, CancellationToken cancellationToken) =>
        await runs.GetAsync(runId, cancellationToken) is { } state ? await ViewAsync(state, cancellationToken) : Pending(runId);

    private async Task<ReclassificationRun> ViewAsync(RunState state, CancellationToken cancellationToken) =>
        state.Plan is { } plan ? Planned(state, plan, await runs.GetProgressAsync(state.RunId, cancellationToken)) : Unplanned(state);

    /// <summary>A run before its plan was stored: planning, skipped, or failed while planning.</summary>
    private static ReclassificationRun Unplanned(RunState state) => new()
    {
        Id = state.RunId,
        Status = state.Status,
        Reason = state.Reason,
        CreatedAt = state.CreatedAt,
        FinishedAt = state.FinishedAt,
        Error = state.Error,
        DashboardUrl = ReclassificationTrigger.DashboardUrl(state.RunId),
    };

    private ReclassificationRun Planned(RunState state, RunPlan plan, RunProgress progress)
    {
        var outcome = RunOutcome.OfChunks(plan, progress);
        var estimate = ProgressEstimate.Of(plan, progress.Finished, state.FinishedAt ?? time.GetUtcNow());
        var duration = estimate.Elapsed.TotalSeconds;
        var docsDone = progress.Done.Where(c => c < plan.ChunkCount).Sum(c => progress.Stats.TryGetValue(c, out var s) ? (long)s.Documents : 0);
        double? eta = RunOutcome.IsFinishedStatus(state.Status) ? 0 : estimate.Eta?.TotalSeconds;
        return new ReclassificationRun
        {
            Id = state.RunId,
            Status = state.Status,
            Reason = plan.Reason,
            Tags = [.. plan.Tags.Select(t => t.Tag)],
            Fields = [.. plan.Tags.Select(t => t.Field)],
            Scoring = plan.Scoring,
            PlanMilliseconds = plan.Scoring.Count > 0 ? Math.Round(plan.PlanMilliseconds, 1) : null,
            Split = RunSplits.Of(plan, progress, duration),
            TagFields = plan.Tags,
            Model = plan.ModelId,
            Documents = plan.TotalDocuments,
            DocumentsDone = docsDone,
            Chunks = plan.ChunkCount,
            ChunksDone = outcome.ChunksDone,
            FailedChunks = [.. progress.Failed.Where(c => !progress.Done.Contains(c)).Order()
                .Select(c => new FailedChunk(c, state.ChunkJobs.GetValueOrDefault(c), progress.Errors.GetValueOrDefault(c)))],
            DocumentsEmbedded = progress.Stats.Values.Sum(s => (long)s.Embedded),
            PlanDocumentsEmbedded = plan.PlanEmbedded,
            PlanEmbeddingCacheHits = plan.PlanCacheHits,
            EmbeddingCacheHits = progress.Stats.Values.Sum(s => (long)s.CacheHits),
            RemovedFields = plan.RemoveFields,
            CreatedAt = state.CreatedAt,
            StartedAt = plan.StartedAt,
            FinishedAt = state.FinishedAt,
            DurationSeconds = Math.Round(duration, 3),
            DocsPerSecond = duration > 0 ? Math.Round(docsDone / duration, 1) : null,
            Percent = Math.Round(estimate.Percent, 1),
            EtaSeconds = eta is { } e ? Math.Round(e, 1) : null,
            Error = state.Error,
            DashboardUrl = ReclassificationTrigger.DashboardUrl(state.RunId),
        };
    }

    /// <summary>A coordinator job that has not started: what its job arguments say, or null when the id is no run's job.</summary>
    private ReclassificationRun? Pending(string runId)
    {
        JobData? data;
        try
        {
            using var connection = storage.GetConnection();
            data = connection.GetJobData(runId);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return null;
        }

        if (data?.Job is not { } job || job.Type != typeof(ReclassificationCoordinatorJob) || job.Method.Name != nameof(ReclassificationCoordinatorJob.RunAsync))
        {
            return null;
        }

        return new ReclassificationRun
        {
            Id = runId,
            Status = RunStatus.Pending,
            Reason = job.Args.Count > 1 ? job.Args[1] as string : null,
            Tags = job.Args.Count > 0 && job.Args[0] is string[] labels ? labels : [],
            CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(data.CreatedAt, DateTimeKind.Utc)),
            DashboardUrl = ReclassificationTrigger.DashboardUrl(runId),
        };
    }
}
