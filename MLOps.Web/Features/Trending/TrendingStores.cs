using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Trending;

/// <summary>Where the window is kept and read: every store counts locally first (<see cref="Local"/>).</summary>
public interface ITrendingStore : ITrendingReader
{
    /// <summary>"memory" or "redis".</summary>
    string Name { get; }

    /// <summary>This replica's own window; ingest counts here.</summary>
    SlidingWindowCounter Local { get; }

    /// <summary>Runs once per slide: expires old buckets, flushes to the shared store. False when the flush failed (retry soon).</summary>
    Task<bool> SlideAsync(CancellationToken cancellationToken);

    /// <summary>Readiness of the store.</summary>
    HealthCheckResult Health();
}

/// <summary>The default store: the window lives in this process.</summary>
public sealed class MemoryTrendingStore(SlidingWindowCounter counter, IOptions<TrendingOptions> options, TimeProvider time) : ITrendingStore
{
    private readonly TrendingOptions _options = options.Value;

    public string Name => "memory";

    public SlidingWindowCounter Local => counter;

    public Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetUtcNow();
        var tags = counter.Top(Math.Clamp(top, 0, _options.TopN), now);
        var (start, end) = counter.Bounds(now);
        return Task.FromResult(new TrendingSnapshot(tags, start, end, _options.SourceName));
    }

    public Task<bool> SlideAsync(CancellationToken cancellationToken)
    {
        counter.Advance(time.GetUtcNow());
        return Task.FromResult(true);
    }

    public HealthCheckResult Health() => HealthCheckResult.Healthy(
        $"in-process window, {counter.DistinctTags} distinct tags",
        new Dictionary<string, object> { ["store"] = Name, ["distinctTags"] = counter.DistinctTags });
}

/// <summary>Readiness check <c>trending</c>: the configured store is usable.</summary>
internal sealed class TrendingHealthCheck(ITrendingStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(store.Health());
}
