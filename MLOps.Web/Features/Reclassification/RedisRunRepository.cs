using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Relevance;
using StackExchange.Redis;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// Runs in Redis, through StackExchange.Redis's async API, under <c>{Redis:KeyPrefix}reclassify:</c>:
/// <c>run:{id}</c> (hash: the run's fields and <c>Chunk:{n}</c> job ids), <c>run:{id}:chunks</c>
/// (hash: chunk -> id list), <c>:tagplans</c> (the tag plans, JSON), <c>:done</c> and <c>:failed</c> (sets), <c>:stats</c> and <c>:errors</c>
/// (hashes), <c>runs</c> (sorted set by creation time), <c>fields</c> and <c>startup</c> (hashes).
/// Updates that touch several keys are MULTI/EXEC transactions; a failed chunk is listed only
/// while it is not in the done set (a transaction condition).
/// </summary>
public sealed class RedisRunRepository(IConnectionMultiplexer redis, IRunLocks locks, IOptions<RedisOptions> options) : IRunRepository
{
    private static readonly TimeSpan CompletionWait = TimeSpan.FromSeconds(30);

    private string Prefix => options.Value.KeyPrefix + "reclassify:";

    private RedisKey RunsIndex => Prefix + "runs";

    private RedisKey FieldsKey => Prefix + "fields";

    private RedisKey StartupKey => Prefix + "startup";

    private RedisKey RunKey(string runId) => Prefix + "run:" + runId;

    private RedisKey Key(string runId, string part) => Prefix + "run:" + runId + ":" + part;

    private RedisKey[] RunKeys(string runId) =>
        [RunKey(runId), Key(runId, "chunks"), Key(runId, "done"), Key(runId, "failed"), Key(runId, "stats"), Key(runId, "errors"), Key(runId, "tagplans")];

    private IDatabase Db => redis.GetDatabase();

