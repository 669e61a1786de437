using System.Net;

namespace MLOps.Web.Features.Trending;

/// <summary>A source that runs until cancelled, or until its input ends (replay without loop).</summary>
public interface IPostSource
{
    /// <summary>The source's name in logs and metrics.</summary>
    string Name { get; }

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>An HTTP error answer from a stream endpoint; picks the HTTP or 429 backoff.</summary>
public sealed class StreamHttpException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public DisconnectKind Kind => Status == HttpStatusCode.TooManyRequests ? DisconnectKind.RateLimited : DisconnectKind.Http;
}

/// <summary>
/// A long-lived HTTP stream of lines (X filtered stream, Mastodon SSE): connect, read lines until
/// the stream ends, stalls or fails, then reconnect after the backoff that fits the failure.
/// </summary>
public abstract class StreamingPostSource(
    IHttpClientFactory httpClientFactory,
    PostIngestor ingestor,
    TrendingMetrics metrics,
    IReconnectDelay delay,
    TimeProvider time,
    ILogger logger) : IPostSource
{
    private readonly ReconnectBackoff _backoff = new();

    public abstract string Name { get; }

    protected abstract string HttpClientName { get; }

    protected abstract TimeSpan StallTimeout { get; }

    protected PostIngestor Ingestor => ingestor;

    protected ILogger Logger => logger;

    /// <summary>Work before each connection (X: rules sync). Throw <see cref="StreamHttpException"/> for HTTP errors.</summary>
    protected virtual Task PrepareAsync(HttpClient client, CancellationToken cancellationToken) => Task.CompletedTask;

    protected abstract HttpRequestMessage CreateStreamRequest();

    /// <summary>A fresh per-connection line handler.</summary>
    protected abstract Action<string> CreateLineHandler();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var (kind, reason) = await ConnectOnceAsync(cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var wait = _backoff.Next(kind);
            metrics.Reconnect(Name, kind.ToString().ToLowerInvariant());
            TrendingLog.StreamDisconnected(logger, Name, kind, reason, wait);
            try
            {
                await delay.DelayAsync(wait, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Reports a malformed line.</summary>
    protected void Malformed(string error)
    {
        ingestor.Malformed(Name);
        TrendingLog.MalformedLine(logger, Name, error);
    }

    private async Task<(DisconnectKind Kind, string Reason)> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        using var stall = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var link = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), stall);
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            await PrepareAsync(client, cancellationToken);
            using var request = CreateStreamRequest();
            stall.CancelAfter(StallTimeout);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token);
            if (!response.IsSuccessStatusCode)
            {
                var error = new StreamHttpException(response.StatusCode, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                return (error.Kind, error.Message);
            }

            TrendingLog.StreamConnected(logger, Name);
            await using var stream = await response.Content.ReadAsStreamAsync(stall.Token);
            using var reader = new LineReader(stream);
            reader.DataReceived += () => stall.CancelAfter(StallTimeout);
            var handle = CreateLineHandler();
            while (true)
            {
                var read = await reader.ReadLineAsync(stall.Token);
                if (read.EndOfStream)
                {
                    return (DisconnectKind.Network, reader.EndedMidLine ? "stream ended in the middle of a line" : "stream ended");
                }

                _backoff.Reset();
                if (read.TooLong)
                {
                    Malformed("line too long");
                    continue;
                }

                handle(read.Line!);
            }
        }
        catch (StreamHttpException ex)
        {
            return (ex.Kind, ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (DisconnectKind.Network, $"no data or heartbeat for {StallTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return (DisconnectKind.Network, ex.Message);
        }
        catch (OperationCanceledException)
        {
            return (DisconnectKind.Network, "stopped");
        }
    }
}
