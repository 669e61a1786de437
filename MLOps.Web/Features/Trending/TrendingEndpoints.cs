using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Features.Trending;

/// <summary>A post sent to <c>POST /api/posts</c>.</summary>
/// <param name="Text">The post's text; hashtags are extracted from it when <paramref name="Hashtags"/> is absent.</param>
/// <param name="Hashtags">Hashtags the producer already extracted (with or without '#'); they win over the text.</param>
public sealed record PushedPost(string? Text, List<string>? Hashtags);

/// <summary>What <c>POST /api/posts</c> counted.</summary>
public sealed record PushResult(int Accepted, int Hashtags);

/// <summary><c>/api/trending</c> (top tags, SSE stream) and <c>/api/posts</c> (push source).</summary>
public static class TrendingEndpoints
{
    public const int MaxPostLength = 10_000;
    public const int MaxHashtagsPerPost = 100;

    public static WebApplication MapTrendingEndpoints(this WebApplication app)
    {
        var trending = app.MapGroup("/api/trending").WithTags("Trending");
        trending.MapGet("", GetTopAsync)
            .WithName("GetTrending")
            .WithSummary("Top trending topics (tags merged with their variants) of the current window: counts, burst scores, fields, window bounds; rank=burst|count, topics=false for one entry per tag, explain=true for why each variant merged.");
        trending.MapGet("/stream", Stream)
            .WithName("StreamTrending")
            .WithSummary("Server-sent events: the top trending hashtags now, then after every slide.");

        app.MapGroup("/api/posts").WithTags("Trending")
            .MapPost("", Push)
            .WithName("PushPosts")
            .RequireIngest()
            .WithSummary("Push source: counts a batch of posts (Trending:Source must be push).")
            .WithRequestExample("""
                [
                  { "text": "Watching Elf again tonight #ChristmasMovies #christmas" },
                  { "text": "Already extracted upstream", "hashtags": ["WorldCup"] }
                ]
                """);
        return app;
    }

    private static async Task<Results<Ok<TrendingSnapshot>, ValidationProblem>> GetTopAsync(
        int? top, string? rank, bool? topics, bool? explain, ITrendingReader reader, IOptions<TrendingOptions> options, CancellationToken cancellationToken)
    {
        if (ToQuery(top, rank, topics, explain, options.Value) is not { } query)
        {
            return Invalid(top, rank, options.Value);
        }

        return TypedResults.Ok(await reader.GetTopAsync(query, cancellationToken));
    }

    private static Results<ServerSentEventsResult<TrendingSnapshot>, ValidationProblem> Stream(
        int? top, string? rank, bool? topics, bool? explain, ITrendingReader reader, TrendingSlideSignal signal, IOptions<TrendingOptions> options,
        CancellationToken cancellationToken)
    {
        if (ToQuery(top, rank, topics, explain, options.Value) is not { } query)
        {
            return Invalid(top, rank, options.Value);
        }

        return TypedResults.ServerSentEvents(Snapshots(query, reader, signal, cancellationToken), "trending");
    }

    /// <summary>The read the parameters ask for; null when one is invalid (<see cref="Invalid"/> says which).</summary>
    private static TrendingQuery? ToQuery(int? top, string? rank, bool? topics, bool? explain, TrendingOptions options) =>
        (top is { } t && (t < 1 || t > options.TopN)) || (rank is not null && ParseRank(rank) is null)
            ? null
            : new TrendingQuery(top ?? options.TopN) { Rank = rank is null ? null : ParseRank(rank), Topics = topics ?? true, Explain = explain ?? false };

    private static TrendingRank? ParseRank(string rank) => rank.Trim().ToLowerInvariant() switch
    {
        "burst" => TrendingRank.Burst,
        "count" => TrendingRank.Count,
        _ => null,
    };

    private static ValidationProblem Invalid(int? top, string? rank, TrendingOptions options)
    {
        var errors = new Dictionary<string, string[]>();
        if (top is { } t && (t < 1 || t > options.TopN))
        {
            errors["top"] = [$"top must be between 1 and {options.TopN} (Trending:TopN)."];
        }

        if (rank is not null && ParseRank(rank) is null)
        {
            errors["rank"] = ["rank must be burst or count."];
        }

        return TypedResults.ValidationProblem(errors);
    }

    private static async IAsyncEnumerable<TrendingSnapshot> Snapshots(
        TrendingQuery query, ITrendingReader reader, TrendingSlideSignal signal, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = signal.WaitAsync(cancellationToken);
            yield return await reader.GetTopAsync(query, cancellationToken);
            try
            {
                await next;
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private static Results<Accepted<PushResult>, ValidationProblem, ProblemHttpResult> Push(
        PushedPost[]? posts, PostIngestor ingestor, IOptions<TrendingOptions> options)
    {
        var o = options.Value;
        if (o.Source != TrendingSourceKind.Push)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Push source not enabled",
                detail: $"Trending:Source is '{o.SourceName}'; set it to 'push' to accept posts here.");
        }

        var errors = ValidatePosts(posts, o.MaxPushBatch);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var hashtags = 0;
        foreach (var p in posts!)
        {
            hashtags += ingestor.Ingest(p.Text, p.Hashtags is { Count: > 0 } ? p.Hashtags : null);
        }

        return TypedResults.Accepted((string?)null, new PushResult(posts.Length, hashtags));
    }

    /// <summary>
    /// The problems of a pushed batch, keyed by field (<c>posts</c>, <c>[1].text</c>, <c>[1].hashtags</c>);
    /// empty when every post can be counted.
    /// </summary>
    internal static Dictionary<string, string[]> ValidatePosts(PushedPost[]? posts, int maxBatch)
    {
        var errors = new Dictionary<string, string[]>();
        if (posts is null || posts.Length == 0)
        {
            errors["posts"] = ["Send a non-empty JSON array of posts: [{\"text\": ..., \"hashtags\": [...]?}]."];
        }
        else if (posts.Length > maxBatch)
        {
            errors["posts"] = [$"At most {maxBatch} posts per request (Trending:MaxPushBatch); got {posts.Length}."];
        }
        else
        {
            for (var i = 0; i < posts.Length; i++)
            {
                ValidatePost(posts[i], $"[{i}]", errors);
            }
        }

        return errors;
    }

    private static void ValidatePost(PushedPost? post, string field, Dictionary<string, string[]> errors)
    {
        if (post is null)
        {
            errors[field] = ["A post must be an object."];
            return;
        }

        if (string.IsNullOrWhiteSpace(post.Text) && (post.Hashtags is null || post.Hashtags.Count == 0))
        {
            errors[$"{field}.text"] = ["Give text, hashtags, or both."];
        }
        else if (post.Text is { Length: > MaxPostLength })
        {
            errors[$"{field}.text"] = [$"At most {MaxPostLength} characters."];
        }

        if (post.Hashtags is { Count: > MaxHashtagsPerPost })
        {
            errors[$"{field}.hashtags"] = [$"At most {MaxHashtagsPerPost} hashtags per post."];
        }
        else if (post.Hashtags?.Any(h => h is null) == true)
        {
            errors[$"{field}.hashtags"] = ["Hashtags must be strings."];
        }
    }
}
