using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using StackExchange.Redis;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Distributed locks of the reclassification runs (run lock, chunk locks, completion).</summary>
public interface IRunLocks
{
    /// <summary>Takes the lock or throws <see cref="DistributedLockTimeoutException"/> after <paramref name="timeout"/>.</summary>
    IDisposable Acquire(string resource, TimeSpan timeout);
}

/// <summary>
/// Locks in Hangfire's job storage (the InMemory storage: the owner is the connection, held until disposed).
/// </summary>
public sealed class StorageRunLocks(JobStorage storage) : IRunLocks
{
    public IDisposable Acquire(string resource, TimeSpan timeout)
    {
        var connection = storage.GetConnection();
        try
        {
            return new Handle(connection, connection.AcquireDistributedLock(resource, timeout));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private sealed class Handle(IStorageConnection connection, IDisposable inner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                inner.Dispose();
                connection.Dispose();
            }
        }
    }
}

/// <summary>
/// Redis locks with a token per acquisition (SET NX PX, extended while held, released only by its
/// token). Not Hangfire.Redis.StackExchange's lock: that one counts a lock as re-entered when its key
/// is in a per-thread set of held locks, and an async job releases on another thread than it took
/// the lock on, so a later job on the first thread would walk through a lock it does not hold.
/// </summary>
public sealed class RedisRunLocks(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IRunLocks
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(30);

    public IDisposable Acquire(string resource, TimeSpan timeout)
    {
        var db = redis.GetDatabase();
        RedisKey key = options.Value.KeyPrefix + "locks:" + resource;
        var token = Guid.NewGuid().ToString("N");
        var deadline = DateTime.UtcNow + timeout;
        var attempt = 0;
        while (true)
        {
            if (db.LockTake(key, token, Hold))
            {
                return new Handle(db, key, token);
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new DistributedLockTimeoutException(resource);
            }

            Thread.Sleep(Math.Min(25 * ++attempt, 250));
        }
    }

    private sealed class Handle : IDisposable
    {
        private readonly IDatabase _db;
        private readonly RedisKey _key;
        private readonly string _token;
        private readonly Timer _renew;
        private int _disposed;

        public Handle(IDatabase db, RedisKey key, string token)
        {
            (_db, _key, _token) = (db, key, token);
            _renew = new Timer(_ =>
            {
                try
                {
                    _db.LockExtend(_key, _token, Hold);
                }
                catch (RedisException)
                {
                    // the next tick tries again; the lock expires on its own if Redis stays away
                }
            }, null, Hold / 3, Hold / 3);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _renew.Dispose();
                _db.LockRelease(_key, _token);
            }
        }
    }
}
