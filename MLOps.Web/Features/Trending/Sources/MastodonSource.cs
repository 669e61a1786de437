using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// Mastodon streaming API over server-sent events: <c>event: update</c> carries a status whose
/// <c>tags[].name</c> are its hashtags (the HTML <c>content</c> is used only when <c>tags</c> is
/// absent). <c>data:</c> may span several lines (joined with <c>\n</c>), a blank line dispatches the
/// event, lines starting with <c>:</c> are heartbeats, other events (<c>delete</c>,
/// <c>status.update</c>, ...) are ignored.
/// </summary>
public sealed class MastodonSource : StreamingPostSource
{
    public const string ClientName = "Trending.Mastodon";

    private readonly MastodonSourceOptions _options;
    private readonly Uri _streamUri;
    private readonly string? _token;

    public MastodonSource(
        IOptions<TrendingOptions> options,
        IHttpClientFactory httpClientFactory,
        PostIngestor ingestor,
        TrendingMetrics metrics,
        IReconnectDelay delay,
        TimeProvider time,
        ILogger<MastodonSource> logger)
        : base(httpClientFactory, ingestor, metrics, delay, time, logger)
    {
        _options = options.Value.Mastodon;
        var instance = _options.InstanceUrl ?? throw new InvalidOperationException("Trending:Mastodon:InstanceUrl is not set.");
        _streamUri = new Uri(new Uri(instance.TrimEnd('/') + "/"), _options.StreamPath.TrimStart('/'));
        _token = Secrets.Read(_options.AccessToken, _options.AccessTokenFile);
    }

    public override string Name => "mastodon";

    protected override string HttpClientName => ClientName;

    protected override TimeSpan StallTimeout => _options.StallTimeout;

    protected override HttpRequestMessage CreateStreamRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _streamUri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        return request;
    }

    protected override Action<string> CreateLineHandler()
    {
        var parser = new ServerSentEventParser();
        return line =>
        {
            if (parser.Feed(line) is { } evt && evt.Event == "update")
            {
                OnUpdate(evt.Data);
            }
        };
    }

    private void OnUpdate(string data)
    {
        MastodonStatus? status;
        try
        {
            status = JsonSerializer.Deserialize(data, TrendingJsonContext.Default.MastodonStatus);
        }
        catch (JsonException ex)
        {
            Malformed(ex.Message);
            return;
        }

        if (status is null)
        {
            Malformed("null status");
            return;
        }

        var tags = status.Tags?.Select(t => t.Name ?? "").ToList();
        Ingestor.Ingest(tags is null ? status.Content : null, tags);
    }
}

/// <summary>One dispatched server-sent event.</summary>
public readonly record struct ServerSentEvent(string Event, string Data);

/// <summary>The SSE line grammar (WHATWG): fields <c>event</c> and <c>data</c>, comments, blank-line dispatch.</summary>
public sealed class ServerSentEventParser
{
    private readonly StringBuilder _data = new();
    private string _event = "message";
    private bool _hasData;

    /// <summary>Feeds one line (without its end of line); returns the event a blank line completes.</summary>
    public ServerSentEvent? Feed(string line)
    {
        if (line.Length == 0)
        {
            if (!_hasData)
            {
                _event = "message";
                return null;
            }

            var evt = new ServerSentEvent(_event, _data.ToString());
            _data.Clear();
            _hasData = false;
            _event = "message";
            return evt;
        }

        if (line[0] == ':')
        {
            return null; // comment: heartbeat
        }

        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' '))
        {
            value = value[1..];
        }

        switch (field)
        {
            case "event":
                _event = value;
                break;
            case "data":
                if (_hasData)
                {
                    _data.Append('\n');
                }

                _data.Append(value);
                _hasData = true;
                break;
        }

        return null;
    }
}
