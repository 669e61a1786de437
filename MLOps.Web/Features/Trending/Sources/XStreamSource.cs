using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// X API v2 filtered stream: <c>GET /2/tweets/search/stream?tweet.fields=entities</c> with an
/// app-only bearer token, one JSON object per line, <c>\r\n</c> keep-alives about every 20 s. Before
/// each connection the stream rules are synced with configuration through
/// <c>/2/tweets/search/stream/rules</c>. Hashtags come from <c>data.entities.hashtags[].tag</c>,
/// else from <c>data.text</c>.
/// </summary>
public sealed class XStreamSource : StreamingPostSource
{
    public const string ClientName = "Trending.X";
    public const string StreamPath = "/2/tweets/search/stream?tweet.fields=entities";
    public const string RulesPath = "/2/tweets/search/stream/rules";

    private readonly XSourceOptions _options;
    private readonly Uri _baseUri;
    private readonly string _token;
    private bool _rulesSynced;

    public XStreamSource(
        IOptions<TrendingOptions> options,
        IHttpClientFactory httpClientFactory,
        PostIngestor ingestor,
        TrendingMetrics metrics,
        IReconnectDelay delay,
        TimeProvider time,
        ILogger<XStreamSource> logger)
        : base(httpClientFactory, ingestor, metrics, delay, time, logger)
    {
        _options = options.Value.X;
        _baseUri = new Uri(_options.BaseUrl.TrimEnd('/') + "/");
        _token = Secrets.Read(_options.BearerToken, _options.BearerTokenFile)
            ?? throw new InvalidOperationException("Trending:X:BearerToken is not set.");
    }

    public override string Name => "x";

    protected override string HttpClientName => ClientName;

    protected override TimeSpan StallTimeout => _options.StallTimeout;

    protected override HttpRequestMessage CreateStreamRequest() => Authorized(HttpMethod.Get, StreamPath);

    protected override async Task PrepareAsync(HttpClient client, CancellationToken cancellationToken)
    {
        if (_rulesSynced)
        {
            return;
        }

        using var get = Authorized(HttpMethod.Get, RulesPath);
        using var current = await client.SendAsync(get, cancellationToken);
        await EnsureSuccessAsync(current, cancellationToken);
        var existing = (await current.Content.ReadFromJsonAsync(TrendingJsonContext.Default.XRulesResponse, cancellationToken))?.Data ?? [];

        var desired = _options.Rules;
        var delete = existing.Where(e => !desired.Any(d => Same(d, e))).Select(e => e.Id).ToList();
        var add = desired.Where(d => !existing.Any(e => Same(d, e)))
            .Select(d => new XRule(null, d.Value, string.IsNullOrEmpty(d.Tag) ? null : d.Tag)).ToList();
        if (delete.Count > 0)
        {
            await PostRulesAsync(client, new XRulesRequest(null, new XRuleIds(delete)), cancellationToken);
        }

        if (add.Count > 0)
        {
            await PostRulesAsync(client, new XRulesRequest(add, null), cancellationToken);
        }

        TrendingLog.RulesSynced(Logger, delete.Count, add.Count, existing.Count - delete.Count);
        _rulesSynced = true;
    }

    protected override Action<string> CreateLineHandler() => line =>
    {
        if (line.Length == 0)
        {
            return; // keep-alive
        }

        XStreamMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(line, TrendingJsonContext.Default.XStreamMessage);
        }
        catch (JsonException ex)
        {
            Malformed(ex.Message);
            return;
        }

        if (message?.Data is { } tweet)
        {
            var hashtags = tweet.Entities?.Hashtags?.Select(h => h.Tag ?? "").ToList();
            Ingestor.Ingest(tweet.Text, hashtags);
        }
        else if (message?.Errors is { ValueKind: JsonValueKind.Array } errors)
        {
            TrendingLog.StreamErrors(Logger, errors.GetRawText());
        }
        else
        {
            Malformed("no data and no errors");
        }
    };

    private static bool Same(XRuleOptions desired, XRule existing) =>
        desired.Value == existing.Value && (string.IsNullOrEmpty(desired.Tag) ? null : desired.Tag) == (string.IsNullOrEmpty(existing.Tag) ? null : existing.Tag);

    private async Task PostRulesAsync(HttpClient client, XRulesRequest body, CancellationToken cancellationToken)
    {
        using var post = Authorized(HttpMethod.Post, RulesPath);
        post.Content = JsonContent.Create(body, TrendingJsonContext.Default.XRulesRequest);
        using var response = await client.SendAsync(post, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new StreamHttpException(response.StatusCode,
                $"rules: HTTP {(int)response.StatusCode} {response.ReasonPhrase} {body[..Math.Min(body.Length, 200)]}");
        }
    }

    private HttpRequestMessage Authorized(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(_baseUri, path.TrimStart('/')));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }
}

public sealed record XStreamMessage(
    [property: JsonPropertyName("data")] XTweet? Data,
    [property: JsonPropertyName("errors")] JsonElement? Errors);

public sealed record XTweet(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("entities")] XEntities? Entities);

public sealed record XEntities([property: JsonPropertyName("hashtags")] List<XHashtag>? Hashtags);

public sealed record XHashtag([property: JsonPropertyName("tag")] string? Tag);

public sealed record XRule(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("tag")] string? Tag);

public sealed record XRulesResponse([property: JsonPropertyName("data")] List<XRule>? Data);

public sealed record XRuleIds([property: JsonPropertyName("ids")] List<string?> Ids);

public sealed record XRulesRequest(
    [property: JsonPropertyName("add")] List<XRule>? Add,
    [property: JsonPropertyName("delete")] XRuleIds? Delete);

public sealed record MastodonStatus(
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("tags")] List<MastodonTag>? Tags);

public sealed record MastodonTag([property: JsonPropertyName("name")] string? Name);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PostLine))]
[JsonSerializable(typeof(XStreamMessage))]
[JsonSerializable(typeof(XRulesResponse))]
[JsonSerializable(typeof(XRulesRequest))]
[JsonSerializable(typeof(MastodonStatus))]
internal sealed partial class TrendingJsonContext : JsonSerializerContext;
