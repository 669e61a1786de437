using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// The <see cref="ITrendingReader"/> other features and the API use: the store's candidates (top
/// <c>Trending:Candidates</c> tags of the window with their baselines and pairs), grouped into topics
/// (<see cref="TopicGrouping"/>, embeddings from <see cref="TopicEmbeddings"/>), scored
/// (<see cref="BurstScore"/> on each topic's summed counts) and ranked by count or burst.
/// </summary>
public sealed class TrendingReader(ITrendingStore store, TopicEmbeddings embeddings, IOptions<TrendingOptions> options) : ITrendingReader
{
    private readonly TrendingOptions _options = options.Value;

    public Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken) =>
        GetTopAsync(new TrendingQuery(top), cancellationToken);

    public async Task<TrendingSnapshot> GetTopAsync(TrendingQuery query, CancellationToken cancellationToken)
    {
        var top = Math.Clamp(query.Top, 0, _options.TopN);
        var rank = query.Rank ?? _options.Rank;
        var candidates = await store.ReadCandidatesAsync(cancellationToken);
        var notes = new List<string>();
        IReadOnlyList<TopicGroup> groups;
        if (query.Topics && _options.Topics.Enabled && candidates.Tags.Count > 1)
        {
            var vectors = await embeddings.EmbedAsync(
                [.. candidates.Tags.Select(t => (t.Key, LabelNaming.ToLabel(t.Display.Length > 0 ? t.Display : t.Key)))], cancellationToken);
            if (vectors.Note is { } note)
            {
                notes.Add(note);
            }

            groups = TopicGrouping.Group(candidates.Tags, candidates.Pairs, vectors, _options.Topics, candidates.Posts);
        }
        else
        {
            groups = [.. Enumerable.Range(0, candidates.Tags.Count).Select(i => new TopicGroup([i], new Dictionary<int, TopicMerge>()))];
        }

        var tags = groups.Select(g => ToTag(g, candidates, query)).ToList();
        var ranked = TopRanking.Select(tags, top, rank == TrendingRank.Burst ? ByBurst : ByCount);
        return new TrendingSnapshot(ranked, candidates.WindowStart, candidates.WindowEnd, candidates.Source)
        {
            Rank = rank,
            BaselineStart = candidates.BaselineSpan > TimeSpan.Zero ? candidates.BaselineStart : null,
            Notes = notes,
        };
    }

    /// <summary>A topic as a tag: the most frequent variant's key and display, the summed counts, the burst of the sums.</summary>
    private TrendingTag ToTag(TopicGroup group, TrendingCandidates candidates, TrendingQuery query)
    {
        var head = candidates.Tags[group.Members[0]];
        long count = 0, baseline = 0;
        foreach (var m in group.Members)
        {
            count += candidates.Tags[m].Count;
            baseline += candidates.Tags[m].BaselineCount;
        }

        var (expected, burst) = BurstScore.Of(count, baseline, candidates.Window, candidates.BaselineSpan, _options.Baseline.MinExpected);
        var grouped = query.Topics && _options.Topics.Enabled;
        return new TrendingTag(head.Key, head.Display, count)
        {
            Burst = Math.Round(burst, 4),
            Expected = Math.Round(expected, 4),
            Variants = grouped ? [.. group.Members.Select(m => Variant(candidates.Tags[m], m, group, query.Explain))] : [],
        };
    }

    private static TrendingVariant Variant(CandidateTag tag, int member, TopicGroup group, bool explain) =>
        new(tag.Key, tag.Display, tag.Count)
        {
            Reason = !explain ? null
                : member == group.Members[0] ? new TopicMerge("label", null, null, $"The topic's most frequent variant ({tag.Count} in the window).")
                : group.Reasons.GetValueOrDefault(member),
        };

    private static readonly IComparer<TrendingTag> ByCount =
        Comparer<TrendingTag>.Create((x, y) => TopRanking.CompareAsRedis(x!.Count, x.Tag, y!.Count, y.Tag));

    private static readonly IComparer<TrendingTag> ByBurst = Comparer<TrendingTag>.Create((x, y) =>
    {
        var c = (x!.Burst ?? 0).CompareTo(y!.Burst ?? 0);
        return c != 0 ? c : TopRanking.CompareAsRedis(x.Count, x.Tag, y.Count, y.Tag);
    });
}
