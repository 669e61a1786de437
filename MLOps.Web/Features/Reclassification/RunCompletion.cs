using Microsoft.Extensions.Options;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// Records a run once every chunk is done or failed: its outcome, the field times of its tags, the
/// expired fields it removed, the final progress text, and the history trimmed. Called by the last
/// chunk and by the coordinator; the run's completion lock and its recorded status make the first
/// caller record it and the other do nothing.
/// </summary>
public sealed class RunCompletion(
    IRunRepository runs,
    DashboardProgress dashboard,
    IOptions<ReclassificationOptions> options,
    TimeProvider time,
    ILogger<RunCompletion> logger)
{
    public async Task TryCompleteAsync(RunPlan plan, CancellationToken cancellationToken)
    {
        await using var completionLock = await runs.LockCompletionAsync(plan.RunId, cancellationToken);
        var progress = await runs.GetProgressAsync(plan.RunId, cancellationToken);
        var outcome = RunOutcome.OfChunks(plan, progress);
        if (RunOutcome.IsFinishedStatus(progress.Status) || !outcome.IsFinished)
        {
            return;
        }

        await RecordAsync(plan, outcome, progress, cancellationToken);
        await runs.TrimAsync(options.Value.HistoryLimit, cancellationToken);
    }

    private async Task RecordAsync(RunPlan plan, RunOutcome outcome, RunProgress progress, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (outcome.WritesFieldTimes)
        {
            await runs.SetFieldTimesAsync(plan.Tags.Select(t => t.Field), plan.StartedAt, cancellationToken);
        }

        if (outcome.ForgetsRemovedFields && plan.RemoveFields.Count > 0)
        {
            await runs.ForgetFieldsAsync(plan.RemoveFields, cancellationToken);
        }

        await runs.FinishAsync(plan.RunId, outcome, now, cancellationToken);

        var documents = progress.Done.Where(c => c < plan.ChunkCount).Sum(c => progress.Stats.TryGetValue(c, out var s) ? (long)s.Documents : 0);
        var seconds = Math.Max((now - plan.StartedAt).TotalSeconds, 1e-6);
        dashboard.Show(plan.RunId, ProgressEstimate.Finished(outcome.Status, documents, seconds));
        ReclassificationLog.Finished(logger, plan.RunId, outcome.Status, documents, seconds, documents / seconds, outcome.ChunksFailed);
    }
}
