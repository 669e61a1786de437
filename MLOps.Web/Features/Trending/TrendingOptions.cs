using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Trending;

/// <summary>Where posts come from; one at a time.</summary>
public enum TrendingSourceKind
{
    /// <summary>Replays a JSONL file of posts (the bundled sample by default).</summary>
    Replay,

    /// <summary>X API v2 filtered stream.</summary>
    X,

    /// <summary>Mastodon streaming API (server-sent events).</summary>
    Mastodon,

    /// <summary>No background source: producers call <c>POST /api/posts</c>.</summary>
    Push,
}

/// <summary>Where the window lives.</summary>
public enum TrendingStoreKind
{
    /// <summary>Redis when <c>Redis:ConnectionString</c> is set, else in-process.</summary>
    Auto,

    /// <summary>In-process window, per replica.</summary>
    Memory,

    /// <summary>10-second bucket sorted sets in Redis, shared by replicas; requires <c>Redis:ConnectionString</c>.</summary>
    Redis,
}

/// <summary>Settings of the <c>Trending</c> section.</summary>
public sealed class TrendingOptions
{
    public const string SectionName = "Trending";

    /// <summary>Stop-list used when none is configured.</summary>
    public static readonly IReadOnlyList<string> DefaultStopList = ["fyp", "foryou", "foryoupage", "viral"];

    public TrendingSourceKind Source { get; set; } = TrendingSourceKind.Replay;

    public TrendingStoreKind Store { get; set; } = TrendingStoreKind.Auto;

    /// <summary>Length of the sliding window.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the window slides (bucket width, Redis flush period, SSE update period).</summary>
    public TimeSpan Slide { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many tags the window keeps (and <c>hashtags</c> is trimmed to).</summary>
    public int TopN { get; set; } = 20;

    /// <summary>Case-insensitive tags never counted (with or without '#'); null: <see cref="DefaultStopList"/>.</summary>
    public string[]? StopList { get; set; }

    /// <summary>Longest tag counted, in UTF-16 characters; longer tags are ignored, not truncated.</summary>
    public int MaxTagLength { get; set; } = 100;

    /// <summary>Redis sorted set holding the top N of the window (reference-compatible name, no prefix).</summary>
    public string RedisKey { get; set; } = "hashtags";

    /// <summary>Most posts accepted by one <c>POST /api/posts</c>.</summary>
    public int MaxPushBatch { get; set; } = 1000;

    public ReplaySourceOptions Replay { get; set; } = new();

    public XSourceOptions X { get; set; } = new();

    public MastodonSourceOptions Mastodon { get; set; } = new();

    /// <summary>Default order of <c>GET /api/trending</c>, the SSE stream and other features' reads (runs, <c>sort=trending</c>).</summary>
    public TrendingRank Rank { get; set; } = TrendingRank.Burst;

    /// <summary>Redis sorted set with the burst ranking (tag -> burst score, top N; no prefix); null: <see cref="RedisKey"/> + <c>:burst</c> (<c>hashtags:burst</c>).</summary>
    public string? BurstRedisKey { get; set; }

    public string EffectiveBurstRedisKey => string.IsNullOrWhiteSpace(BurstRedisKey) ? RedisKey + ":burst" : BurstRedisKey;

    /// <summary>Tags of the window (by count) that topics and burst scores are computed over.</summary>
    public int Candidates { get; set; } = 200;

    public BaselineOptions Baseline { get; set; } = new();

    public TopicOptions Topics { get; set; } = new();

    public LeaderOptions Leader { get; set; } = new();

    public IReadOnlyList<string> EffectiveStopList => StopList ?? DefaultStopList;

    /// <summary>Number of slide buckets in the window (window rounded up to whole slides).</summary>
    public int BucketCount => (int)Math.Ceiling(Window.Ticks / (double)Slide.Ticks);

    /// <summary>The source's name as the API reports it.</summary>
    public string SourceName => Source.ToString().ToLowerInvariant();
}

/// <summary><c>Trending:Replay</c>: the JSONL replay source.</summary>
public sealed class ReplaySourceOptions
{
    /// <summary>JSONL file of <c>{"text": ..., "hashtags": [...]?}</c>; relative paths resolve against the content root, then the app folder.</summary>
    public string File { get; set; } = "SampleData/posts.jsonl";

    /// <summary>Posts per second; 0 replays as fast as possible.</summary>
    public double PostsPerSecond { get; set; } = 25;

    /// <summary>Start again at the end of the file.</summary>
    public bool Loop { get; set; } = true;
}

/// <summary>A filtered-stream rule managed from configuration.</summary>
public sealed class XRuleOptions
{
    public string Value { get; set; } = "";

