using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>One token bucket per client: <see cref="Permits"/> every <see cref="Period"/>, up to <see cref="Burst"/> at once.</summary>
public sealed class BucketOptions
{
    [Range(1, 1_000_000)]
    public int Permits { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 1_000_000)]
    public int Burst { get; set; }
}

/// <summary>
/// Request rates per client (section <c>RateLimits</c>): the API key's name when one was presented,
/// else the client address (after forwarded headers from known proxies). Classify (every classify
/// route, the reference <c>/classify</c> and KServe predict), search, imports, and the routes that
/// enqueue expensive jobs (champion/challenger, reclassify, calibrate, evaluate a model). A request
/// over its limit is a 429 ProblemDetails with <c>Retry-After</c>, counted in
/// <c>mlops_rate_limit_rejected_total</c> (and ASP.NET Core's <c>aspnetcore_rate_limiting_*</c>).
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    public bool Enabled { get; set; } = true;

    public BucketOptions Classify { get; set; } = new() { Permits = 100, Burst = 200 };

    public BucketOptions Search { get; set; } = new() { Permits = 100, Burst = 200 };

    public BucketOptions Import { get; set; } = new() { Permits = 30, Period = TimeSpan.FromMinutes(1), Burst = 30 };

    public BucketOptions Jobs { get; set; } = new() { Permits = 10, Period = TimeSpan.FromMinutes(1), Burst = 10 };
}

/// <summary>The rate limiter's policies and its 429 answer.</summary>
public static class RateLimits
{
    public const string Classify = "classify";
    public const string Search = "search";
    public const string Import = "import";
    public const string Jobs = "jobs";

    private static readonly Meter Meter = new("MLOps.Web.Security");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("mlops.rate_limit.rejected", description: "Requests refused with 429 by the rate limiter, by policy");

    internal static IHostApplicationBuilder AddRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var configured = builder.Configuration.GetSection(RateLimitOptions.SectionName).Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            Add(o, Classify, configured.Enabled, configured.Classify);
            Add(o, Search, configured.Enabled, configured.Search);
            Add(o, Import, configured.Enabled, configured.Import);
            Add(o, Jobs, configured.Enabled, configured.Jobs);
            o.OnRejected = OnRejectedAsync;
        });
        return builder;
    }

    public static TBuilder RequireRateLimit<TBuilder>(this TBuilder builder, string policy)
        where TBuilder : IEndpointConventionBuilder => builder.RequireRateLimiting(policy);

    /// <summary>The client a request is counted against: its key's name, else its address.</summary>
    internal static string ClientOf(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { } name } ? "key:" + name
        : context.Connection.RemoteIpAddress is { } ip ? "ip:" + ip
        : "local";

    private static void Add(RateLimiterOptions o, string policy, bool enabled, BucketOptions bucket) =>
        o.AddPolicy(policy, context => enabled
            ? RateLimitPartition.GetTokenBucketLimiter(ClientOf(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = bucket.Burst,
                TokensPerPeriod = bucket.Permits,
                ReplenishmentPeriod = bucket.Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            })
            : RateLimitPartition.GetNoLimiter("off"));

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "unknown";
        Rejected.Add(1, new KeyValuePair<string, object?>("policy", policy));
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This client is over the '{policy}' rate limit (RateLimits:{char.ToUpperInvariant(policy[0])}{policy[1..]}); retry after {seconds} s.",
            },
        });
    }
}
