using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MLOps.Web.Infrastructure.Security;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// The doors of issue 12, on a test host whose requests come from another machine: no key is a 401,
/// a key without the route's role a 403, the right key works; loopback needs no key; a forwarded
/// header never makes a request local; reads are open unless <c>Auth:RequireReaderKey</c>. The
/// finding itself (register a server folder and promote it with no credentials) is the first test.
/// </summary>
public sealed class AuthTests : IAsyncLifetime
{
    private const string OperatorKey = "op-7f3a9c21-test-key";
    private const string ReaderKey = "read-51b2e0-test-key";
    private const string IngestKey = "ingest-9d4c-test-key";
    private static readonly IPAddress Remote = IPAddress.Parse("203.0.113.9");

    private readonly List<MLOpsFactory> _factories = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var f in _factories)
        {
            await f.DisposeAsync();
        }
    }

    private static string Sha(string key) => Convert.ToHexString(ApiKeys.Hash(key)).ToLowerInvariant();

    private HttpClient Client(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Keys:0:Name"] = "ops",
            ["Auth:Keys:0:Roles:0"] = "operator",
            ["Auth:Keys:0:Sha256"] = Sha(OperatorKey),
            ["Auth:Keys:1:Name"] = "dashboard",
            ["Auth:Keys:1:Roles:0"] = "reader",
            ["Auth:Keys:1:Sha256"] = Sha(ReaderKey),
            ["Trending:Source"] = "push",
            ["Hangfire:ServerEnabled"] = "false",
            ["Evaluation:EvaluateOnRegister"] = "false",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var factory = new RemoteClientFactory(settings, Remote);
        _factories.Add(factory);
        return factory.CreateClient();
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, string? key = null, string? body = null, bool asBearer = true)
    {
        var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            if (asBearer)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            else
            {
                request.Headers.Add("X-Api-Key", key);
            }
        }

        return request;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_remote_caller_without_a_key_can_neither_register_a_server_folder_nor_promote()
    {
        using var client = Client();
        var register = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = "/etc" });
        await AssertProblemAsync(register, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", register.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var promote = await client.PostAsync(new Uri("/api/models/snowflake-arctic-embed-xs@1/promote", UriKind.Relative), null);
        await AssertProblemAsync(promote, HttpStatusCode.Unauthorized);
        var rollback = await client.PostAsync(new Uri("/api/models/rollback", UriKind.Relative), null);
        await AssertProblemAsync(rollback, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_reader_key_on_an_operator_route_is_a_403_and_an_operator_key_works()
    {
        using var client = Client();
        await AssertProblemAsync(await client.SendAsync(Request(HttpMethod.Post, "/api/reclassify", ReaderKey, "{}")), HttpStatusCode.Forbidden);
        var ok = await client.SendAsync(Request(HttpMethod.Post, "/api/reclassify", OperatorKey, """{"labels":["christmas"]}"""));
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        var header = await client.SendAsync(Request(HttpMethod.Post, "/api/reclassify", OperatorKey, """{"labels":["ocean"]}""", asBearer: false));
        Assert.Equal(HttpStatusCode.Accepted, header.StatusCode);
    }

    [Fact]
    public async Task A_wrong_key_is_a_401()
    {
        using var client = Client();
        var response = await client.SendAsync(Request(HttpMethod.Post, "/api/reclassify", "not-a-key", "{}"));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PUT", "/api/judgments/x", """{"query":{"genre":"Family","tag":"christmas"},"judgments":[{"document_id":"1","relevance":1}]}""")]
    [InlineData("DELETE", "/api/judgments/family-christmas", null)]
    [InlineData("POST", "/api/catalog/import", """[{"id":"a","title":"A"}]""")]
    [InlineData("POST", "/api/evaluations", """{"set":"family-christmas"}""")]
    [InlineData("POST", "/api/evaluations/champion-challenger", null)]
    [InlineData("POST", "/api/models/all-MiniLM-L6-v2@1/calibrate", null)]
    [InlineData("POST", "/api/models/all-MiniLM-L6-v2@1/evaluate", null)]
    [InlineData("POST", "/api/posts", """[{"text":"#christmas"}]""")]
    public async Task Every_state_changing_route_refuses_a_remote_caller_without_a_key(string method, string url, string? body)
    {
        using var client = Client();
        await AssertProblemAsync(await client.SendAsync(Request(new HttpMethod(method), url, body: body)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Posts_take_an_ingest_key_which_opens_nothing_else()
    {
        using var client = Client(new()
        {
            ["Auth:Keys:2:Name"] = "producer",
            ["Auth:Keys:2:Roles:0"] = "ingest",
            ["Auth:Keys:2:Sha256"] = Sha(IngestKey),
        });
        var posted = await client.SendAsync(Request(HttpMethod.Post, "/api/posts", IngestKey, """[{"text":"Elf tonight #christmas"}]"""));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        await AssertProblemAsync(await client.SendAsync(Request(HttpMethod.Post, "/api/reclassify", IngestKey, "{}")), HttpStatusCode.Forbidden);
        var byOperator = await client.SendAsync(Request(HttpMethod.Post, "/api/posts", OperatorKey, """[{"text":"#worldcup"}]"""));
        Assert.Equal(HttpStatusCode.Accepted, byOperator.StatusCode);
    }

    [Fact]
    public async Task Reads_stay_open_to_remote_callers_by_default()
    {
        using var client = Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/search?q=snow", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/models", UriKind.Relative))).StatusCode);
        var classify = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new { sequence = "", labels = new[] { "x" } });
        Assert.Equal(HttpStatusCode.BadRequest, classify.StatusCode); // validated, not refused
    }

    [Fact]
    public async Task With_reader_keys_required_a_remote_read_needs_any_key_and_probes_stay_open()
    {
        using var client = Client(new() { ["Auth:RequireReaderKey"] = "true" });
        await AssertProblemAsync(await client.GetAsync(new Uri("/api/search?q=snow", UriKind.Relative)), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new { sequence = "a", labels = new[] { "x" } }), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Get, "/api/search?q=snow", ReaderKey))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Get, "/api/catalog", OperatorKey))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/status", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task The_hangfire_dashboard_keeps_its_own_rule_when_reads_need_a_key()
    {
        using var client = Client(new()
        {
            ["Auth:RequireReaderKey"] = "true",
            ["Hangfire:DashboardUsername"] = "admin",
            ["Hangfire:DashboardPassword"] = "dash-secret",
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/hangfire", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/catalog", UriKind.Relative))).StatusCode);
        var basic = new HttpRequestMessage(HttpMethod.Get, new Uri("/hangfire", UriKind.Relative));
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:dash-secret")));
        var answer = await client.SendAsync(basic);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode} {answer.Headers} {await answer.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Loopback_needs_no_key_on_the_defaults()
    {
        using var client = Client();
        var request = Request(HttpMethod.Post, "/api/reclassify", body: """{"labels":["christmas"]}""");
        request.Headers.Add(RemoteClientFactory.PeerHeader, "127.0.0.1");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(request)).StatusCode);

        var v6 = Request(HttpMethod.Post, "/api/reclassify", body: """{"labels":["ocean"]}""");
        v6.Headers.Add(RemoteClientFactory.PeerHeader, "::1");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(v6)).StatusCode);
    }

    [Fact]
    public async Task Loopback_can_be_made_to_need_a_key_too()
    {
        using var client = Client(new() { ["Auth:AllowLoopback"] = "false" });
        var request = Request(HttpMethod.Post, "/api/reclassify", body: "{}");
        request.Headers.Add(RemoteClientFactory.PeerHeader, "127.0.0.1");
        await AssertProblemAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("203.0.113.9", false)] // an unknown proxy claims the client is local
    [InlineData("127.0.0.1", false)] // a proxy on this machine forwards a remote client
    [InlineData("203.0.113.9", true)] // even a configured proxy cannot make a request local
    public async Task A_forwarded_header_never_makes_a_request_local(string peer, bool knownProxy)
    {
        using var client = Client(knownProxy ? new() { ["Auth:KnownProxies:0"] = peer } : null);
        var request = Request(HttpMethod.Post, "/api/reclassify", body: "{}");
        request.Headers.Add(RemoteClientFactory.PeerHeader, peer);
        request.Headers.Add("X-Forwarded-For", "127.0.0.1");
        await AssertProblemAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized);

        var dashboard = new HttpRequestMessage(HttpMethod.Get, new Uri("/hangfire", UriKind.Relative));
        dashboard.Headers.Add(RemoteClientFactory.PeerHeader, peer);
        dashboard.Headers.Add("X-Forwarded-For", "127.0.0.1");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(dashboard)).StatusCode);
    }

    [Fact]
    public async Task Keys_can_come_from_a_mounted_file_as_hashes()
    {
        var file = Path.Combine(TempDirectory.Create("keys"), "api-keys");
        await File.WriteAllTextAsync(file, $"# name role[,role] sha256\nci-bot operator,reader {Sha("file-key-123")}\n");
        using var client = Client(new() { ["Auth:KeysFile"] = file });
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(Request(HttpMethod.Post, "/api/reclassify", "file-key-123", """{"labels":["x"]}"""))).StatusCode);
    }

    [Fact]
    public async Task The_swagger_document_declares_the_key_schemes_and_marks_operator_routes()
    {
        using var client = Client();
        using var doc = JsonDocument.Parse(await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative)));
        var schemes = doc.RootElement.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("X-Api-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
        var promote = doc.RootElement.GetProperty("paths").GetProperty("/api/models/{id}/promote").GetProperty("post");
        Assert.True(promote.TryGetProperty("security", out var security) && security.GetArrayLength() > 0, promote.ToString());
        Assert.Contains("operator", promote.GetProperty("description").GetString(), StringComparison.Ordinal);
    }
}
