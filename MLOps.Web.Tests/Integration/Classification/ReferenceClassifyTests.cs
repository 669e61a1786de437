using System.Net;
using System.Text.Json;

namespace MLOps.Web.Tests.Integration.Classification;

/// <summary>
/// The reference Python classifier's plain routes (<c>POST /classify</c>, <c>GET /status</c>), hit with
/// the request bodies its clients send, and the <c>multi_class</c> alias, with the real MiniLM model.
/// </summary>
public sealed class ReferenceClassifyTests(ClassifierApp app) : IClassFixture<ClassifierApp>
{
    internal static async Task<(HttpStatusCode Status, JsonElement Body, string? MediaType)> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
    }

    internal static async Task<JsonElement> OkAsync(HttpClient client, string path, string json)
    {
        var (status, body, _) = await PostAsync(client, path, json);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        return body;
    }

    private static double Sum(JsonElement result) => result.GetProperty("scores").EnumerateArray().Sum(s => s.GetDouble());

    [Fact]
    public async Task The_2_classify_sh_request_scores_a_basketball_overview_below_a_christmas_one_in_the_pipeline_shape()
    {
        using var client = app.Factory.CreateClient();
        var christmas = await OkAsync(client, "/classify", ReferenceBodies.Classify(ReferenceBodies.ChristmasOverview));
        var basketball = await OkAsync(client, "/classify", ReferenceBodies.Classify(ReferenceBodies.BasketballOverview));

        foreach (var (result, overview) in new[] { (christmas, ReferenceBodies.ChristmasOverview), (basketball, ReferenceBodies.BasketballOverview) })
        {
            Assert.Equal(overview, result.GetProperty("sequence").GetString());
            Assert.Equal(["christmas"], result.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
            Assert.Equal(1, result.GetProperty("scores").GetArrayLength());
            Assert.True(result.GetProperty("multi_label").GetBoolean());
        }

        // what the script reads: .scores[0]
        var high = christmas.GetProperty("scores")[0].GetSingle();
        var low = basketball.GetProperty("scores")[0].GetSingle();
        Assert.True(high - low > 0.25f, $"christmas {high} vs basketball {low}");
        Assert.InRange(low, 0f, 0.9f);
    }

    [Fact]
    public async Task Status_answers_alive_in_plain_text()
    {
        using var client = app.Factory.CreateClient();
        var response = await client.GetAsync(new Uri("/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("alive", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/classify")]
    [InlineData("/api/classify")]
    public async Task Multi_class_is_multi_label_by_its_older_name(string path)
    {
        using var client = app.Factory.CreateClient();
        var multi = await OkAsync(client, path, ReferenceBodies.ClassifyMultiClass(ReferenceBodies.ChristmasOverview, "christmas", "ocean", "basketball"));
        Assert.True(multi.GetProperty("multi_label").GetBoolean());
        Assert.Equal("christmas", multi.GetProperty("labels")[0].GetString());
        Assert.NotEqual(1.0, Sum(multi), 2);

        var single = await OkAsync(client, path, $$"""{"sequence": "{{ReferenceBodies.ChristmasOverview}}", "labels": ["christmas", "ocean", "basketball"], "multi_class": false}""");
        Assert.False(single.GetProperty("multi_label").GetBoolean());
        Assert.Equal(1.0, Sum(single), 3);

        var same = await OkAsync(client, path, $$"""{"sequence": "x", "labels": ["a", "b"], "multi_label": true, "multi_class": true}""");
        Assert.True(same.GetProperty("multi_label").GetBoolean());
    }

    [Theory]
    [InlineData("/classify", """{"sequence": "x", "labels": ["a", "b"], "multi_label": true, "multi_class": false}""")]
    [InlineData("/api/classify", """{"sequence": "x", "labels": ["a"], "multi_label": false, "multi_class": true}""")]
    [InlineData("/api/classify/batch", """{"sequences": ["x"], "labels": ["a", "b"], "multi_label": false, "multi_class": true}""")]
    public async Task Multi_label_and_multi_class_that_disagree_are_a_400_naming_both(string path, string body)
    {
        using var client = app.Factory.CreateClient();
        var (status, problem, media) = await PostAsync(client, path, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", media);
        Assert.True(problem.GetProperty("errors").TryGetProperty("multi_label", out _), problem.ToString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("multi_class", out _), problem.ToString());
    }

    [Theory]
    [InlineData("""{"sequence": "", "labels": ["christmas"]}""", "sequence")]
    [InlineData("""{"sequence": "text"}""", "labels")]
    [InlineData("""{"sequence": "text", "labels": ["ok", " "]}""", "labels[1]")]
    public async Task Bad_classify_bodies_are_400_problems_naming_the_field(string body, string field)
    {
        using var client = app.Factory.CreateClient();
        var (status, problem, media) = await PostAsync(client, "/classify", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", media);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Malformed_json_on_classify_is_a_400_problem()
    {
        using var client = app.Factory.CreateClient();
        var (status, _, media) = await PostAsync(client, "/classify", """{"sequence": "text", "labels": ["a" """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", media);
    }

    [Fact]
    public async Task Swagger_documents_the_compatibility_routes_under_their_own_tag()
    {
        using var client = app.Factory.CreateClient();
        var json = await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        var paths = JsonDocument.Parse(json).RootElement.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/classify", "post"), ("/status", "get"), ("/v1/models", "get"), ("/v1/models/{name}", "get"), ("/v1/models/{name}:predict", "post"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} missing");
            Assert.True(item.TryGetProperty(method, out var op), $"{method} {path} missing");
            Assert.False(string.IsNullOrEmpty(op.GetProperty("summary").GetString()));
            Assert.Equal(["Reference compatibility"], op.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        }
    }
}
