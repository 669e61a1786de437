using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;

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

/// <summary>Start-time validation; each failure names its setting.</summary>
internal sealed class TrendingOptionsValidator(IHostEnvironment environment) : IValidateOptions<TrendingOptions>
{
    public ValidateOptionsResult Validate(string? name, TrendingOptions o)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(o.Source))
        {
            errors.Add("Trending:Source must be one of replay, x, mastodon, push.");
        }

        ValidateWindow(o, errors);
        ValidateLimits(o, errors);
        switch (o.Source)
        {
            case TrendingSourceKind.Replay:
                ValidateReplay(o.Replay, environment, errors);
                break;
            case TrendingSourceKind.X:
                ValidateX(o.X, errors);
                break;
            case TrendingSourceKind.Mastodon:
                ValidateMastodon(o.Mastodon, errors);
                break;
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Slide, window and the bucket count they make.</summary>
    private static void ValidateWindow(TrendingOptions o, List<string> errors)
    {
        if (o.Slide < TimeSpan.FromMilliseconds(100) || o.Slide > TimeSpan.FromHours(1))
        {
            errors.Add("Trending:Slide must be between 00:00:00.1 and 01:00:00.");
        }
        else if (o.Window < o.Slide || o.Window > TimeSpan.FromDays(7))
        {
            errors.Add("Trending:Window must be at least Trending:Slide and at most 7 days.");
        }
        else if (o.BucketCount > 20_000)
        {
            errors.Add("Trending:Window / Trending:Slide must be at most 20000 buckets.");
        }
    }

    /// <summary>Sizes: top N, tag length, push batch, and the Redis key.</summary>
    private static void ValidateLimits(TrendingOptions o, List<string> errors)
    {
        if (o.TopN is < 1 or > 10_000)
        {
            errors.Add("Trending:TopN must be between 1 and 10000.");
        }

        if (o.MaxTagLength is < 1 or > 1000)
        {
            errors.Add("Trending:MaxTagLength must be between 1 and 1000.");
        }

        if (o.MaxPushBatch is < 1 or > 100_000)
        {
            errors.Add("Trending:MaxPushBatch must be between 1 and 100000.");
        }

        if (string.IsNullOrWhiteSpace(o.RedisKey))
        {
            errors.Add("Trending:RedisKey must not be empty.");
        }
    }

    private static void ValidateReplay(ReplaySourceOptions replay, IHostEnvironment environment, List<string> errors)
    {
        if (!(replay.PostsPerSecond >= 0))
        {
            errors.Add("Trending:Replay:PostsPerSecond must be 0 (unthrottled) or more.");
        }

        if (ResolveReplayFile(replay.File, environment) is null)
        {
            errors.Add($"Trending:Replay:File '{replay.File}' does not exist.");
        }
    }

    private static void ValidateX(XSourceOptions x, List<string> errors)
    {
        if (!Uri.TryCreate(x.BaseUrl, UriKind.Absolute, out _))
        {
            errors.Add("Trending:X:BaseUrl must be an absolute URL.");
        }

        if (ReadSecret(x.BearerToken, x.BearerTokenFile, "Trending:X:BearerTokenFile", errors) is null)
        {
            errors.Add("Trending:X:BearerToken (or Trending:X:BearerTokenFile) is required when Trending:Source is x; set the Trending__X__BearerToken environment variable.");
        }

        if (x.Rules.Any(r => string.IsNullOrWhiteSpace(r.Value)))
        {
            errors.Add("Trending:X:Rules: every rule needs a Value.");
        }

        if (x.StallTimeout <= TimeSpan.Zero)
        {
            errors.Add("Trending:X:StallTimeout must be positive.");
        }
    }

    private static void ValidateMastodon(MastodonSourceOptions mastodon, List<string> errors)
    {
        if (!Uri.TryCreate(mastodon.InstanceUrl, UriKind.Absolute, out _))
        {
            errors.Add("Trending:Mastodon:InstanceUrl must be an absolute URL when Trending:Source is mastodon.");
        }

        if (string.IsNullOrWhiteSpace(mastodon.StreamPath) || !mastodon.StreamPath.StartsWith('/'))
        {
            errors.Add("Trending:Mastodon:StreamPath must start with '/'.");
        }

        _ = ReadSecret(mastodon.AccessToken, mastodon.AccessTokenFile, "Trending:Mastodon:AccessTokenFile", errors);
        if (mastodon.StallTimeout <= TimeSpan.Zero)
        {
            errors.Add("Trending:Mastodon:StallTimeout must be positive.");
        }
    }

    /// <summary>The replay file's absolute path: rooted, else under the content root, else under the app folder; null if absent.</summary>
    public static string? ResolveReplayFile(string? file, IHostEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(file))
        {
            return null;
        }

        if (Path.IsPathRooted(file))
        {
            return File.Exists(file) ? file : null;
        }

        foreach (var root in new[] { environment.ContentRootPath, AppContext.BaseDirectory })
        {
            var candidate = Path.GetFullPath(Path.Combine(root, file));
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? ReadSecret(string? value, string? file, string fileSetting, List<string> errors)
    {
        try
        {
            return Secrets.Read(value, file);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{fileSetting}: {ex.Message}");
            return null;
        }
    }
}
