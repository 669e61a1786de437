using System.Diagnostics;
using System.Globalization;
using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// The Hangfire jobs of a reclassification run. <see cref="RunAsync"/> is the coordinator: it holds
/// the run lock (runs never overlap), plans the run (tags, model version, chunks), enqueues one
/// <see cref="ChunkAsync"/> per chunk on the <c>reclassify</c> queue (every server on every replica
/// takes them), reports progress, and records the run once every chunk is done or failed. The run
/// id is the coordinator's job id; everything about a run lives in job storage, so a coordinator
/// re-queued after a crash resumes the run where it was.
/// </summary>
public sealed class ReclassificationJobs(
    RunStore store,
    ICatalogIndex index,
    IScorerProvider scorers,
    ITrendingReader trending,
    ChunkScorer chunkScorer,
    IBackgroundJobClient jobs,
    IOptions<ReclassificationOptions> options,
    TimeProvider time,
    ILogger<ReclassificationJobs> logger)
{
    public const string Queue = "reclassify";
    public const string CoordinatorQueue = "default";
    public const string ProgressParameter = "Progress";
    internal const string RetryCountParameter = "ReclassifyRetryCount";

    private static readonly HashSet<string> AliveStates = new(StringComparer.OrdinalIgnoreCase)
    {
        EnqueuedState.StateName, ScheduledState.StateName, ProcessingState.StateName, AwaitingState.StateName,
    };

    /// <summary>Coordinates one run. <paramref name="labels"/> null: the top trending tags.</summary>
    [JobDisplayName("Reclassify: {1}")]
    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [30, 120])]
    [ReclassificationStateFilter]
    public async Task RunAsync(string[]? labels, string reason, PerformContext? context, CancellationToken cancellationToken)
    {
        var runId = context?.BackgroundJob.Id ?? throw new InvalidOperationException("A reclassification run is a Hangfire job.");
        var o = options.Value;
        IDisposable runLock;
        try
        {
            // A run that just finished still holds the lock until its coordinator's next progress
            // check: wait that long, so a run started right after another starts now, not after BusyRetryDelay.
            runLock = store.Lock(RunStore.RunLockResource, LockWait(o));
        }
        catch (DistributedLockTimeoutException)
        {
            ReclassificationLog.Busy(logger, runId, o.BusyRetryDelay);
            throw new RunInProgressException(o.BusyRetryDelay);
        }

        using (runLock)
        {
            await RunLockedAsync(runId, labels, reason, context, cancellationToken);
        }
    }

    /// <summary>How long a run waits for the previous one's lock: one progress interval (at most 10 s) plus a second.</summary>
    internal static TimeSpan LockWait(ReclassificationOptions o) =>
        TimeSpan.FromSeconds(Math.Min(o.ProgressInterval.TotalSeconds, 10) + 1);

    /// <summary>Scores one chunk of a run. Does nothing when the chunk is already done.</summary>
    [Queue(Queue)]
    [JobDisplayName("Reclassify chunk {1} of run {0}")]
    [AutomaticRetry(Attempts = 0)]
    [ReclassificationStateFilter]
    public async Task ChunkAsync(string runId, int chunk, PerformContext? context, CancellationToken cancellationToken)
    {
        RunPlan? plan = null;
        try
        {
            plan = store.GetPlan(runId) ?? throw new InvalidOperationException($"Run {runId} has no plan.");
            if (store.IsChunkFinished(runId, chunk))
            {
                ReclassificationLog.ChunkAlreadyDone(logger, runId, chunk);
                return;
            }

            IDisposable chunkLock;
            try
            {
                chunkLock = store.Lock(RunStore.ChunkLockResource(runId, chunk), TimeSpan.FromSeconds(5));
            }
            catch (DistributedLockTimeoutException)
            {
                // Another copy of this chunk holds its lock: either a live copy (Hangfire re-queued a
                // job that ran past its invisibility timeout), or a copy on a killed process whose lock
                // has not expired yet (at most 30 s). Put this job back instead of succeeding: if the
                // other copy finishes the chunk, the next attempt sees it done; if it died, the next
                // attempt after the lock expired scores the chunk.
                var delay = options.Value.BusyRetryDelay;
                ReclassificationLog.ChunkBusy(logger, runId, chunk, delay);
                throw new ChunkInProgressException(delay);
            }

            using (chunkLock)
            {
                if (store.IsChunkFinished(runId, chunk))
                {
                    ReclassificationLog.ChunkAlreadyDone(logger, runId, chunk);
                    return;
                }

                await ProcessChunkAsync(plan, chunk, context?.ServerId, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not ChunkInProgressException && !cancellationToken.IsCancellationRequested)
        {
            // Any failure, storage hiccups included, goes through the run's retry policy.
            var attempt = (context?.GetJobParameter<int>(RetryCountParameter) ?? 0) + 1;
            ReclassificationLog.ChunkFailed(logger, ex, runId, chunk, attempt);
            var o = options.Value;
            throw new ChunkFailedException(runId, chunk, plan?.RetryAttempts ?? o.RetryAttempts, plan?.RetryDelaysSeconds ?? o.EffectiveRetryDelaysSeconds, ex);
        }
    }

    private async Task ProcessChunkAsync(RunPlan plan, int chunk, string? server, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var ids = store.GetChunkIds(plan.RunId, chunk);
        var documents = ids.Count == 0 ? [] : await index.GetManyAsync(ids, cancellationToken);
        using var lease = await scorers.AcquireAsync(plan.ModelId, cancellationToken);
        var scored = await chunkScorer.ScoreAsync(lease.Scorer, documents, plan.Tags, plan.HypothesisTemplate, cancellationToken);

        var now = time.GetUtcNow();
        var remove = plan.RemoveFields.Count > 0 ? plan.RemoveFields : null;
        var updates = new List<ClassificationUpdate>(documents.Count);
        for (var i = 0; i < documents.Count; i++)
        {
            var scores = new Dictionary<string, float>(plan.Tags.Count, StringComparer.Ordinal);
            for (var t = 0; t < plan.Tags.Count; t++)
            {
                scores[plan.Tags[t].Field] = scored.Scores[i][t];
            }

            updates.Add(new ClassificationUpdate(documents[i].Id, scores, plan.ModelId, now, remove));
        }

        if (updates.Count > 0)
        {
            await index.UpdateClassificationsAsync(updates, cancellationToken);
        }

        // Fields found in the index that no run here recorded (e.g. job storage was reset) start their retention clock now.
        var planned = plan.Tags.Select(t => t.Field).Concat(plan.RemoveFields).ToHashSet(StringComparer.Ordinal);
        var unknown = documents.SelectMany(d => d.Classifications.Keys)
            .Where(f => LabelNaming.IsFieldName(f) && !planned.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            store.TrackUnknownFields(unknown, now);
        }

        var stats = new ChunkStats(documents.Count, scored.Embedded, scored.CacheHits, Stopwatch.GetElapsedTime(started).TotalMilliseconds, server);
        store.CompleteChunk(plan.RunId, chunk, stats);
        ReclassificationLog.ChunkDone(logger, plan.RunId, chunk, stats.Documents, stats.Embedded, stats.CacheHits, stats.Milliseconds);

        // The last chunk records the run, so the history is right even while the coordinator is away.
        if (store.GetDone(plan.RunId).Union(store.GetFailed(plan.RunId)).Count() >= plan.ChunkCount)
        {
            TryComplete(plan);
        }
    }

    private async Task RunLockedAsync(string runId, string[]? labels, string reason, PerformContext? context, CancellationToken cancellationToken)
    {
        var hash = store.GetRunHash(runId);
        var status = hash?.GetValueOrDefault("Status");
        var plan = hash is not null && hash.ContainsKey("Plan") ? store.GetPlan(runId) : null;
        if (RunStatus.IsFinished(status) && !(status == RunStatus.Failed && plan is null))
        {
            return;
        }

        if (status == RunStatus.Running && plan is not null)
        {
            var finished = store.GetDone(runId).Union(store.GetFailed(runId)).Count();
            ReclassificationLog.Resuming(logger, runId, finished, plan.ChunkCount);
        }
        else
        {
            store.MarkPlanning(runId, reason, time.GetUtcNow());
            try
            {
                plan = await PlanAsync(runId, labels, reason, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                ReclassificationLog.PlanningFailed(logger, ex, runId);
                store.Finish(runId, RunStatus.Failed, time.GetUtcNow(), ex.Message);
                throw;
            }

            if (plan is null)
            {
                return;
            }
        }

        EnsureChunkJobs(plan);
        await MonitorAsync(plan, cancellationToken);
        TryComplete(plan);
    }

    private async Task<RunPlan?> PlanAsync(string runId, string[]? labels, string reason, CancellationToken cancellationToken)
    {
        var o = options.Value;
        IReadOnlyList<RunTag> tags;
        if (labels is { Length: > 0 })
        {
            tags = ReclassificationLabels.FromLabels(labels);
        }
        else
        {
            var snapshot = await trending.GetTopAsync(o.TopTags, cancellationToken);
            tags = ReclassificationLabels.FromTrending(snapshot.Tags.Take(o.TopTags));
        }

        var now = time.GetUtcNow();
        if (tags.Count == 0)
        {
            const string why = "no trending tags and no labels";
            store.Finish(runId, RunStatus.Skipped, now, why);
            ReclassificationLog.Skipped(logger, runId, why);
            return null;
        }

        // The model version is fixed here, once: every chunk leases this id even if another is promoted meanwhile.
        ModelDescriptor model;
        using (var lease = await scorers.AcquireAsync(null, cancellationToken))
        {
            model = lease.Scorer.Model;
        }

        var chunks = new List<IReadOnlyList<string>>();
        var current = new List<string>(o.ChunkSize);
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            current.Add(id);
            if (current.Count == o.ChunkSize)
            {
                chunks.Add(current);
                current = new List<string>(o.ChunkSize);
            }
        }

        if (current.Count > 0)
        {
            chunks.Add(current);
        }

        var fields = tags.Select(t => t.Field).ToHashSet(StringComparer.Ordinal);
        var expired = store.GetFieldTimes()
            .Where(f => !fields.Contains(f.Key) && now - f.Value >= o.FieldRetention)
            .Select(f => f.Key).Order(StringComparer.Ordinal).ToList();

        var plan = new RunPlan
        {
            RunId = runId,
            Reason = reason,
            Tags = tags,
            ModelId = model.Id,
            ModelSha256 = model.Sha256,
            HypothesisTemplate = o.HypothesisTemplate,
            ChunkSizes = [.. chunks.Select(c => c.Count)],
            TotalDocuments = chunks.Sum(c => (long)c.Count),
            RemoveFields = expired,
            RetryAttempts = o.RetryAttempts,
            RetryDelaysSeconds = o.EffectiveRetryDelaysSeconds,
            StartedAt = now,
        };
        store.SavePlan(plan, chunks);
        var tagList = string.Join(", ", tags.Select(t => t.Tag));
        ReclassificationLog.Planned(logger, runId, tagList, model.Id, plan.TotalDocuments, plan.ChunkCount, reason);
        return plan;
    }

    /// <summary>Enqueues a chunk job for every unfinished chunk whose job is missing or gone; lists chunks whose job failed outside the retry filter.</summary>
    private void EnsureChunkJobs(RunPlan plan)
    {
        var hash = store.GetRunHash(plan.RunId) ?? [];
        var finished = store.GetDone(plan.RunId);
        finished.UnionWith(store.GetFailed(plan.RunId));
        var created = new Dictionary<int, string>();
        using var connection = store.Connect();
        for (var chunk = 0; chunk < plan.ChunkCount; chunk++)
        {
            if (finished.Contains(chunk))
            {
                continue;
            }

            string? state = null;
            if (hash.TryGetValue(RunStore.ChunkJobField(chunk), out var jobId))
            {
                state = connection.GetStateData(jobId)?.Name;
                if (AliveStates.Contains(state ?? ""))
                {
                    continue;
                }

                if (state == FailedState.StateName)
                {
                    store.FailChunk(plan.RunId, chunk, "the chunk job failed");
                    continue;
                }
            }

            var runId = plan.RunId;
            var index = chunk;
            var id = jobs.Create(
                Job.FromExpression<ReclassificationJobs>(j => j.ChunkAsync(runId, index, null, CancellationToken.None)),
                new EnqueuedState(Queue));
            created[chunk] = id;
            if (jobId is not null)
            {
                ReclassificationLog.ChunkRequeued(logger, plan.RunId, chunk, id, state ?? "missing");
            }
        }

        if (created.Count > 0)
        {
            store.SetChunkJobs(plan.RunId, created);
        }
    }

    private async Task MonitorAsync(RunPlan plan, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var lastCheck = Stopwatch.GetTimestamp();
        var lastPercent = -1.0;
        while (true)
        {
            try
            {
                if (MonitorOnce())
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

        bool MonitorOnce()
        {
            var progress = Measure(plan);
            if (progress.ChunksFinished >= plan.ChunkCount)
            {
                return true; // the final progress text is written when the run is recorded
            }

            if (Math.Abs(progress.Percent - lastPercent) > 0.001)
            {
                lastPercent = progress.Percent;
                var eta = progress.Eta is { } e ? e.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "unknown";
                store.SetProgress(plan.RunId,
                    $"{progress.Percent:F1}% ({progress.DocumentsDone}/{plan.TotalDocuments} documents, {progress.ChunksFinished}/{plan.ChunkCount} chunks), ETA {eta}");
                ReclassificationLog.Progress(logger, plan.RunId, progress.Percent, progress.DocumentsDone, plan.TotalDocuments, progress.ChunksFinished, plan.ChunkCount, eta);
            }

            if (Stopwatch.GetElapsedTime(lastCheck) > o.ChunkCheckInterval)
            {
                EnsureChunkJobs(plan);
                lastCheck = Stopwatch.GetTimestamp();
            }

            return false;
        }
    }

    private (double Percent, long DocumentsDone, int ChunksFinished, TimeSpan? Eta) Measure(RunPlan plan)
    {
        var finished = store.GetDone(plan.RunId);
        finished.UnionWith(store.GetFailed(plan.RunId));
        var docs = finished.Where(c => c < plan.ChunkCount).Sum(c => (long)plan.ChunkSizes[c]);
        var percent = plan.TotalDocuments == 0 ? 100 : 100.0 * docs / plan.TotalDocuments;
        var elapsed = time.GetUtcNow() - plan.StartedAt;
        TimeSpan? eta = docs > 0 ? TimeSpan.FromTicks((long)(elapsed.Ticks * (double)(plan.TotalDocuments - docs) / docs)) : null;
        return (percent, docs, finished.Count, eta);
    }

    /// <summary>
    /// Records the run once every chunk is done or failed. Called by the last chunk and by the
    /// coordinator; a lock and the status make the first caller record it and the other do nothing.
    /// </summary>
    private void TryComplete(RunPlan plan)
    {
        using var completeLock = store.Lock(RunStore.RunKey(plan.RunId) + ":complete", TimeSpan.FromSeconds(30));
        if (RunStatus.IsFinished(store.GetRunHash(plan.RunId)?.GetValueOrDefault("Status")))
        {
            return;
        }

        var finished = store.GetDone(plan.RunId);
        finished.UnionWith(store.GetFailed(plan.RunId));
        if (finished.Count < plan.ChunkCount)
        {
            return;
        }

        Complete(plan);
        store.Trim(options.Value.HistoryLimit);
    }

    private void Complete(RunPlan plan)
    {
        var now = time.GetUtcNow();
        var done = store.GetDone(plan.RunId);
        var failed = store.GetFailed(plan.RunId);
        var stats = store.GetStats(plan.RunId);
        var status = failed.Count == 0 ? RunStatus.Succeeded
            : done.Count == 0 ? RunStatus.Failed
            : RunStatus.CompletedWithFailures;
        if (done.Count > 0 || plan.ChunkCount == 0)
        {
            store.SetFieldTimes(plan.Tags.Select(t => t.Field), plan.StartedAt);
        }

        if (failed.Count == 0 && plan.RemoveFields.Count > 0)
        {
            store.ForgetFields(plan.RemoveFields);
        }

        string? error = failed.Count == 0 ? null
            : $"{failed.Count} chunk(s) failed after {plan.RetryAttempts} retries: {string.Join(", ", failed.Order())}";
        store.Finish(plan.RunId, status, now, error);

        var documents = done.Sum(c => stats.TryGetValue(c, out var s) ? (long)s.Documents : 0);
        var seconds = Math.Max((now - plan.StartedAt).TotalSeconds, 1e-6);
        store.SetProgress(plan.RunId, $"100% ({status}: {documents} documents in {seconds:F1} s, {documents / seconds:F1} docs/s)");
        ReclassificationLog.Finished(logger, plan.RunId, status, documents, seconds, documents / seconds, failed.Count);
    }
}

/// <summary>Thrown by a run that finds another run holding the lock; the job is put back, not failed.</summary>
public sealed class RunInProgressException : Exception
{
    public RunInProgressException(TimeSpan retryDelay)
        : base($"Another reclassification run is in progress; this one waits {retryDelay}.") => RetryDelay = retryDelay;

    public RunInProgressException()
        : this(TimeSpan.FromSeconds(30))
    {
    }

    public RunInProgressException(string message)
        : base(message)
    {
    }

    public RunInProgressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TimeSpan RetryDelay { get; }
}

/// <summary>Thrown by a chunk job that finds another copy of its chunk holding the chunk lock; the job is put back, not failed.</summary>
public sealed class ChunkInProgressException : Exception
{
    public ChunkInProgressException(TimeSpan retryDelay)
        : base($"Another copy of this chunk holds its lock; this one waits {retryDelay}.") => RetryDelay = retryDelay;

    public ChunkInProgressException()
        : this(TimeSpan.FromSeconds(30))
    {
    }

    public ChunkInProgressException(string message)
        : base(message)
    {
    }

    public ChunkInProgressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TimeSpan RetryDelay { get; }
}

/// <summary>A chunk failed; carries the run's retry policy to <see cref="ReclassificationStateFilterAttribute"/>.</summary>
public sealed class ChunkFailedException : Exception
{
    public ChunkFailedException(string runId, int chunk, int retryAttempts, IReadOnlyList<int> retryDelaysSeconds, Exception inner)
        : base($"Chunk {chunk} of run {runId} failed: {inner.Message}", inner)
    {
        RunId = runId;
        Chunk = chunk;
        RetryAttempts = retryAttempts;
        RetryDelaysSeconds = retryDelaysSeconds;
    }

    public ChunkFailedException()
        : this("unknown", -1, 0, [], new InvalidOperationException())
    {
    }

    public ChunkFailedException(string message)
        : base(message)
    {
        RunId = "unknown";
        RetryDelaysSeconds = [];
    }

    public ChunkFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        RunId = "unknown";
        RetryDelaysSeconds = [];
    }

    public string RunId { get; }
    public int Chunk { get; }
    public int RetryAttempts { get; }
    public IReadOnlyList<int> RetryDelaysSeconds { get; }
}

/// <summary>
/// State election for reclassification jobs. A run that found another one in progress, or a chunk
/// job that found another copy of its chunk holding the chunk lock, is put back (scheduled after the
/// configured delay, keeping its job id). A failed chunk is retried with the
/// run's backoff; after its last retry it stays failed and is listed in the run's failed chunks.
/// Runs before <see cref="AutomaticRetryAttribute"/> (order 20).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReclassificationStateFilterAttribute : JobFilterAttribute, IElectStateFilter
{
    public ReclassificationStateFilterAttribute() => Order = 10;

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not FailedState failed)
        {
            return;
        }

        switch (failed.Exception)
        {
            case RunInProgressException busy:
                context.CandidateState = busy.RetryDelay <= TimeSpan.Zero
                    ? new EnqueuedState(ReclassificationJobs.CoordinatorQueue) { Reason = busy.Message }
                    : new ScheduledState(busy.RetryDelay) { Reason = busy.Message };
                break;
            case ChunkInProgressException busyChunk:
                context.CandidateState = busyChunk.RetryDelay <= TimeSpan.Zero
                    ? new EnqueuedState(ReclassificationJobs.Queue) { Reason = busyChunk.Message }
                    : new ScheduledState(busyChunk.RetryDelay) { Reason = busyChunk.Message };
                break;
            case ChunkFailedException chunk:
                var attempt = context.GetJobParameter<int>(ReclassificationJobs.RetryCountParameter) + 1;
                if (attempt <= chunk.RetryAttempts)
                {
                    context.SetJobParameter(ReclassificationJobs.RetryCountParameter, attempt);
                    var delay = ReclassificationOptions.RetryDelay(chunk.RetryDelaysSeconds, attempt);
                    var reason = $"Retry attempt {attempt} of {chunk.RetryAttempts}: {chunk.InnerException?.Message}";
                    context.CandidateState = delay <= TimeSpan.Zero
                        ? new EnqueuedState(ReclassificationJobs.Queue) { Reason = reason }
                        : new ScheduledState(delay) { Reason = reason };
                }
                else
                {
                    RunStore.FailChunk(context.Connection, chunk.RunId, chunk.Chunk, chunk.InnerException?.Message ?? chunk.Message);
                }

                break;
        }
    }
}
