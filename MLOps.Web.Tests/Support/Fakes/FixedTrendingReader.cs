using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>An <see cref="ITrendingReader"/> whose tags the test sets (most counted first).</summary>
public sealed class FixedTrendingReader(params string[] displays) : ITrendingReader
{
    public IReadOnlyList<string> Displays { get; set; } = displays;

    public Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken)
    {
        var tags = Displays.Select((d, i) => new TrendingTag(d.TrimStart('#').ToLowerInvariant(), d.TrimStart('#'), 1000 - i)).Take(top).ToList();
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(new TrendingSnapshot(tags, now.AddMinutes(-30), now, "fixed"));
    }
}

/// <summary>The system clock shifted by <see cref="Offset"/>: real time keeps flowing, tests jump days ahead.</summary>
public sealed class OffsetTimeProvider : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
