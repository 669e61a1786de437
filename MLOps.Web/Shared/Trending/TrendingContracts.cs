namespace MLOps.Web.Shared.Trending;

/// <summary>A trending hashtag: <see cref="Tag"/> case-folded key, <see cref="Display"/> the form seen most often.</summary>
public sealed record TrendingTag(string Tag, string Display, long Count);

/// <summary>The top tags of the current window.</summary>
public sealed record TrendingSnapshot(IReadOnlyList<TrendingTag> Tags, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string Source);

/// <summary>Reads the current trending window, from whichever store is configured.</summary>
public interface ITrendingReader
{
    Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken);
}
