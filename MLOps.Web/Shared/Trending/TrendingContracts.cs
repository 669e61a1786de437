using System.Text.Json.Serialization;

namespace MLOps.Web.Shared.Trending;

/// <summary>How trending tags are ordered; a string in JSON (<c>"burst"</c>, <c>"count"</c>, read case-insensitively).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrendingRank>))]
public enum TrendingRank
{
    /// <summary>By the count in the current window (the <c>hashtags</c> sorted set's order).</summary>
    Count,

    /// <summary>By the burst score: the window's count against the tag's baseline rate (new beats evergreen).</summary>
    Burst,
}

/// <summary>What to read: how many, in which order, grouped into topics or not, with merge reasons or not.</summary>
/// <param name="Top">Most tags (topics) returned.</param>
public sealed record TrendingQuery(int Top)
{
    /// <summary>Null: the configured default (<c>Trending:Rank</c>).</summary>
    public TrendingRank? Rank { get; init; }

    /// <summary>True: tags that mean the same thing are one entry with its variants; false: one entry per tag.</summary>
    public bool Topics { get; init; } = true;

    /// <summary>True: each variant says why it joined its topic.</summary>
    public bool Explain { get; init; }
}

/// <summary>
/// A trending hashtag, or a topic of hashtags: <see cref="Tag"/> the case-folded key (of the topic's
/// most frequent variant), <see cref="Display"/> the form seen most often, <see cref="Count"/> the
/// window count (a topic's: the sum of its variants'). Readers that group topics fill
/// <see cref="Variants"/>; use <see cref="Terms"/> for the topic's words (lexical expansions).
/// </summary>
public sealed record TrendingTag(string Tag, string Display, long Count)
{
    /// <summary>The index field a run writes for it (<see cref="LabelNaming.ToFieldName"/>).</summary>
    public string Field => LabelNaming.ToFieldName(Tag);

    /// <summary>The label the model sees ("ChristmasMovies" -> "christmas movies").</summary>
    public string Label => LabelNaming.ToLabel(string.IsNullOrWhiteSpace(Display) ? Tag : Display);

    /// <summary>Burst score (see docs: z of the window count against the baseline rate); null when not computed.</summary>
    public double? Burst { get; init; }

    /// <summary>Count the baseline rate predicts for one window (before the floor); null when not computed.</summary>
    public double? Expected { get; init; }

    /// <summary>The tags of the topic, most frequent first (the first is this tag); empty for an ungrouped tag.</summary>
    public IReadOnlyList<TrendingVariant> Variants { get; init; } = [];

    /// <summary>The distinct labels of the topic's variants (this tag's first): "christmas", "xmas", "christmas movies", "クリスマス".</summary>
    public IReadOnlyList<string> Terms =>
        Variants.Count == 0 ? [Label] : [.. Variants.Select(v => v.Label).Prepend(Label).Distinct(StringComparer.Ordinal)];
}

/// <summary>One tag of a topic: key, display form, window count, and (with <c>explain</c>) why it joined.</summary>
public sealed record TrendingVariant(string Tag, string Display, long Count)
{
    public string Field => LabelNaming.ToFieldName(Tag);

    public string Label => LabelNaming.ToLabel(string.IsNullOrWhiteSpace(Display) ? Tag : Display);

    /// <summary>Why this tag is in the topic; null unless explained.</summary>
    public TopicMerge? Reason { get; init; }
}

/// <summary>Why a tag joined a topic.</summary>
/// <param name="Rule"><c>label</c> (the most frequent variant), <c>accents</c>, <c>words</c>, <c>co_occurrence</c> or <c>embedding</c>.</param>
/// <param name="With">The tag whose topic it joined (null for the label).</param>
/// <param name="Value">The rule's measure: share of co-occurring posts, cosine; null when the rule has none.</param>
/// <param name="Detail">The reason in words.</param>
public sealed record TopicMerge(string Rule, string? With, double? Value, string Detail);

/// <summary>The top tags (topics) of the current window.</summary>
public sealed record TrendingSnapshot(IReadOnlyList<TrendingTag> Tags, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string Source)
{
    /// <summary>The order of <see cref="Tags"/>; null when the reader has no ranking (a raw store read).</summary>
    public TrendingRank? Rank { get; init; }

    /// <summary>Start of the baseline the burst score compares with; null when there is none yet.</summary>
    public DateTimeOffset? BaselineStart { get; init; }

    /// <summary>Notes on the rules that could not run (e.g. no embedding model loaded); empty when all ran.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Reads the current trending window, from whichever store is configured.</summary>
public interface ITrendingReader
{
    /// <summary>The top topics in the configured default order.</summary>
    Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken);

    /// <summary>The top tags or topics as <paramref name="query"/> says; readers that cannot rank or group answer <see cref="GetTopAsync(int, CancellationToken)"/>.</summary>
    Task<TrendingSnapshot> GetTopAsync(TrendingQuery query, CancellationToken cancellationToken) => GetTopAsync(query.Top, cancellationToken);
}