    public async Task<RunState?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return RunRecordFormat.FromHash(runId, await Db.HashGetAllAsync(RunKey(runId)));
    }

    public async Task<IReadOnlyList<RunState>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var ids = await Db.SortedSetRangeByRankAsync(RunsIndex, order: Order.Descending);
        var batch = Db.CreateBatch();
        var reads = ids.Select(id => (Id: id.ToString(), Hash: batch.HashGetAllAsync(RunKey(id.ToString())))).ToList();
        batch.Execute();
        await Task.WhenAll(reads.Select(r => r.Hash));
        return [.. reads.Select(r => RunRecordFormat.FromHash(r.Id, r.Hash.Result)).OfType<RunState>()];
    }

    public async Task<RunProgress> GetProgressAsync(string runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tx = Db.CreateTransaction();
        var status = tx.HashGetAsync(RunKey(runId), RunRecordFormat.StatusField);
        var done = tx.SetMembersAsync(Key(runId, "done"));
        var failed = tx.SetMembersAsync(Key(runId, "failed"));
        var stats = tx.HashGetAllAsync(Key(runId, "stats"));
        var errors = tx.HashGetAllAsync(Key(runId, "errors"));
        await tx.ExecuteAsync();
        return new RunProgress
        {
            Status = await status,
            Done = RunRecordFormat.Chunks(await done),
            Failed = RunRecordFormat.Chunks(await failed),
            Stats = (await stats).ToDictionary(e => RunRecordFormat.Chunk(e.Name), e => RunRecordFormat.Stats(e.Value!)),
            Errors = (await errors).ToDictionary(e => RunRecordFormat.Chunk(e.Name), e => e.Value.ToString()),
        };
    }

    public async Task MarkPlanningAsync(string runId, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var created = await Db.HashGetAsync(RunKey(runId), RunRecordFormat.CreatedAtField);
        var tx = Db.CreateTransaction();
        _ = tx.KeyDeleteAsync(RunKeys(runId));
        _ = tx.HashSetAsync(RunKey(runId), [
            new(RunRecordFormat.StatusField, RunStatus.Planning),
            new(RunRecordFormat.ReasonField, reason),
            new(RunRecordFormat.CreatedAtField, created.HasValue ? created : RunRecordFormat.Format(at)),
        ]);
        _ = tx.SortedSetAddAsync(RunsIndex, runId, at.ToUnixTimeMilliseconds(), SortedSetWhen.NotExists);
        await tx.ExecuteAsync();
    }

    public async Task SavePlanAsync(RunPlan plan, IReadOnlyList<IReadOnlyList<string>> chunks, IReadOnlyList<TagPlan> tagPlans, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tx = Db.CreateTransaction();
        _ = tx.StringSetAsync(Key(plan.RunId, "tagplans"), JsonSerializer.Serialize(tagPlans, RunRecordFormat.Json));
        if (chunks.Count > 0)
        {
            _ = tx.HashSetAsync(Key(plan.RunId, "chunks"), [.. chunks.Select((ids, i) =>
                new HashEntry(RunRecordFormat.Field(i), JsonSerializer.Serialize(ids, RunRecordFormat.Json)))]);
        }

        _ = tx.HashSetAsync(RunKey(plan.RunId), [
            new(RunRecordFormat.PlanField, JsonSerializer.Serialize(plan, RunRecordFormat.Json)),
            new(RunRecordFormat.StartedAtField, RunRecordFormat.Format(plan.StartedAt)),
            new(RunRecordFormat.StatusField, RunStatus.Running),
        ]);
        await tx.ExecuteAsync();
    }

    public async Task<IReadOnlyList<string>> GetChunkIdsAsync(string runId, int chunk, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var json = await Db.HashGetAsync(Key(runId, "chunks"), RunRecordFormat.Field(chunk));
        return json.IsNull ? [] : JsonSerializer.Deserialize<string[]>(json.ToString(), RunRecordFormat.Json) ?? [];
    }

    public async Task<IReadOnlyList<TagPlan>> GetTagPlansAsync(string runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var json = await Db.StringGetAsync(Key(runId, "tagplans"));
        return json.IsNull ? [] : JsonSerializer.Deserialize<TagPlan[]>(json.ToString(), RunRecordFormat.Json) ?? [];
    }

    public Task SetChunkJobsAsync(string runId, IReadOnlyDictionary<int, string> jobs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Db.HashSetAsync(RunKey(runId), [.. jobs.Select(j => new HashEntry(RunRecordFormat.ChunkJobField(j.Key), j.Value))]);
    }

    public async Task<bool> IsChunkFinishedAsync(string runId, int chunk, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var batch = Db.CreateBatch();
        var done = batch.SetContainsAsync(Key(runId, "done"), RunRecordFormat.Field(chunk));
        var failed = batch.SetContainsAsync(Key(runId, "failed"), RunRecordFormat.Field(chunk));
        batch.Execute();
        return await done || await failed;
    }

    public async Task CompleteChunkAsync(string runId, int chunk, ChunkStats stats, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var field = RunRecordFormat.Field(chunk);
        var tx = Db.CreateTransaction();
        _ = tx.HashSetAsync(Key(runId, "stats"), field, JsonSerializer.Serialize(stats, RunRecordFormat.Json));
        _ = tx.SetRemoveAsync(Key(runId, "failed"), field);
        _ = tx.SetAddAsync(Key(runId, "done"), field);
        await tx.ExecuteAsync();
    }

    public async Task FailChunkAsync(string runId, int chunk, string? error, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var field = RunRecordFormat.Field(chunk);
        var tx = Db.CreateTransaction();
        tx.AddCondition(Condition.SetNotContains(Key(runId, "done"), field));
        _ = tx.HashSetAsync(Key(runId, "errors"), field, error ?? "failed");
        _ = tx.SetAddAsync(Key(runId, "failed"), field);
        await tx.ExecuteAsync();
    }

    public Task<RunLock> LockCompletionAsync(string runId, CancellationToken cancellationToken) =>
        locks.AcquireAsync($"reclassify:run:{runId}:complete", CompletionWait, cancellationToken);

    public Task FinishAsync(string runId, RunOutcome outcome, DateTimeOffset at, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Db.HashSetAsync(RunKey(runId), RunRecordFormat.FinishFields(outcome, at));
    }

    public async Task TrimAsync(int limit, CancellationToken cancellationToken)
    {
        var runs = await ListAsync(cancellationToken);
        var old = runs.Skip(limit).Where(r => RunOutcome.IsFinishedStatus(r.Status)).ToList();
        if (old.Count == 0)
        {
            return;
        }

        var tx = Db.CreateTransaction();
        foreach (var run in old)
        {
            _ = tx.SortedSetRemoveAsync(RunsIndex, run.RunId);
            _ = tx.KeyDeleteAsync(RunKeys(run.RunId));
        }

        await tx.ExecuteAsync();
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> GetFieldTimesAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entries = await Db.HashGetAllAsync(FieldsKey);
        return entries.Select(e => (Field: e.Name.ToString(), At: RunRecordFormat.Parse(e.Value))).Where(x => x.At is not null)
            .ToDictionary(x => x.Field, x => x.At!.Value, StringComparer.Ordinal);
    }

    public Task SetFieldTimesAsync(IEnumerable<string> fields, DateTimeOffset at, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entries = fields.Select(f => new HashEntry(f, RunRecordFormat.Format(at))).ToArray();
        return entries.Length == 0 ? Task.CompletedTask : Db.HashSetAsync(FieldsKey, entries);
    }

    public async Task TrackUnknownFieldsAsync(IEnumerable<string> fields, DateTimeOffset at, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var batch = Db.CreateBatch();
        var writes = fields.Select(f => batch.HashSetAsync(FieldsKey, f, RunRecordFormat.Format(at), When.NotExists)).ToList();
        batch.Execute();
        await Task.WhenAll(writes);
    }

    public Task ForgetFieldsAsync(IEnumerable<string> fields, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var names = fields.Select(f => (RedisValue)f).ToArray();
        return names.Length == 0 ? Task.CompletedTask : Db.HashDeleteAsync(FieldsKey, names);
    }

    public async Task<bool> AnyRunOrStartupClaimAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await Db.SortedSetLengthAsync(RunsIndex) > 0 || await Db.KeyExistsAsync(StartupKey);
    }

    public Task ClaimStartupAsync(string jobId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Db.HashSetAsync(StartupKey, [new("JobId", jobId), new("At", RunRecordFormat.Format(at))]);
    }
}

