using System.Globalization;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// Run state in Hangfire's job storage (InMemory or Redis), so that every server on every replica
/// sees the same plan, the same chunk completion sets and the same history. Chunk completion is a
/// set, not a counter: a chunk done twice counts once.
/// </summary>
public sealed class RunStore(JobStorage storage, IRunLocks locks)
{
    internal const string RunLockResource = "reclassify:lock";
    internal const string StartupLockResource = "reclassify:startup-lock";
    private const string RunsIndex = "reclassify:runs";
    private const string FieldsKey = "reclassify:fields";
    private const string StartupKey = "reclassify:startup";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public JobStorage Storage => storage;

    internal static string RunKey(string runId) => "reclassify:run:" + runId;

    private static string ChunksKey(string runId) => RunKey(runId) + ":chunks";

    private static string DoneKey(string runId) => RunKey(runId) + ":done";

    private static string FailedKey(string runId) => RunKey(runId) + ":failed";

    private static string StatsKey(string runId) => RunKey(runId) + ":stats";

    private static string ErrorsKey(string runId) => RunKey(runId) + ":errors";

    internal static string ChunkLockResource(string runId, int chunk) => $"{RunKey(runId)}:chunk:{chunk}";

    public IStorageConnection Connect() => storage.GetConnection();

    /// <summary>Takes a run lock (see <see cref="IRunLocks"/>).</summary>
    public IDisposable Lock(string resource, TimeSpan timeout) => locks.Acquire(resource, timeout);

    /// <summary>The run's hash, or null when the run never started.</summary>
    public Dictionary<string, string>? GetRunHash(string runId)
    {
        using var connection = Connect();
        var hash = connection.GetAllEntriesFromHash(RunKey(runId));
        return hash is { Count: > 0 } ? hash : null;
    }

    public RunPlan? GetPlan(string runId)
    {
        var hash = GetRunHash(runId);
        return hash is not null && hash.TryGetValue("Plan", out var json) ? JsonSerializer.Deserialize<RunPlan>(json, Json) : null;
    }

    /// <summary>Starts (or restarts, after a failed planning) the run's record; the first creation time is kept.</summary>
    public void MarkPlanning(string runId, string reason, DateTimeOffset at)
    {
        using var connection = Connect();
        var created = connection.GetAllEntriesFromHash(RunKey(runId))?.GetValueOrDefault("CreatedAt") ?? Format(at);
        using var tx = connection.CreateWriteTransaction();
        tx.RemoveHash(RunKey(runId));
        tx.SetRangeInHash(RunKey(runId), [
            new("Status", RunStatus.Planning),
            new("Reason", reason),
            new("CreatedAt", created),
        ]);
        tx.AddToSet(RunsIndex, runId, at.ToUnixTimeMilliseconds());
        tx.Commit();
    }

    /// <summary>Writes the chunk id lists first, then the plan with status running.</summary>
    public void SavePlan(RunPlan plan, IReadOnlyList<IReadOnlyList<string>> chunks)
    {
        using var connection = Connect();
        const int batch = 100;
        for (var start = 0; start < chunks.Count; start += batch)
        {
            connection.SetRangeInHash(ChunksKey(plan.RunId), chunks.Skip(start).Take(batch).Select((ids, i) =>
                new KeyValuePair<string, string>((start + i).ToString(CultureInfo.InvariantCulture), JsonSerializer.Serialize(ids, Json))));
        }

        connection.SetRangeInHash(RunKey(plan.RunId), [
            new("Plan", JsonSerializer.Serialize(plan, Json)),
            new("Status", RunStatus.Running),
        ]);
    }

    public void SetChunkJobs(string runId, IEnumerable<KeyValuePair<int, string>> jobs)
    {
        using var connection = Connect();
        connection.SetRangeInHash(RunKey(runId), jobs.Select(j => new KeyValuePair<string, string>(ChunkJobField(j.Key), j.Value)));
    }

