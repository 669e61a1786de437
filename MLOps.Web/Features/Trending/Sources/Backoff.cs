namespace MLOps.Web.Features.Trending;

/// <summary>Why a stream connection ended, which picks the backoff schedule.</summary>
public enum DisconnectKind
{
    /// <summary>TCP/IP level: refused, reset, stalled, ended.</summary>
    Network,

    /// <summary>An HTTP error status other than 429.</summary>
    Http,

    /// <summary>HTTP 429 Too Many Requests.</summary>
    RateLimited,
}

/// <summary>
/// Reconnect delays as X documents them for its streams: network errors back off linearly by
/// 250 ms up to 16 s; HTTP errors exponentially from 5 s up to 320 s; 429 exponentially from 60 s
/// (capped here at 960 s). Each schedule has its own attempt count; all reset once the stream
/// delivers a line again.
/// </summary>
public sealed class ReconnectBackoff
{
    public static readonly TimeSpan NetworkStep = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan NetworkMax = TimeSpan.FromSeconds(16);
    public static readonly TimeSpan HttpStart = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan HttpMax = TimeSpan.FromSeconds(320);
    public static readonly TimeSpan RateLimitStart = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan RateLimitMax = TimeSpan.FromSeconds(960);

    private int _network;
    private int _http;
    private int _rateLimited;

    /// <summary>The delay before the next attempt after a disconnect of <paramref name="kind"/>.</summary>
    public TimeSpan Next(DisconnectKind kind) => kind switch
    {
        DisconnectKind.Network => Min(NetworkStep * ++_network, NetworkMax),
        DisconnectKind.Http => Exponential(HttpStart, ++_http, HttpMax),
        DisconnectKind.RateLimited => Exponential(RateLimitStart, ++_rateLimited, RateLimitMax),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public void Reset() => (_network, _http, _rateLimited) = (0, 0, 0);

    private static TimeSpan Exponential(TimeSpan start, int attempt, TimeSpan max) =>
        attempt > 20 ? max : Min(start * Math.Pow(2, attempt - 1), max);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>Waits before a reconnect; tests replace it to record the schedule without waiting.</summary>
public interface IReconnectDelay
{
    Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>Waits on the registered <see cref="TimeProvider"/>.</summary>
public sealed class TimeProviderReconnectDelay(TimeProvider time) : IReconnectDelay
{
    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, time, cancellationToken);
}
