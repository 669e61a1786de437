using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Trending;

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
        ValidateBaseline(o, errors);
        ValidateTopics(o.Topics, errors);
        ValidateLeader(o.Leader, errors);
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

    /// <summary>The baseline covers the window plus one bucket, in at most 20000 buckets; the floor is positive.</summary>
    private static void ValidateBaseline(TrendingOptions o, List<string> errors)
    {
        var b = o.Baseline;
        if (b.Bucket < o.Slide || b.Bucket > TimeSpan.FromDays(1))
        {
            errors.Add("Trending:Baseline:Bucket must be between Trending:Slide and 1 day.");
        }
        else if (b.Window < o.Window + b.Bucket || b.Window > TimeSpan.FromDays(90))
        {
            errors.Add("Trending:Baseline:Window must be at least Trending:Window + Trending:Baseline:Bucket and at most 90 days.");
        }
        else if (b.BucketCount > 20_000)
        {
            errors.Add("Trending:Baseline:Window / Trending:Baseline:Bucket must be at most 20000 buckets.");
        }

        if (!(b.MinExpected > 0))
        {
            errors.Add("Trending:Baseline:MinExpected must be positive.");
        }

        if (o.Candidates < o.TopN || o.Candidates > 10_000)
        {
            errors.Add("Trending:Candidates must be between Trending:TopN and 10000.");
        }

        if (o.EffectiveBurstRedisKey == o.RedisKey)
        {
            errors.Add("Trending:BurstRedisKey must differ from Trending:RedisKey.");
        }

        if (!Enum.IsDefined(o.Rank))
        {
            errors.Add("Trending:Rank must be burst or count.");
        }
    }

    private static void ValidateTopics(TopicOptions t, List<string> errors)
    {
        if (!(t.CoOccurrenceShare is > 0 and <= 1))
        {
            errors.Add("Trending:Topics:CoOccurrenceShare must be in (0, 1].");
        }

        if (!(t.CoOccurrenceMaxPValue is > 0 and <= 1))
        {
            errors.Add("Trending:Topics:CoOccurrenceMaxPValue must be in (0, 1].");
        }

        if (t.CoOccurrenceMinPosts < 1)
        {
            errors.Add("Trending:Topics:CoOccurrenceMinPosts must be at least 1.");
        }

        if (t.PairTagsPerPost is < 2 or > 50)
        {
            errors.Add("Trending:Topics:PairTagsPerPost must be between 2 and 50.");
        }

        if (t.MaxPairs is < 1 or > 1_000_000)
        {
            errors.Add("Trending:Topics:MaxPairs must be between 1 and 1000000.");
        }

        foreach (var (model, threshold) in t.EmbeddingThresholds)
        {
            if (!(threshold is >= 0 and <= 1))
            {
                errors.Add($"Trending:Topics:EmbeddingThresholds:{model} must be in [0, 1] (0 turns the rule off).");
            }
        }

        if (t.EmbeddingTimeout < TimeSpan.Zero || t.EmbeddingTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("Trending:Topics:EmbeddingTimeout must be between 0 and 5 minutes.");
        }
    }

    private static void ValidateLeader(LeaderOptions l, List<string> errors)
    {
        if (l.LeaseDuration < TimeSpan.FromSeconds(1) || l.LeaseDuration > TimeSpan.FromMinutes(5))
        {
            errors.Add("Trending:Leader:LeaseDuration must be between 1 second and 5 minutes.");
        }
        else if (l.EffectiveRenewInterval < TimeSpan.FromMilliseconds(100) || l.EffectiveRenewInterval > l.LeaseDuration / 2)
        {
            errors.Add("Trending:Leader:RenewInterval must be at least 0.1 s and at most half of Trending:Leader:LeaseDuration.");
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
