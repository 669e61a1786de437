using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elasticsearch.Net;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>One HTTP exchange with Elasticsearch: the request NEST must send and the response to return.</summary>
public sealed record RecordedExchange(string Method, string Path, JsonNode? Body, int Status, JsonNode? Response);

/// <summary>A request NEST sent: method, path and query, body (NDJSON lines parsed one by one), headers.</summary>
public sealed record SentRequest(string Method, string Path, string? Body, string? Accept, string? ContentType, string? Authorization);

/// <summary>
/// NEST's <see cref="InMemoryConnection"/> fed by a conversation recorded in a fixture file
/// (<c>Fixtures/elasticsearch/&lt;case&gt;.json</c>): every request is checked against the next
/// recorded one (method, path and query, body JSON) before its recorded response is returned.
/// With no fixture it records what was sent (for writing a fixture) and answers 200 {}.
/// </summary>
public sealed class RecordedElasticsearchConnection : InMemoryConnection
{
    private readonly Queue<RecordedExchange>? _script;
    private readonly object _gate = new();

    private readonly bool _recording;

    public RecordedElasticsearchConnection(IEnumerable<RecordedExchange>? script = null, bool recording = false)
    {
        _script = script is null ? null : new Queue<RecordedExchange>(script);
        _recording = recording;
    }

    /// <summary>Responses of the recording, in order, for <see cref="DumpSent"/>.</summary>
    public List<RecordedExchange> Served { get; } = [];

    /// <summary>What Elasticsearch 8.x answers to a request sent with the 7.x compatibility header.</summary>
    public const string ResponseContentType = "application/vnd.elasticsearch+json;compatible-with=7";

    public List<SentRequest> Sent { get; } = [];

    public List<string> Mismatches { get; } = [];

    public int Remaining => _script?.Count ?? 0;

    public static List<RecordedExchange> LoadFixture(string testCase)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Unit", "Catalog", "Fixtures", "elasticsearch", testCase + ".json");
        var items = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        return items.Select(i => new RecordedExchange(
            i!["request"]!["method"]!.GetValue<string>(),
            i["request"]!["path"]!.GetValue<string>(),
            i["request"]!["body"]?.DeepClone(),
            i["response"]!["status"]!.GetValue<int>(),
            i["response"]!["body"]?.DeepClone())).ToList();
    }

    public override TResponse Request<TResponse>(RequestData requestData)
    {
        var (status, body) = Answer(requestData);
        return ReturnConnectionStatus<TResponse>(requestData, HttpResponse(status, body), body, status, ResponseContentType);
    }

    public override Task<TResponse> RequestAsync<TResponse>(RequestData requestData, CancellationToken cancellationToken)
    {
        var (status, body) = Answer(requestData);
        return ReturnConnectionStatusAsync<TResponse>(requestData, HttpResponse(status, body), cancellationToken, body, status, ResponseContentType);
    }

    /// <summary>Elasticsearch 7.14+ marks every response with <c>X-elastic-product</c>; NEST's product check needs it.</summary>
    private static InMemoryHttpResponse HttpResponse(int status, byte[] body) => new()
    {
        StatusCode = status,
        ResponseBytes = body,
        ContentType = ResponseContentType,
        Headers = new Dictionary<string, List<string>> { ["X-elastic-product"] = ["Elasticsearch"] },
    };

    /// <summary>The body as the fixture stores it: a JSON value, or an array of values for NDJSON.</summary>
    public static JsonNode? NormalizeBody(string? body, bool ndjson)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        if (!ndjson)
        {
            return JsonNode.Parse(body);
        }

        var lines = new JsonArray();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            lines.Add(JsonNode.Parse(line));
        }

        return lines;
    }

    private (int Status, byte[] Body) Answer(RequestData requestData)
    {
        string? body = null;
        if (requestData.PostData is { } post)
        {
            using var ms = new MemoryStream();
            post.Write(ms, requestData.ConnectionSettings);
            body = Encoding.UTF8.GetString(ms.ToArray());
        }

        var method = requestData.Method.ToString().ToUpperInvariant();
        var path = requestData.PathAndQuery.StartsWith('/') ? requestData.PathAndQuery : "/" + requestData.PathAndQuery;
        var auth = requestData.ApiKeyAuthenticationCredentials is not null ? "ApiKey"
            : requestData.BasicAuthorizationCredentials is not null ? "Basic"
            : null;
        lock (_gate)
        {
            Sent.Add(new SentRequest(method, path, body, requestData.Accept, requestData.RequestMimeType, auth));
            if (_script is null)
            {
                return (200, "{}"u8.ToArray());
            }

            if (!_script.TryDequeue(out var expected))
            {
                Mismatches.Add($"unexpected request {method} {path} {body}");
                return (500, """{"error":{"type":"unexpected_request","reason":"not in the recording"},"status":500}"""u8.ToArray());
            }

            var actualBody = NormalizeBody(body, path.Contains("_bulk", StringComparison.Ordinal));
            Served.Add(expected);
            if (!_recording && (expected.Method != method || expected.Path != path || !JsonNode.DeepEquals(expected.Body, actualBody)))
            {
                Mismatches.Add($"expected {expected.Method} {expected.Path} {expected.Body?.ToJsonString()}\n   sent {method} {path} {actualBody?.ToJsonString()}");
            }

            var response = expected.Response is null ? [] : Encoding.UTF8.GetBytes(expected.Response.ToJsonString());
            return (expected.Status, response);
        }
    }

    /// <summary>Writes what was sent as a fixture skeleton (responses to be filled in), for recording a new case.</summary>
    public string DumpSent() => new JsonArray([.. Sent.Select((s, i) => (JsonNode)new JsonObject
    {
        ["request"] = new JsonObject
        {
            ["method"] = s.Method,
            ["path"] = s.Path,
            ["body"] = NormalizeBody(s.Body, s.Path.Contains("_bulk", StringComparison.Ordinal)),
        },
        ["response"] = i < Served.Count
            ? new JsonObject { ["status"] = Served[i].Status, ["body"] = Served[i].Response?.DeepClone() }
            : null,
    })]).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