    internal static string ChunkJobField(int chunk) => "Chunk:" + chunk.ToString(CultureInfo.InvariantCulture);

    public IReadOnlyList<string> GetChunkIds(string runId, int chunk)
    {
        using var connection = Connect();
        var json = ((JobStorageConnection)connection).GetValueFromHash(ChunksKey(runId), chunk.ToString(CultureInfo.InvariantCulture));
        return json is null ? [] : JsonSerializer.Deserialize<string[]>(json, Json) ?? [];
    }

    public HashSet<int> GetDone(string runId) => ReadIntSet(DoneKey(runId));

    public HashSet<int> GetFailed(string runId) => ReadIntSet(FailedKey(runId));

    public bool IsChunkFinished(string runId, int chunk)
    {
        var value = chunk.ToString(CultureInfo.InvariantCulture);
        using var connection = Connect();
        return connection.GetAllItemsFromSet(DoneKey(runId)).Contains(value)
            || connection.GetAllItemsFromSet(FailedKey(runId)).Contains(value);
    }

    public void CompleteChunk(string runId, int chunk, ChunkStats stats)
    {
        var field = chunk.ToString(CultureInfo.InvariantCulture);
        using var connection = Connect();
        using var tx = connection.CreateWriteTransaction();
        tx.SetRangeInHash(StatsKey(runId), [new(field, JsonSerializer.Serialize(stats, Json))]);
        tx.RemoveFromSet(FailedKey(runId), field);
        tx.AddToSet(DoneKey(runId), field);
        tx.Commit();
    }

    /// <summary>Lists a chunk as failed (after its retries). Called from a state filter with its connection.</summary>
    public static void FailChunk(IStorageConnection connection, string runId, int chunk, string? error)
    {
        var field = chunk.ToString(CultureInfo.InvariantCulture);
        if (connection.GetAllItemsFromSet(DoneKey(runId)).Contains(field))
        {
            return;
        }

        using var tx = connection.CreateWriteTransaction();
        tx.SetRangeInHash(ErrorsKey(runId), [new(field, error ?? "failed")]);
        tx.AddToSet(FailedKey(runId), field);
        tx.Commit();
    }

    public void FailChunk(string runId, int chunk, string? error)
    {
        using var connection = Connect();
        FailChunk(connection, runId, chunk, error);
    }

    public Dictionary<int, ChunkStats> GetStats(string runId)
    {
        using var connection = Connect();
        return (connection.GetAllEntriesFromHash(StatsKey(runId)) ?? [])
            .ToDictionary(e => int.Parse(e.Key, CultureInfo.InvariantCulture), e => JsonSerializer.Deserialize<ChunkStats>(e.Value, Json)!);
    }

    public Dictionary<int, string> GetErrors(string runId)
    {
        using var connection = Connect();
        return (connection.GetAllEntriesFromHash(ErrorsKey(runId)) ?? [])
            .ToDictionary(e => int.Parse(e.Key, CultureInfo.InvariantCulture), e => e.Value);
    }

    /// <summary>Progress text on the run's (coordinator's) job, shown on its page in the dashboard.</summary>
    public void SetProgress(string runId, string progress)
    {
        using var connection = Connect();
        connection.SetJobParameter(runId, ReclassificationJobs.ProgressParameter, Hangfire.Common.SerializationHelper.Serialize(progress));
    }

    public void Finish(string runId, string status, DateTimeOffset at, string? error)
    {
        using var connection = Connect();
        var fields = new List<KeyValuePair<string, string>> { new("Status", status), new("FinishedAt", Format(at)) };
        if (error is not null)
        {
            fields.Add(new("Error", error));
        }

        connection.SetRangeInHash(RunKey(runId), fields);
    }

