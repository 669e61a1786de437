using Microsoft.Extensions.Options;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// The hosted ingest: runs the configured source (restarting it after failures) while this replica
/// leads (<see cref="StreamLeadership"/>: with Redis, one stream reader per cluster) and, once per
/// slide (aligned to slide boundaries), advances the window and flushes the store, retrying a
/// failed flush with exponential backoff (0.5 s doubling up to one slide).
/// </summary>
internal sealed class TrendingIngestService(
    IServiceProvider services,
    ITrendingStore store,
    StreamLeadership leadership,
    TrendingSlideSignal signal,
    TrendingMetrics metrics,
    IOptions<TrendingOptions> options,
    TimeProvider time,
    ILogger<TrendingIngestService> logger) : BackgroundService
{
    private readonly TrendingOptions _options = options.Value;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TrendingLog.Started(logger, _options.SourceName, store.Name, _options.Window, _options.Slide, _options.TopN);
        return Task.WhenAll(
            Task.Run(() => leadership.RunAsync(RunSourceAsync, stoppingToken), stoppingToken),
            Task.Run(() => RunSlidesAsync(stoppingToken), stoppingToken));
    }

    private IPostSource? CreateSource() => _options.Source switch
    {
        TrendingSourceKind.Replay => services.GetRequiredService<ReplaySource>(),
        TrendingSourceKind.X => services.GetRequiredService<XStreamSource>(),
        TrendingSourceKind.Mastodon => services.GetRequiredService<MastodonSource>(),
        _ => null,
    };

    private async Task RunSourceAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        IPostSource? source = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                source ??= CreateSource();
                if (source is null)
                {
                    return; // push: producers call POST /api/posts
                }

                await source.RunAsync(stoppingToken);
                if (!stoppingToken.IsCancellationRequested)
                {
                    TrendingLog.SourceFinished(logger, source.Name);
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(failures, 6))));
                TrendingLog.SourceFailed(logger, ex, _options.SourceName, wait);
                try
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RunSlidesAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var slide = _options.Slide;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = failures == 0
                    ? UntilNextBoundary(time.GetUtcNow(), slide)
                    : TimeSpan.FromMilliseconds(Math.Min(slide.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures - 1, 16))));
                await Task.Delay(wait, time, stoppingToken);
                var ok = await store.SlideAsync(stoppingToken);
                failures = ok ? 0 : failures + 1;
                metrics.UpdateRates(time);
                signal.Pulse();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                TrendingLog.SlideFailed(logger, ex);
            }
        }
    }

    /// <summary>Time until just after the next slide boundary, so a flush includes the whole bucket that just closed.</summary>
    internal static TimeSpan UntilNextBoundary(DateTimeOffset now, TimeSpan slide)
    {
        var slideMs = (long)slide.TotalMilliseconds;
        var ms = now.ToUnixTimeMilliseconds();
        var next = (ms / slideMs + 1) * slideMs;
        return TimeSpan.FromMilliseconds(next - ms + 20);
    }
}
