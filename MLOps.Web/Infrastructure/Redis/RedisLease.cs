using StackExchange.Redis;

namespace MLOps.Web.Infrastructure.Redis;

/// <summary>
/// A token-checked lease in Redis, the pattern of the run locks: taken with <c>SET key holder NX PX</c>,
/// renewed and released only while the key still holds this holder's token (StackExchange.Redis's
/// <c>LockExtend</c>/<c>LockRelease</c>, a transaction conditioned on the value), so a holder whose lease
/// expired can never extend or delete its successor's. The holder string is readable by anyone
/// (<see cref="ReadHolderAsync"/>): it names who holds the lease.
/// </summary>
public sealed class RedisLease(IConnectionMultiplexer redis, RedisKey key, string holder, TimeSpan duration)
{
    public RedisKey Key => key;

    public string Holder => holder;

    public TimeSpan Duration => duration;

    /// <summary>Takes the lease if nobody holds it.</summary>
    public Task<bool> TryTakeAsync() => redis.GetDatabase().LockTakeAsync(key, holder, duration);

    /// <summary>Extends the lease by <see cref="Duration"/> if this holder still has it; false when it was lost.</summary>
    public Task<bool> RenewAsync() => redis.GetDatabase().LockExtendAsync(key, holder, duration);

    /// <summary>Gives the lease up if this holder still has it.</summary>
    public Task<bool> ReleaseAsync() => redis.GetDatabase().LockReleaseAsync(key, holder);

    /// <summary>Who holds the lease now; null when nobody does.</summary>
    public async Task<string?> ReadHolderAsync() => (string?)await redis.GetDatabase().LockQueryAsync(key);
}

/// <summary>
/// One leader among replicas over a <see cref="RedisLease"/>: every <c>interval</c> a standby tries to
/// take the lease and the leader renews it. While this replica leads, <c>lead</c> runs with a token that
/// is cancelled when the lease is lost: a renewal refused (another replica took it), or no renewal
/// confirmed for the lease duration minus one interval (Redis unreachable: the lease may have expired
/// and been taken, so the old leader stops before a new one can start). A graceful stop releases the
/// lease, so a standby takes over within one interval; after a crash, within the lease duration plus one
/// interval. If <c>lead</c> returns, the lease is kept until the stop (a finished source is not started
/// again elsewhere).
/// </summary>
public sealed class LeaderElection(RedisLease lease, TimeSpan interval, TimeProvider time, ILogger logger)
{
    private readonly string _key = lease.Key.ToString();

    private volatile bool _leading;
    private long _changes;

    public bool IsLeader => _leading;

    /// <summary>How often this replica became or stopped being the leader.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    public RedisLease Lease => lease;

    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken stoppingToken)
    {
        var finished = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await TryAsync(lease.TryTakeAsync))
            {
                await DelayAsync(interval, stoppingToken);
                continue;
            }

            SetLeading(true);
            LeaseLog.Acquired(logger, _key, lease.Holder);
            var (lost, done) = await HoldAsync(finished ? null : lead, stoppingToken);
            finished |= done;
            SetLeading(false);
            if (lost)
            {
                LeaseLog.Lost(logger, _key, lease.Holder);
                await DelayAsync(interval, stoppingToken);
            }
        }

        await TryAsync(lease.ReleaseAsync);
    }

    /// <summary>Runs <paramref name="lead"/> (when given) and renews until the lease is lost or the stop; Done: <paramref name="lead"/> returned on its own.</summary>
    private async Task<(bool Lost, bool Done)> HoldAsync(Func<CancellationToken, Task>? lead, CancellationToken stoppingToken)
    {
        using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var leading = lead is null ? Task.CompletedTask : Task.Run(() => lead(term.Token), CancellationToken.None);
        var confirmed = time.GetTimestamp();
        var lost = false;
        while (!stoppingToken.IsCancellationRequested && !lost)
        {
            await DelayAsync(interval, stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            bool? renewed;
            try
            {
                renewed = await lease.RenewAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                renewed = null;
            }

            if (renewed == true)
            {
                confirmed = time.GetTimestamp();
            }

            lost = renewed == false || time.GetElapsedTime(confirmed) >= lease.Duration - interval;
        }

        var done = lead is not null && leading.IsCompletedSuccessfully;
        await term.CancelAsync();
        try
        {
            await leading;
        }
        catch (OperationCanceledException)
        {
            // the term ended
        }

        return (lost, done);
    }

    private void SetLeading(bool leading)
    {
        _leading = leading;
        Interlocked.Increment(ref _changes);
    }

    private async Task<bool> TryAsync(Func<Task<bool>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LeaseLog.Unreachable(logger, _key, ex.Message);
            return false;
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // stopping: the loops check the token
        }
    }
}

internal static partial class LeaseLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Lease {Key} taken by {Holder}: this replica leads")]
    public static partial void Acquired(ILogger logger, string key, string holder);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Lease {Key} lost by {Holder}: this replica stands by")]
    public static partial void Lost(ILogger logger, string key, string holder);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Lease {Key}: Redis unreachable ({Error})")]
    public static partial void Unreachable(ILogger logger, string key, string error);
}
