using System.Net;
using System.Text.Json;

namespace MLOps.Web.Tests.Integration.Classification;

/// <summary>
/// The KServe v1 protocol of the reference <c>kserving.py</c> (list, readiness, <c>{name}:predict</c>),
/// with its clients' request bodies and the real MiniLM model; errors carry KServe's <c>error</c>.
/// </summary>
public sealed class KServeProtocolTests(ClassifierApp app) : IClassFixture<ClassifierApp>
{
    private static Task<(HttpStatusCode Status, JsonElement Body, string? MediaType)> PostAsync(HttpClient client, string path, string json) =>
        ReferenceClassifyTests.PostAsync(client, path, json);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static void AssertKServeError(HttpStatusCode expected, (HttpStatusCode Status, JsonElement Body, string? MediaType) response, string? mentions = null)
    {
        Assert.True(expected == response.Status, $"{(int)response.Status}: {response.Body}");
        Assert.Equal("application/problem+json", response.MediaType);
        Assert.Equal((int)expected, response.Body.GetProperty("status").GetInt32());
        var error = response.Body.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error), response.Body.ToString());
        if (mentions is not null)
        {
            Assert.Contains(mentions, error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("zero-shot-classifier", "all-MiniLM-L6-v2-int8@1")] // the active model
    [InlineData("all-MiniLM-L6-v2", "all-MiniLM-L6-v2@1")]
    [InlineData("all-MiniLM-L6-v2@1", "all-MiniLM-L6-v2@1")]
    [InlineData("snowflake-arctic-embed-xs@1", "snowflake-arctic-embed-xs@1")]
    public async Task The_kserving_py_predict_request_scores_a_basketball_overview_below_a_christmas_one(string name, string model)
    {
        using var client = app.Factory.CreateClient();
        var (status, body, _) = await PostAsync(client, $"/v1/models/{name}:predict",
            ReferenceBodies.Predict(ReferenceBodies.BasketballOverview, ReferenceBodies.ChristmasOverview));
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");

        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(2, predictions.Count);
        Assert.Equal(ReferenceBodies.BasketballOverview, predictions[0].GetProperty("sequence").GetString());
        Assert.Equal(ReferenceBodies.ChristmasOverview, predictions[1].GetProperty("sequence").GetString());
        Assert.All(predictions, p =>
        {
            Assert.Equal(["christmas"], p.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
            Assert.Equal(1, p.GetProperty("scores").GetArrayLength());
            Assert.Equal(model, p.GetProperty("model").GetString());
            Assert.True(p.GetProperty("multi_label").GetBoolean());
        });
        var low = predictions[0].GetProperty("scores")[0].GetSingle();
        var high = predictions[1].GetProperty("scores")[0].GetSingle();
        Assert.True(low < high, $"basketball {low} vs christmas {high}");
        Assert.InRange(low, 0f, 0.9f);
    }

    [Fact]
    public async Task Instances_with_different_labels_and_modes_each_get_their_own_answer_in_order()
    {
        using var client = app.Factory.CreateClient();
        var (status, body, _) = await PostAsync(client, "/v1/models/zero-shot-classifier:predict", $$"""
            {"instances": [
              {"sequence": "{{ReferenceBodies.ChristmasOverview}}", "labels": ["ocean", "christmas", "basketball"]},
              {"sequence": "{{ReferenceBodies.BasketballOverview}}", "labels": ["christmas"]},
              {"sequence": "{{ReferenceBodies.BasketballOverview}}", "labels": ["ocean", "christmas", "basketball"], "multi_class": true}
            ]}
            """);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        var p = body.GetProperty("predictions");
        Assert.Equal("christmas", p[0].GetProperty("labels")[0].GetString());
        Assert.False(p[0].GetProperty("multi_label").GetBoolean());
        Assert.Equal(1.0, p[0].GetProperty("scores").EnumerateArray().Sum(s => s.GetDouble()), 3);
        Assert.True(p[1].GetProperty("multi_label").GetBoolean());
        Assert.Equal("basketball", p[2].GetProperty("labels")[0].GetString());
        Assert.True(p[2].GetProperty("multi_label").GetBoolean());
    }

    [Fact]
    public async Task The_model_list_names_the_default_and_every_registered_model()
    {
        using var client = app.Factory.CreateClient();
        var (status, body) = await GetAsync(client, "/v1/models");
        Assert.Equal(HttpStatusCode.OK, status);
        var models = body.GetProperty("models").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Equal("zero-shot-classifier", models[0]);
        Assert.Contains("all-MiniLM-L6-v2", models);
        Assert.Contains("snowflake-arctic-embed-xs", models);
    }

    [Theory]
    [InlineData("zero-shot-classifier")]
    [InlineData("all-MiniLM-L6-v2")]
    [InlineData("all-MiniLM-L6-v2@1")]
    public async Task A_served_model_is_ready(string name)
    {
        using var client = app.Factory.CreateClient();
        var (status, body) = await GetAsync(client, $"/v1/models/{name}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(name, body.GetProperty("name").GetString());
        Assert.True(body.GetProperty("ready").GetBoolean());
    }

    [Theory]
    [InlineData("no-such-model")]
    [InlineData("all-MiniLM-L6-v2@9")]
    [InlineData("zero-shot-classifier:predict")] // a GET of the predict route names no model
    public async Task An_unknown_model_is_a_404_with_an_error(string name)
    {
        using var client = app.Factory.CreateClient();
        var response = await client.GetAsync(new Uri($"/v1/models/{name}", UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        AssertKServeError(HttpStatusCode.NotFound, (response.StatusCode, body, response.Content.Headers.ContentType?.MediaType), name);

        AssertKServeError(HttpStatusCode.NotFound, await PostAsync(client, $"/v1/models/{name.Replace(":predict", "", StringComparison.Ordinal)}x:predict", ReferenceBodies.Predict("text")));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"instances": []}""", "instances" },
        { """{}""", "instances" },
        { """{"instances": [null]}""", "instances[0]" },
        { """{"instances": [{"sequence": "fine", "labels": ["christmas"]}, {"sequence": "", "labels": ["christmas"]}]}""", "instances[1].sequence" },
        { """{"instances": [{"sequence": "text"}]}""", "instances[0].labels" },
        { """{"instances": [{"sequence": "text", "labels": ["ok", " "]}]}""", "instances[0].labels[1]" },
        { """{"instances": [{"sequence": "text", "labels": ["a"], "hypothesis_template": "no slot"}]}""", "instances[0].hypothesis_template" },
        { """{"instances": [{"sequence": "text", "labels": ["a", "b"], "multi_label": true, "multi_class": false}]}""", "instances[0].multi_class" },
        { $$"""{"instances": [{{string.Join(",", Enumerable.Range(0, 257).Select(_ => """{"sequence": "t", "labels": ["a"]}"""))}}]}""", "instances" },
        { $$"""{"instances": [{"sequence": "{{new string('x', 20_001)}}", "labels": ["a"]}]}""", "instances[0].sequence" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_predict_bodies_are_400_problems_naming_the_field_with_an_error(string body, string field)
    {
        using var client = app.Factory.CreateClient();
        var response = await PostAsync(client, "/v1/models/zero-shot-classifier:predict", body);
        AssertKServeError(HttpStatusCode.BadRequest, response, field);
        Assert.True(response.Body.GetProperty("errors").TryGetProperty(field, out _), response.Body.ToString());
    }

    [Theory]
    [InlineData("""{"instances": [{"sequence": "text", "labels": ["a"]""")]
    [InlineData("""{"instances": {"sequence": "text", "labels": ["a"]}}""")]
    [InlineData("")]
    public async Task Unreadable_predict_bodies_are_400_problems_with_an_error(string body)
    {
        using var client = app.Factory.CreateClient();
        AssertKServeError(HttpStatusCode.BadRequest, await PostAsync(client, "/v1/models/zero-shot-classifier:predict", body));
    }
}
