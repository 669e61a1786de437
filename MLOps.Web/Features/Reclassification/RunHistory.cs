namespace MLOps.Web.Features.Reclassification;

/// <summary>Builds the run views of <c>GET /api/reclassify/runs</c> from job storage.</summary>
public sealed class RunHistory(RunStore store, TimeProvider time)
{
    public IReadOnlyList<ReclassificationRun> List() =>
        [.. store.ListRunIds().Select(Get).OfType<ReclassificationRun>()];

    /// <summary>The run, a pending view when its job is queued but not started, or null when unknown.</summary>
    public ReclassificationRun? Get(string runId)
    {
        var hash = store.GetRunHash(runId);
        if (hash is null)
        {
            return Pending(runId);
        }

        var plan = store.GetPlan(runId);
        var status = hash.GetValueOrDefault("Status") ?? RunStatus.Planning;
        var created = RunStore.Parse(hash.GetValueOrDefault("CreatedAt"));
        var finishedAt = RunStore.Parse(hash.GetValueOrDefault("FinishedAt"));
        if (plan is null)
        {
            return new ReclassificationRun
            {
                Id = runId,
                Status = status,
                Reason = hash.GetValueOrDefault("Reason"),
                CreatedAt = created,
                FinishedAt = finishedAt,
                Error = hash.GetValueOrDefault("Error"),
                DashboardUrl = ReclassificationTrigger.DashboardUrl(runId),
            };
        }

        var done = store.GetDone(runId);
        var failed = store.GetFailed(runId);
        var stats = store.GetStats(runId);
        var errors = store.GetErrors(runId);
        var finishedChunks = done.Union(failed).Where(c => c < plan.ChunkCount).ToList();
        var docsFinished = finishedChunks.Sum(c => (long)plan.ChunkSizes[c]);
        var docsDone = done.Sum(c => stats.TryGetValue(c, out var s) ? (long)s.Documents : 0);
        var end = finishedAt ?? time.GetUtcNow();
        var duration = Math.Max((end - plan.StartedAt).TotalSeconds, 0);
        var percent = plan.TotalDocuments == 0 ? 100 : 100.0 * docsFinished / plan.TotalDocuments;
        double? eta = RunStatus.IsFinished(status) ? 0
            : docsFinished > 0 ? duration * (plan.TotalDocuments - docsFinished) / docsFinished
            : null;
        return new ReclassificationRun
        {
            Id = runId,
            Status = status,
            Reason = plan.Reason,
            Tags = [.. plan.Tags.Select(t => t.Tag)],
            Fields = [.. plan.Tags.Select(t => t.Field)],
            Model = plan.ModelId,
            Documents = plan.TotalDocuments,
            DocumentsDone = docsDone,
            Chunks = plan.ChunkCount,
            ChunksDone = done.Count,
            FailedChunks = [.. failed.Order().Select(c => new FailedChunk(c, hash.GetValueOrDefault(RunStore.ChunkJobField(c)), errors.GetValueOrDefault(c)))],
            DocumentsEmbedded = stats.Values.Sum(s => (long)s.Embedded),
            EmbeddingCacheHits = stats.Values.Sum(s => (long)s.CacheHits),
            RemovedFields = plan.RemoveFields,
            CreatedAt = created,
            StartedAt = plan.StartedAt,
            FinishedAt = finishedAt,
            DurationSeconds = Math.Round(duration, 3),
            DocsPerSecond = duration > 0 ? Math.Round(docsDone / duration, 1) : null,
            Percent = Math.Round(percent, 1),
            EtaSeconds = eta is { } e ? Math.Round(e, 1) : null,
            Error = hash.GetValueOrDefault("Error"),
            DashboardUrl = ReclassificationTrigger.DashboardUrl(runId),
        };
    }

    private ReclassificationRun? Pending(string runId)
    {
        Hangfire.Storage.JobData? data;
        try
        {
            using var connection = store.Connect();
            data = connection.GetJobData(runId);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return null;
        }

        if (data?.Job is not { } job || job.Type != typeof(ReclassificationJobs) || job.Method.Name != nameof(ReclassificationJobs.RunAsync))
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
