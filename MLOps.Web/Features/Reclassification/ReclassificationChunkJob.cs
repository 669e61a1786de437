using System.Diagnostics;
using Hangfire;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// Scores one chunk of a run (queue <c>reclassify</c>: every server on every replica takes them):
/// reads its documents, scores them with the plan's model version, writes all fields in one bulk
/// update, then records the chunk done. Does nothing when the chunk is already finished (checked
/// again under the chunk lock); the last chunk records the run.
/// </summary>
public sealed class ReclassificationChunkJob(
    IRunRepository runs,
    IRunLocks locks,
    ICatalogIndex index,
    IScorerProvider scorers,
    ChunkScorer chunkScorer,
    RunCompletion completion,
    IBackgroundJobClient jobs,
    IOptions<ReclassificationOptions> options,
    TimeProvider time,
    ILogger<ReclassificationChunkJob> logger)
{
    private static readonly TimeSpan ChunkLockWait = TimeSpan.FromSeconds(5);

    [Queue(ReclassificationJobs.Queue)]
    [JobDisplayName("Reclassify chunk {1} of run {0}")]
    [AutomaticRetry(Attempts = 0)]
    [ReclassificationStateFilter]
    public async Task RunAsync(string runId, int chunk, PerformContext? context, CancellationToken cancellationToken)
    {
        RunPlan? plan = null;
        try
        {
            plan = (await runs.GetAsync(runId, cancellationToken))?.Plan ?? throw new InvalidOperationException($"Run {runId} has no plan.");
            if (await runs.IsChunkFinishedAsync(runId, chunk, cancellationToken))
            {
                ReclassificationLog.ChunkAlreadyDone(logger, runId, chunk);
                return;
            }

            await RunLockedAsync(plan, chunk, context?.ServerId, cancellationToken);
        }
        catch (Exception ex) when (ex is not ChunkInProgressException && !cancellationToken.IsCancellationRequested)
        {
            // Any failure, storage hiccups included, goes through the run's retry policy.
            await FailAsync(Failure(runId, chunk, plan, context, ex), plan, context, cancellationToken);
        }
    }

    private async Task RunLockedAsync(RunPlan plan, int chunk, string? server, CancellationToken cancellationToken)
    {
        RunLock chunkLock;
        try
        {
            chunkLock = await locks.AcquireAsync(RunLockNames.Chunk(plan.RunId, chunk), ChunkLockWait, cancellationToken);
        }
        catch (DistributedLockTimeoutException)
        {
            // Another copy of this chunk holds its lock: either a live copy (Hangfire re-queued a
            // job that ran past its invisibility timeout), or a copy on a killed process whose lock
            // has not expired yet (at most 30 s). Put this job back instead of succeeding: if the
            // other copy finishes the chunk, the next attempt sees it done; if it died, the next
            // attempt after the lock expired scores the chunk.
            var delay = options.Value.BusyRetryDelay;
            ReclassificationLog.ChunkBusy(logger, plan.RunId, chunk, delay);
            throw new ChunkInProgressException(delay);
        }

        await using (chunkLock)
        {
            if (await runs.IsChunkFinishedAsync(plan.RunId, chunk, cancellationToken))
            {
                ReclassificationLog.ChunkAlreadyDone(logger, plan.RunId, chunk);
                return;
            }

            await ProcessAsync(plan, chunk, server, cancellationToken);
        }
    }

    private async Task ProcessAsync(RunPlan plan, int chunk, string? server, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var ids = await runs.GetChunkIdsAsync(plan.RunId, chunk, cancellationToken);
        var documents = ids.Count == 0 ? [] : await index.GetManyAsync(ids, cancellationToken);
        var tagPlans = await runs.GetTagPlansAsync(plan.RunId, cancellationToken);
        var read = Stopwatch.GetTimestamp();
        using var lease = await scorers.AcquireAsync(plan.ModelId, cancellationToken);
        var leased = Stopwatch.GetTimestamp();
        var scored = await chunkScorer.ScoreAsync(lease.Scorer, documents, plan.Tags, plan.HypothesisTemplate, tagPlans, cancellationToken);
        var scoredAt = Stopwatch.GetTimestamp();

        var now = time.GetUtcNow();
        var updates = Updates(plan, documents, scored, now);
        if (updates.Count > 0)
        {
            await index.UpdateClassificationsAsync(updates, cancellationToken);
        }

        // Fields found in the index that no run here recorded (e.g. run storage was reset) start their retention clock now.
        var unknown = UnplannedFields(plan, documents);
        if (unknown.Count > 0)
        {
            await runs.TrackUnknownFieldsAsync(unknown, now, cancellationToken);
        }

        var stats = new ChunkStats(documents.Count, scored.Embedded, scored.CacheHits, Stopwatch.GetElapsedTime(started).TotalMilliseconds, server)
        {
            Phases = Phases(started, read, leased, scoredAt, scored),
        };
        await runs.CompleteChunkAsync(plan.RunId, chunk, stats, cancellationToken);
        ReclassificationLog.ChunkDone(logger, plan.RunId, chunk, stats.Documents, stats.Embedded, stats.CacheHits, stats.Milliseconds);
        await CompleteRunWhenLastAsync(plan, cancellationToken);
    }

    /// <summary>The chunk's time by phase (<see cref="ChunkPhases"/>), from the timestamps between its steps.</summary>
    private static ChunkPhases Phases(long started, long read, long leased, long scored, ChunkScores scores)
    {
        static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
        var scoring = Ms(leased, scored);
        return new ChunkPhases(
            Read: Ms(started, read),
            Lease: Ms(read, leased),
            Embed: scores.EmbedMilliseconds,
            Cache: scores.CacheMilliseconds,
            Score: Math.Max(0, scoring - scores.EmbedMilliseconds - scores.CacheMilliseconds),
            Write: Ms(scored, Stopwatch.GetTimestamp()));
    }

    /// <summary>The last chunk records the run, so the history is right even while the coordinator is away.</summary>
    private async Task CompleteRunWhenLastAsync(RunPlan plan, CancellationToken cancellationToken)
    {
        if (RunOutcome.OfChunks(plan, await runs.GetProgressAsync(plan.RunId, cancellationToken)).AllChunksFinished)
        {
            await completion.TryCompleteAsync(plan, cancellationToken);
        }
    }

    private static List<ClassificationUpdate> Updates(RunPlan plan, IReadOnlyList<CatalogDocument> documents, ChunkScores scored, DateTimeOffset now)
    {
        var remove = plan.RemoveFields.Count > 0 ? plan.RemoveFields : null;
        var updates = new List<ClassificationUpdate>(documents.Count);
        for (var i = 0; i < documents.Count; i++)
        {
            var scores = new Dictionary<string, float>(plan.Tags.Count, StringComparer.Ordinal);
            var parts = scored.Parts is null ? null : new Dictionary<string, IReadOnlyDictionary<string, float>>(plan.Tags.Count, StringComparer.Ordinal);
            for (var t = 0; t < plan.Tags.Count; t++)
            {
                scores[plan.Tags[t].Field] = scored.Scores[i][t];
                if (parts is not null)
                {
                    parts[plan.Tags[t].Field] = scored.Parts![i][t];
                }
            }

            updates.Add(new ClassificationUpdate(documents[i].Id, scores, plan.ModelId, now, remove, parts));
        }

        return updates;
    }

    private static List<string> UnplannedFields(RunPlan plan, IReadOnlyList<CatalogDocument> documents)
    {
        var planned = plan.Tags.Select(t => t.Field).Concat(plan.RemoveFields).ToHashSet(StringComparer.Ordinal);
        return [.. documents.SelectMany(d => d.Classifications.Keys)
            .Where(f => LabelNaming.IsFieldName(f) && !planned.Contains(f)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The failure the job ends with: it carries the attempt and the run's retry policy to the state filter.</summary>
    private ChunkFailedException Failure(string runId, int chunk, RunPlan? plan, PerformContext? context, Exception ex)
    {
        var o = options.Value;
        var attempt = (context?.GetJobParameter<int>(ReclassificationJobs.RetryCountParameter) ?? 0) + 1;
        ReclassificationLog.ChunkFailed(logger, ex, runId, chunk, attempt);
        return new ChunkFailedException(runId, chunk, attempt, plan?.RetryAttempts ?? o.RetryAttempts,
            plan?.RetryDelaysSeconds ?? o.EffectiveRetryDelaysSeconds, ex);
    }

    /// <summary>
    /// Before the last retry: throws, and the state filter schedules the next try. After it: the job
    /// is failed first and the chunk listed as failed next (recording the run when it was the last
    /// one), so whoever records the run finds the chunk's job failed; the job then returns, and
    /// Hangfire leaves a job that is no longer Processing as it is.
    /// </summary>
    private async Task FailAsync(ChunkFailedException failed, RunPlan? plan, PerformContext? context, CancellationToken cancellationToken)
    {
        if (failed.WillRetry)
        {
            throw failed;
        }

        var jobFailed = context is not null
            && jobs.ChangeState(context.BackgroundJob.Id, new FailedState(failed), ProcessingState.StateName);
        try
        {
            await runs.FailChunkAsync(failed.RunId, failed.Chunk, failed.InnerException?.Message, cancellationToken);
            if (plan is not null)
            {
                await CompleteRunWhenLastAsync(plan, cancellationToken);
            }
        }
        catch (Exception recordError) when (!cancellationToken.IsCancellationRequested)
        {
            // The coordinator's chunk check lists the failed job's chunk instead.
            ReclassificationLog.ChunkFailureNotRecorded(logger, recordError, failed.RunId, failed.Chunk);
        }

        if (!jobFailed)
        {
            throw failed;
        }
    }
}