    /// <summary>Every run id in the history, newest first.</summary>
    public IReadOnlyList<string> ListRunIds()
    {
        using var connection = Connect();
        var ids = connection.GetAllItemsFromSet(RunsIndex);
        var created = ids.Select(id => (id, at: connection.GetAllEntriesFromHash(RunKey(id)) is { } h && h.TryGetValue("CreatedAt", out var c) ? Parse(c) : null));
        return [.. created.OrderByDescending(x => x.at ?? DateTimeOffset.MinValue).ThenByDescending(x => x.id, StringComparer.Ordinal).Select(x => x.id)];
    }

    /// <summary>Removes the oldest finished runs beyond <paramref name="limit"/>.</summary>
    public void Trim(int limit)
    {
        var ids = ListRunIds();
        if (ids.Count <= limit)
        {
            return;
        }

        using var connection = Connect();
        using var tx = connection.CreateWriteTransaction();
        foreach (var id in ids.Skip(limit))
        {
            if (!RunStatus.IsFinished(connection.GetAllEntriesFromHash(RunKey(id))?.GetValueOrDefault("Status")))
            {
                continue;
            }

            tx.RemoveFromSet(RunsIndex, id);
            tx.RemoveHash(RunKey(id));
            tx.RemoveHash(ChunksKey(id));
            tx.RemoveHash(StatsKey(id));
            tx.RemoveHash(ErrorsKey(id));
            foreach (var set in new[] { DoneKey(id), FailedKey(id) })
            {
                foreach (var item in connection.GetAllItemsFromSet(set))
                {
                    tx.RemoveFromSet(set, item);
                }
            }
        }

        tx.Commit();
    }

    /// <summary>Classification field -> when a run last wrote it.</summary>
    public Dictionary<string, DateTimeOffset> GetFieldTimes()
    {
        using var connection = Connect();
        var hash = connection.GetAllEntriesFromHash(FieldsKey) ?? [];
        return hash.Select(e => (e.Key, at: Parse(e.Value))).Where(x => x.at is not null)
            .ToDictionary(x => x.Key, x => x.at!.Value, StringComparer.Ordinal);
    }

    public void SetFieldTimes(IEnumerable<string> fields, DateTimeOffset at)
    {
        using var connection = Connect();
        connection.SetRangeInHash(FieldsKey, fields.Select(f => new KeyValuePair<string, string>(f, Format(at))));
    }

    /// <summary>Starts the retention clock of fields found in the index that no run here has recorded.</summary>
    public void TrackUnknownFields(IEnumerable<string> fields, DateTimeOffset at)
    {
        var known = GetFieldTimes();
        var unknown = fields.Where(f => !known.ContainsKey(f)).ToList();
        if (unknown.Count > 0)
        {
            SetFieldTimes(unknown, at);
        }
    }

    public void ForgetFields(IEnumerable<string> fields)
    {
        using var connection = Connect();
        using var tx = connection.CreateWriteTransaction();
        var remaining = (connection.GetAllEntriesFromHash(FieldsKey) ?? []).Where(e => !fields.Contains(e.Key, StringComparer.Ordinal)).ToList();
        tx.RemoveHash(FieldsKey);
        if (remaining.Count > 0)
        {
            tx.SetRangeInHash(FieldsKey, remaining);
        }

        tx.Commit();
    }

    /// <summary>Whether any run was ever recorded or a startup run already claimed.</summary>
    public bool AnyRunOrStartupClaim()
    {
        using var connection = Connect();
        return connection.GetAllItemsFromSet(RunsIndex).Count > 0
            || connection.GetAllEntriesFromHash(StartupKey) is { Count: > 0 };
    }

    public void ClaimStartup(string jobId, DateTimeOffset at)
    {
        using var connection = Connect();
        connection.SetRangeInHash(StartupKey, [new("JobId", jobId), new("At", Format(at))]);
    }

    internal static string Format(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset? Parse(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    private HashSet<int> ReadIntSet(string key)
    {
        using var connection = Connect();
        return [.. connection.GetAllItemsFromSet(key).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
    }
}
