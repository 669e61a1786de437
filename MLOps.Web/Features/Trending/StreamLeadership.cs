using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// One stream reader per cluster. With Redis, a stream source (replay, x, mastodon) is read only by
/// the replica that holds the lease <c>{prefix}trending:{RedisKey}:leader</c> (a <see cref="LeaderElection"/>
/// over a token-checked <see cref="RedisLease"/>); the others stand by, serve reads, and take over when
/// the leader stops or dies. <c>push</c> needs no leader (every replica counts what it is sent), and
/// without Redis the one process is the reader.
/// </summary>
public sealed class StreamLeadership
{
    private readonly LeaderElection? _election;
    private readonly string _alone;

    public StreamLeadership(IServiceProvider services, IOptions<TrendingOptions> options, TimeProvider time, TrendingMetrics metrics, ILogger<StreamLeadership> logger)
    {
        var o = options.Value;
        InstanceId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
        _alone = o.Source == TrendingSourceKind.Push ? "reader: every replica counts what it is sent (push)" : "reader: the only one (no Redis, no lease)";
        if (o.Source != TrendingSourceKind.Push && services.GetService<IConnectionMultiplexer>() is { } redis)
        {
            var prefix = services.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix;
            var lease = new RedisLease(redis, $"{prefix}trending:{o.RedisKey}:leader", InstanceId, o.Leader.LeaseDuration);
            _election = new LeaderElection(lease, o.Leader.EffectiveRenewInterval, time, logger);
        }

        metrics.ObserveLeadership(() => Role == LeadershipRole.Standby ? 0 : 1, () => _election?.Changes ?? 0, InstanceId);
    }

    /// <summary>This replica's name in the lease (machine, process, random suffix).</summary>
    public string InstanceId { get; }

    /// <summary>Whether a lease decides who reads (Redis and a stream source).</summary>
    public bool UsesLease => _election is not null;

    public LeadershipRole Role => _election is null ? LeadershipRole.Only : _election.IsLeader ? LeadershipRole.Leader : LeadershipRole.Standby;

    /// <summary>Runs <paramref name="read"/> while this replica leads (always, without a lease).</summary>
    public Task RunAsync(Func<CancellationToken, Task> read, CancellationToken stoppingToken) =>
        _election is null ? read(stoppingToken) : _election.RunAsync(read, stoppingToken);

    /// <summary>The role as readiness reports it and who leads (null without a lease or when Redis cannot say).</summary>
    public async Task<(string Role, string? Leader)> DescribeAsync(CancellationToken cancellationToken)
    {
        if (_election is null)
        {
            return (_alone, null);
        }

        string? leader;
        try
        {
            leader = await _election.Lease.ReadHolderAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            leader = null;
        }

        return (Role == LeadershipRole.Leader ? "leader: this replica reads the stream" : "standby: another replica reads the stream", leader);
    }
}

/// <summary>Whether this replica reads the stream.</summary>
public enum LeadershipRole
{
    /// <summary>No lease: the only reader (no Redis), or every replica counts (push).</summary>
    Only,

    Leader,

    Standby,
}
