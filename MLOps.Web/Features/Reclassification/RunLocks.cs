using System.Diagnostics;
using System.Globalization;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using StackExchange.Redis;

namespace MLOps.Web.Features.Reclassification;

/// <summary>A held lock; released once, by whichever of <see cref="Dispose"/> or <see cref="DisposeAsync"/> comes first.</summary>
public sealed class RunLock(Func<ValueTask> releaseAsync, Action release) : IDisposable, IAsyncDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? releaseAsync() : ValueTask.CompletedTask;
}

/// <summary>Distributed locks of the reclassification runs (run lock, chunk locks, completion, startup claim).</summary>
public interface IRunLocks
{
    /// <summary>Takes the lock or throws <see cref="DistributedLockTimeoutException"/> after <paramref name="timeout"/>.</summary>
    Task<RunLock> AcquireAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>The lock resources; the completion lock's is the repository's own.</summary>
public static class RunLockNames
{
    /// <summary>Held by a run's coordinator for the whole run: runs never overlap.</summary>
    public const string Run = "reclassify:lock";

    /// <summary>Held while replicas starting together decide which one enqueues the startup run.</summary>
    public const string Startup = "reclassify:startup-lock";

    /// <summary>Held by the copy of a chunk job that scores the chunk.</summary>
    public static string Chunk(string runId, int chunk) =>
        string.Create(CultureInfo.InvariantCulture, $"reclassify:run:{runId}:chunk:{chunk}");
}

/// <summary>
/// Locks of one process (the embedded defaults: one replica, Hangfire's InMemory storage). Not
/// re-entrant: a second taker waits, whatever its thread.
/// </summary>
public sealed class InProcessRunLocks : IRunLocks
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<RunLock> AcquireAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(resource, out entry!))
            {
                entry = new Entry();
                _entries[resource] = entry;
            }

            entry.Users++;
        }

        var taken = false;
        try
        {
            taken = await entry.Gate.WaitAsync(timeout, cancellationToken);
        }
        finally
        {
            if (!taken)
            {
                Leave(resource, entry);
            }
        }

        if (!taken)
        {
            throw new DistributedLockTimeoutException(resource);
        }

        void Release()
        {
            entry.Gate.Release();
            Leave(resource, entry);
        }

        return new RunLock(() =>
        {
            Release();
            return ValueTask.CompletedTask;
        }, Release);
    }

    /// <summary>Forgets the resource's semaphore once nobody holds or waits for it (chunk locks are many).</summary>
    private void Leave(string resource, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(resource);
                entry.Gate.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public int Users { get; set; }
    }
}

/// <summary>
/// Redis locks with a token per acquisition (SET NX PX, extended while held, released only by its
/// token). Not Hangfire.Redis.StackExchange's lock: that one counts a lock as re-entered when its key
/// is in a per-thread set of held locks, and an async job releases on another thread than it took
/// the lock on, so a later job on the first thread would walk through a lock it does not hold.
/// A lock whose process died expires on its own after 30 s.
/// </summary>
public sealed class RedisRunLocks(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IRunLocks
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(30);

    public async Task<RunLock> AcquireAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        RedisKey key = options.Value.KeyPrefix + "locks:" + resource;
        var token = Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        var attempt = 0;
        while (true)
        {
            if (await db.LockTakeAsync(key, token, Hold))
            {
                return Held(db, key, token);
            }

            if (clock.Elapsed >= timeout)
            {
                throw new DistributedLockTimeoutException(resource);
            }

            await Task.Delay(Math.Min(25 * ++attempt, 250), cancellationToken);
        }
    }

    private static RunLock Held(IDatabase db, RedisKey key, string token)
    {
        var renew = new Timer(_ => db.LockExtendAsync(key, token, Hold).ContinueWith(
            // The next tick tries again; the lock expires on its own if Redis stays away.
            t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default),
            null, Hold / 3, Hold / 3);
        return new RunLock(
            async () =>
            {
                await renew.DisposeAsync();
                await db.LockReleaseAsync(key, token);
            },
            () =>
            {
                renew.Dispose();
                db.LockRelease(key, token);
            });
    }
}
