using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Trending;

/// <summary>Where the window is kept and read: every store counts locally first (<see cref="Counters"/>).</summary>
public interface ITrendingStore
{
    /// <summary>"memory" or "redis".</summary>
    string Name { get; }

    /// <summary>This replica's counters (window, baseline, pairs); ingest counts here.</summary>
    TrendingCounters Counters { get; }

    /// <summary>This replica's own trending window (<see cref="TrendingCounters.Window"/>).</summary>
    SlidingWindowCounter Local => Counters.Window;

    /// <summary>The top tags of the (shared) window by count, one per tag: what the <c>hashtags</c> sorted set holds.</summary>
    Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken);

    /// <summary>The top <c>Trending:Candidates</c> tags with baselines and pairs, for topics and bursts (<see cref="TrendingReader"/>).</summary>
    Task<TrendingCandidates> ReadCandidatesAsync(CancellationToken cancellationToken);

    /// <summary>Runs once per slide: expires old buckets, flushes to the shared store. False when the flush failed (retry soon).</summary>
    Task<bool> SlideAsync(CancellationToken cancellationToken);

    /// <summary>Readiness of the store.</summary>
    HealthCheckResult Health();
}

/// <summary>The default store: the window lives in this process.</summary>
public sealed class MemoryTrendingStore(TrendingCounters counters, IOptions<TrendingOptions> options, TimeProvider time) : ITrendingStore
{
    private readonly TrendingOptions _options = options.Value;

    public string Name => "memory";

    public TrendingCounters Counters => counters;

    public Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetUtcNow();
        var tags = counters.Window.Top(Math.Clamp(top, 0, _options.TopN), now);
        var (start, end) = counters.Window.Bounds(now);
        return Task.FromResult(new TrendingSnapshot(tags, start, end, _options.SourceName) { Rank = TrendingRank.Count });
    }

    public Task<TrendingCandidates> ReadCandidatesAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(LocalCandidates(counters, _options, time.GetUtcNow()));
    }

    /// <summary>The candidates of this replica's own counters (also the Redis store's answer while Redis is away).</summary>
    internal static TrendingCandidates LocalCandidates(TrendingCounters counters, TrendingOptions options, DateTimeOffset now)
    {
        var top = counters.Window.Top(options.Candidates, now);
        var keys = top.Select(t => t.Tag).ToList();
        var baseline = counters.Baseline.CountsOf(keys, now);
        var tags = top.Select((t, i) => new CandidateTag(t.Tag, t.Display, t.Count, baseline[i])).ToList();
        var inWindow = keys.ToHashSet(StringComparer.Ordinal);
        var pairs = new List<TagPair>();
        var posts = counters.Pairs.CountOf(TrendingCounters.PostsKey, now);
        foreach (var p in counters.Pairs.Top(options.Topics.MaxPairs, now))
        {
            var (a, b) = TrendingCounters.SplitPair(p.Tag);
            if (inWindow.Contains(a) && inWindow.Contains(b))
            {
                pairs.Add(new TagPair(a, b, p.Count));
            }
        }

        var (start, end) = counters.Window.Bounds(now);
        var baselineStart = counters.Baseline.Bounds(now).Start;
        return new TrendingCandidates(tags, pairs, start, end, baselineStart > counters.Since ? baselineStart : counters.Since, options.Window, options.SourceName)
        {
            Posts = posts,
        };
    }

    public Task<bool> SlideAsync(CancellationToken cancellationToken)
    {
        counters.Advance(time.GetUtcNow());
        return Task.FromResult(true);
    }

    public HealthCheckResult Health() => HealthCheckResult.Healthy(
        $"in-process window, {counters.Window.DistinctTags} distinct tags",
        new Dictionary<string, object> { ["store"] = Name, ["distinctTags"] = counters.Window.DistinctTags });
}

/// <summary>Readiness check <c>trending</c>: the configured store is usable, and which replica reads the stream.</summary>
internal sealed class TrendingHealthCheck(ITrendingStore store, StreamLeadership leadership) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = store.Health();
        var data = new Dictionary<string, object>(health.Data);
        var (role, leader) = await leadership.DescribeAsync(cancellationToken);
        data["role"] = role;
        data["instance"] = leadership.InstanceId;
        if (leader is not null)
        {
            data["leader"] = leader;
        }

        return new HealthCheckResult(health.Status, $"{health.Description}; {role}", health.Exception, data);
    }
}