    public string? Tag { get; set; }
}

/// <summary><c>Trending:X</c>: the X API v2 filtered stream.</summary>
public sealed class XSourceOptions
{
    /// <summary>API base URL; tests point it at a local server.</summary>
    public string BaseUrl { get; set; } = "https://api.x.com";

    /// <summary>App-only bearer token; prefer the <c>Trending__X__BearerToken</c> environment variable or <see cref="BearerTokenFile"/>.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Mounted file holding the bearer token (wins over <see cref="BearerToken"/>).</summary>
    public string? BearerTokenFile { get; set; }

    /// <summary>The stream rules; on connect, rules not listed here are deleted and missing ones added.</summary>
    public List<XRuleOptions> Rules { get; set; } = [];

    /// <summary>No data and no keep-alive for this long is a disconnect (X sends a keep-alive every 20 s).</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary><c>Trending:Mastodon</c>: the Mastodon streaming API.</summary>
public sealed class MastodonSourceOptions
{
    /// <summary>Instance (or its streaming host) base URL, e.g. <c>https://mastodon.social</c>.</summary>
    public string? InstanceUrl { get; set; }

    /// <summary>Access token; prefer <c>Trending__Mastodon__AccessToken</c> or <see cref="AccessTokenFile"/>. Empty: no Authorization header.</summary>
    public string? AccessToken { get; set; }

    public string? AccessTokenFile { get; set; }

    /// <summary>Streaming endpoint path (and query), e.g. <c>/api/v1/streaming/hashtag?tag=christmas</c>.</summary>
    public string StreamPath { get; set; } = "/api/v1/streaming/public";

    /// <summary>No event and no heartbeat comment for this long is a disconnect.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary><c>Trending:Baseline</c>: the longer window a tag's burst is measured against.</summary>
public sealed class BaselineOptions
{
    /// <summary>How far back the baseline reaches (it covers the current window too; the window's own counts are taken out).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Width of a baseline bucket (coarser than the slide; each bucket key in Redis expires on its own).</summary>
    public TimeSpan Bucket { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Floor of the expected count per window: a rare tag is measured as if it were expected this often.</summary>
    public double MinExpected { get; set; } = 5;

    /// <summary>Number of baseline buckets.</summary>
    public int BucketCount => (int)Math.Ceiling(Window.Ticks / (double)Bucket.Ticks);
}

/// <summary><c>Trending:Topics</c>: which rules merge tags into one topic.</summary>
public sealed class TopicOptions
{
    /// <summary>False: every tag is its own topic.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>CamelCase words: a tag whose words contain another tag's words joins it ("christmas movies" -> "christmas").</summary>
    public bool Words { get; set; } = true;

    /// <summary>A tag joins another when at least this share of the rarer one's posts carry both.</summary>
    public double CoOccurrenceShare { get; set; } = 0.5;

    /// <summary>... and that many shared posts would come by chance (binomial tail at the other tag's share of all posts) with at most this probability.</summary>
    public double CoOccurrenceMaxPValue { get; set; } = 0.01;

    /// <summary>... and at least this many posts carry both.</summary>
    public int CoOccurrenceMinPosts { get; set; } = 3;

    /// <summary>Distinct tags of one post that are paired (a post with more pairs only its first ones).</summary>
    public int PairTagsPerPost { get; set; } = 10;

    /// <summary>Tag pairs kept for the co-occurrence rule (the most frequent ones; Redis trims to this).</summary>
    public int MaxPairs { get; set; } = 2000;

    /// <summary>
    /// Embedding rule, per model name: two topics whose head labels' hypotheses (active model) have at
    /// least this cosine merge. Measured on the sample tags (docs/benchmarks.md, "Topics"): the lowest
    /// threshold with no false merge. A model not listed (or 0) has no embedding rule.
    /// </summary>
    public Dictionary<string, double> EmbeddingThresholds { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["all-MiniLM-L6-v2"] = 0.80,
        ["snowflake-arctic-embed-xs"] = 0.90,

        // their int8 copies (MiniLM's is the default active model): the same lowest thresholds with no false merge
        ["all-MiniLM-L6-v2-int8"] = 0.80,
        ["snowflake-arctic-embed-xs-int8"] = 0.90,
    };

    /// <summary>How long a read waits for new hypothesis embeddings before answering without the rule (they are cached once done).</summary>
    public TimeSpan EmbeddingTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary><c>Trending:Leader</c>: with Redis, one replica reads a stream source (replay, x, mastodon) and counts it.</summary>
public sealed class LeaderOptions
{
    /// <summary>How long the lease lives without renewal: a dead leader is replaced within about this long.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>How often the leader renews and a standby tries to take the lease; null: a third of <see cref="LeaseDuration"/>.</summary>
    public TimeSpan? RenewInterval { get; set; }

    public TimeSpan EffectiveRenewInterval => RenewInterval ?? LeaseDuration / 3;
}