/// <summary>How run records are written: times in round-trip format, JSON in web casing, chunk numbers invariant.</summary>
internal static class RunRecordFormat
{
    public const string StatusField = "Status";
    public const string ReasonField = "Reason";
    public const string CreatedAtField = "CreatedAt";
    public const string StartedAtField = "StartedAt";
    public const string FinishedAtField = "FinishedAt";
    public const string ErrorField = "Error";
    public const string PlanField = "Plan";
    private const string ChunkJobPrefix = "Chunk:";

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public static string Field(int chunk) => chunk.ToString(CultureInfo.InvariantCulture);

    public static int Chunk(RedisValue field) => int.Parse(field.ToString(), CultureInfo.InvariantCulture);

    public static HashSet<int> Chunks(RedisValue[] members) => [.. members.Select(Chunk)];

    public static string ChunkJobField(int chunk) => ChunkJobPrefix + Field(chunk);

    public static ChunkStats Stats(string json) => JsonSerializer.Deserialize<ChunkStats>(json, Json)!;

    public static string Format(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset? Parse(RedisValue value) =>
        DateTimeOffset.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    public static HashEntry[] FinishFields(RunOutcome outcome, DateTimeOffset at)
    {
        if (!outcome.IsFinished)
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        return outcome.Error is null
            ? [new(StatusField, outcome.Status), new(FinishedAtField, Format(at))]
            : [new(StatusField, outcome.Status), new(FinishedAtField, Format(at)), new(ErrorField, outcome.Error)];
    }

    /// <summary>The run's hash as a typed state, or null when the hash is empty (the run never started).</summary>
    public static RunState? FromHash(string runId, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        var hash = entries.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        RedisValue Get(string name) => hash.TryGetValue(name, out var v) ? v : RedisValue.Null;
        var plan = Get(PlanField);
        return new RunState
        {
            RunId = runId,
            Status = Get(StatusField).HasValue ? Get(StatusField).ToString() : RunStatus.Planning,
            Reason = Get(ReasonField).HasValue ? Get(ReasonField).ToString() : null,
            CreatedAt = Parse(Get(CreatedAtField)),
            StartedAt = Parse(Get(StartedAtField)),
            FinishedAt = Parse(Get(FinishedAtField)),
            Plan = plan.HasValue ? JsonSerializer.Deserialize<RunPlan>(plan.ToString(), Json) : null,
            Error = Get(ErrorField).HasValue ? Get(ErrorField).ToString() : null,
            ChunkJobs = hash.Where(e => e.Key.StartsWith(ChunkJobPrefix, StringComparison.Ordinal))
                .ToDictionary(e => int.Parse(e.Key.AsSpan(ChunkJobPrefix.Length), CultureInfo.InvariantCulture), e => e.Value.ToString()),
        };
    }
}
