namespace MLOps.Web.Features.Trending;

/// <summary>A tag of the window with its baseline: <paramref name="BaselineCount"/> counts the whole baseline, the window included.</summary>
public sealed record CandidateTag(string Key, string Display, long Count, long BaselineCount);

/// <summary>Posts of the window that carry both tags.</summary>
public sealed record TagPair(string A, string B, long Count);

/// <summary>
/// What a store hands the reader: the top <c>Trending:Candidates</c> tags of the window by count
/// (most first), their baseline counts, the most frequent tag pairs, and the bounds. BaselineStart:
/// since when the baseline holds data, the later of the oldest live baseline bucket and when counting started.
/// </summary>
public sealed record TrendingCandidates(
    IReadOnlyList<CandidateTag> Tags,
    IReadOnlyList<TagPair> Pairs,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    DateTimeOffset BaselineStart,
    TimeSpan Window,
    string Source)
{
    /// <summary>Posts in the window (with or without tags): what a tag's share of posts is measured against.</summary>
    public long Posts { get; init; }

    /// <summary>The baseline span before the window (zero until the service has counted for longer than one window).</summary>
    public TimeSpan BaselineSpan => WindowStart > BaselineStart ? WindowStart - BaselineStart : TimeSpan.Zero;
}

/// <summary>
/// The burst score, pure. With <c>c</c> the window count, <c>b</c> the baseline count before the
/// window (baseline total minus <c>c</c>), <c>W</c> the window and <c>D</c> the baseline span before it:
/// the expected count per window is <c>e = b · W / max(D, W)</c> (a baseline shorter than one window
/// is read as one window, so a young baseline errs towards "new"), floored at <c>m</c>
/// (<c>Trending:Baseline:MinExpected</c>): <c>e' = max(e, m)</c>. The score is the Poisson z-score
/// <c>(c − e') / √e'</c>: a steady tag scores about 0 whatever its volume, a tag rising from nothing
/// scores <c>(c − m)/√m</c>, and the floor keeps a tag seen a few times from outranking real bursts.
/// With no baseline yet (<c>D = 0</c>) every tag has <c>e' = m</c>, so the burst order is the count order.
/// </summary>
public static class BurstScore
{
    public static (double Expected, double Score) Of(long count, long baselineTotal, TimeSpan window, TimeSpan span, double minExpected)
    {
        var before = Math.Max(0, baselineTotal - count);
        var expected = span <= TimeSpan.Zero || window <= TimeSpan.Zero
            ? 0
            : before * (window / (span > window ? span : window));
        var floored = Math.Max(expected, minExpected);
        return (expected, (count - floored) / Math.Sqrt(floored));
    }
}
