using System.Text.Json;
using System.Text.RegularExpressions;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// Runs on the embedded defaults (no Redis): one JSON file per run under <c>&lt;data&gt;/runs/</c>
/// (<c>&lt;id&gt;.run.json</c>: state, plan, chunk jobs, done and failed chunks, stats, errors;
/// <c>&lt;id&gt;.chunks.json</c> and <c>&lt;id&gt;.tagplans.json</c>: the chunk id lists and the tag plans, written once), plus <c>fields.json</c> and
/// <c>startup.json</c>. The files are the truth: every change is read, changed and written back
/// (temp file + rename, so a file is whole after a kill) under one in-process lock, and a new
/// instance on the same folder sees the history, runs a restart cut off included.
/// </summary>
public sealed partial class FileRunRepository(DataDirectory data, IRunLocks locks, ILogger<FileRunRepository> logger) : IRunRepository, IDisposable
{
    private const string RunSuffix = ".run.json";
    private const string ChunksSuffix = ".chunks.json";
    private const string TagPlansSuffix = ".tagplans.json";
    private static readonly TimeSpan CompletionWait = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string RunId, IReadOnlyList<IReadOnlyList<string>> Chunks)? _chunks;
    private bool _swept;

    public string Directory => data.Resolve("runs");

    public Task<RunState?> GetAsync(string runId, CancellationToken cancellationToken) =>
        LockedAsync(async () => IsRunId(runId) ? (await ReadAsync(runId, cancellationToken))?.ToState() : null, cancellationToken);

    public Task<IReadOnlyList<RunState>> ListAsync(CancellationToken cancellationToken) =>
        LockedAsync<IReadOnlyList<RunState>>(async () => [.. (await ReadAllAsync(cancellationToken)).Select(r => r.ToState())], cancellationToken);

    public Task<RunProgress> GetProgressAsync(string runId, CancellationToken cancellationToken) =>
        LockedAsync(async () => IsRunId(runId) ? (await ReadAsync(runId, cancellationToken))?.ToProgress() ?? RunProgress.Empty : RunProgress.Empty,
            cancellationToken);

    public Task MarkPlanningAsync(string runId, string reason, DateTimeOffset at, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            var created = (await ReadAsync(Checked(runId), cancellationToken))?.CreatedAt ?? at;
            System.IO.Directory.CreateDirectory(Directory);
            File.Delete(PathOf(runId, ChunksSuffix));
            File.Delete(PathOf(runId, TagPlansSuffix));
            _chunks = null;
            await WriteAsync(PathOf(runId, RunSuffix), new RunFile { RunId = runId, Reason = reason, CreatedAt = created }, cancellationToken);
        }, cancellationToken);

    public Task SavePlanAsync(RunPlan plan, IReadOnlyList<IReadOnlyList<string>> chunks, IReadOnlyList<TagPlan> tagPlans, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await WriteAsync(PathOf(Checked(plan.RunId), ChunksSuffix), chunks, cancellationToken);
            await WriteAsync(PathOf(plan.RunId, TagPlansSuffix), tagPlans, cancellationToken);
            _chunks = (plan.RunId, chunks);
            var run = await ReadAsync(plan.RunId, cancellationToken) ?? new RunFile { RunId = plan.RunId, CreatedAt = plan.StartedAt, Reason = plan.Reason };
            run.Plan = plan;
            run.StartedAt = plan.StartedAt;
            run.Status = RunStatus.Running;
            await WriteAsync(PathOf(plan.RunId, RunSuffix), run, cancellationToken);
        }, cancellationToken);

    public Task<IReadOnlyList<string>> GetChunkIdsAsync(string runId, int chunk, CancellationToken cancellationToken) =>
        LockedAsync<IReadOnlyList<string>>(async () =>
        {
            if (_chunks is not { } cached || cached.RunId != runId)
            {
                var lists = await ReadJsonAsync<string[][]>(PathOf(Checked(runId), ChunksSuffix), cancellationToken) ?? [];
                cached = (runId, lists);
                _chunks = cached;
            }

            return chunk >= 0 && chunk < cached.Chunks.Count ? cached.Chunks[chunk] : [];
        }, cancellationToken);

    public Task<IReadOnlyList<TagPlan>> GetTagPlansAsync(string runId, CancellationToken cancellationToken) =>
        LockedAsync<IReadOnlyList<TagPlan>>(async () =>
            IsRunId(runId) ? await ReadJsonAsync<TagPlan[]>(PathOf(runId, TagPlansSuffix), cancellationToken) ?? [] : [], cancellationToken);

    public Task SetChunkJobsAsync(string runId, IReadOnlyDictionary<int, string> jobs, CancellationToken cancellationToken) =>
        UpdateAsync(runId, run =>
        {
            foreach (var (chunk, job) in jobs)
            {
                run.ChunkJobs[chunk] = job;
            }

            return true;
        }, cancellationToken);

    public Task<bool> IsChunkFinishedAsync(string runId, int chunk, CancellationToken cancellationToken) =>
        LockedAsync(async () => await ReadAsync(Checked(runId), cancellationToken) is { } run && (run.Done.Contains(chunk) || run.Failed.Contains(chunk)),
            cancellationToken);

    public Task CompleteChunkAsync(string runId, int chunk, ChunkStats stats, CancellationToken cancellationToken) =>
        UpdateAsync(runId, run =>
        {
            run.Stats[chunk] = stats;
            run.Failed.Remove(chunk);
            run.Done.Add(chunk);
            return true;
        }, cancellationToken);

    public Task FailChunkAsync(string runId, int chunk, string? error, CancellationToken cancellationToken) =>
        UpdateAsync(runId, run =>
        {
            if (run.Done.Contains(chunk))
            {
                return false;
            }

            run.Errors[chunk] = error ?? "failed";
            run.Failed.Add(chunk);
            return true;
        }, cancellationToken);

    public Task<RunLock> LockCompletionAsync(string runId, CancellationToken cancellationToken) =>
        locks.AcquireAsync($"reclassify:run:{runId}:complete", CompletionWait, cancellationToken);

    public Task FinishAsync(string runId, RunOutcome outcome, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!outcome.IsFinished)
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        return UpdateAsync(runId, run =>
        {
            run.Status = outcome.Status;
            run.FinishedAt = at;
            run.Error = outcome.Error ?? run.Error;
            return true;
        }, cancellationToken);
    }

    public Task TrimAsync(int limit, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            foreach (var run in (await ReadAllAsync(cancellationToken)).Skip(limit).Where(r => RunOutcome.IsFinishedStatus(r.Status)))
            {
                File.Delete(PathOf(run.RunId, RunSuffix));
                File.Delete(PathOf(run.RunId, ChunksSuffix));
                File.Delete(PathOf(run.RunId, TagPlansSuffix));
                if (_chunks?.RunId == run.RunId)
                {
                    _chunks = null;
                }
            }
        }, cancellationToken);

    public Task<IReadOnlyDictionary<string, DateTimeOffset>> GetFieldTimesAsync(CancellationToken cancellationToken) =>
        LockedAsync<IReadOnlyDictionary<string, DateTimeOffset>>(async () => await ReadFieldTimesAsync(cancellationToken), cancellationToken);

    public Task SetFieldTimesAsync(IEnumerable<string> fields, DateTimeOffset at, CancellationToken cancellationToken) =>
        UpdateFieldTimesAsync(times =>
        {
            foreach (var field in fields)
            {
                times[field] = at;
            }
        }, cancellationToken);

    public Task TrackUnknownFieldsAsync(IEnumerable<string> fields, DateTimeOffset at, CancellationToken cancellationToken) =>
        UpdateFieldTimesAsync(times =>
        {
            foreach (var field in fields)
            {
                times.TryAdd(field, at);
            }
        }, cancellationToken);

    public Task ForgetFieldsAsync(IEnumerable<string> fields, CancellationToken cancellationToken) =>
        UpdateFieldTimesAsync(times =>
        {
            foreach (var field in fields)
            {
                times.Remove(field);
            }
        }, cancellationToken);

    public Task<bool> AnyRunOrStartupClaimAsync(CancellationToken cancellationToken) =>
        LockedAsync(() => Task.FromResult(File.Exists(Path.Combine(Directory, "startup.json"))
            || System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFiles(Directory, "*" + RunSuffix).Any()), cancellationToken);

    public Task ClaimStartupAsync(string jobId, DateTimeOffset at, CancellationToken cancellationToken) =>
        LockedAsync(() => WriteAsync(Path.Combine(Directory, "startup.json"), new StartupClaim(jobId, at), cancellationToken), cancellationToken);

    public void Dispose() => _gate.Dispose();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex RunIdPattern();

    /// <summary>Run ids become file names: Hangfire job ids (numbers, GUIDs) pass; anything else is no run here.</summary>
    private static bool IsRunId(string runId) => RunIdPattern().IsMatch(runId);

    private static string Checked(string runId) =>
        IsRunId(runId) ? runId : throw new ArgumentException($"'{runId}' cannot name a run file.", nameof(runId));

    private string PathOf(string runId, string suffix) => Path.Combine(Directory, runId + suffix);

    /// <summary>The run's file, or null when there is none or it cannot be read (logged).</summary>
    private async Task<RunFile?> ReadAsync(string runId, CancellationToken cancellationToken)
    {
        var path = PathOf(runId, RunSuffix);
        try
        {
            return await ReadJsonAsync<RunFile>(path, cancellationToken);
        }
        catch (JsonException ex)
        {
            ReclassificationLog.RunFileUnreadable(logger, ex, path);
            return null;
        }
    }

    /// <summary>Every run file, newest first (creation time, then id).</summary>
    private async Task<List<RunFile>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var runs = new List<RunFile>();
        var files = System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "*" + RunSuffix) : [];
        foreach (var file in files)
        {
            if (await ReadAsync(Path.GetFileName(file)[..^RunSuffix.Length], cancellationToken) is { } run)
            {
                runs.Add(run);
            }
        }

        return [.. runs.OrderByDescending(r => r.CreatedAt ?? DateTimeOffset.MinValue).ThenByDescending(r => r.RunId, StringComparer.Ordinal)];
    }

    private async Task<Dictionary<string, DateTimeOffset>> ReadFieldTimesAsync(CancellationToken cancellationToken) =>
        new(await ReadJsonAsync<Dictionary<string, DateTimeOffset>>(Path.Combine(Directory, "fields.json"), cancellationToken) ?? [],
            StringComparer.Ordinal);

    /// <summary>The file's JSON, or default when the file does not exist.</summary>
    private static async Task<T?> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
            return await JsonSerializer.DeserializeAsync<T>(stream, RunRecordFormat.Json, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return default;
        }
    }

    private Task UpdateFieldTimesAsync(Action<Dictionary<string, DateTimeOffset>> change, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            var times = await ReadFieldTimesAsync(cancellationToken);
            change(times);
            await WriteAsync(Path.Combine(Directory, "fields.json"), times, cancellationToken);
        }, cancellationToken);

    /// <summary>Reads the run, applies <paramref name="change"/> and writes it back when it says so; an unknown run is left alone.</summary>
    private Task UpdateAsync(string runId, Func<RunFile, bool> change, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            if (await ReadAsync(Checked(runId), cancellationToken) is { } run && change(run))
            {
                await WriteAsync(PathOf(runId, RunSuffix), run, cancellationToken);
            }
        }, cancellationToken);

    private async Task<T> LockedAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await read();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LockedAsync(Func<Task> write, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await write();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes a temp file next to <paramref name="path"/> and renames it over; temp files a kill left behind are swept once.</summary>
    private async Task WriteAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (!_swept)
        {
            foreach (var stale in System.IO.Directory.EnumerateFiles(Directory, "*.tmp"))
            {
                File.Delete(stale);
            }

            _swept = true;
        }

        var tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                await JsonSerializer.SerializeAsync(stream, value, RunRecordFormat.Json, cancellationToken);
            }

            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    private sealed record StartupClaim(string JobId, DateTimeOffset At);
}
