using System.Net;
using System.Text;
using System.Text.Json;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Integration.Catalog;

public sealed class ImportApiTests : IClassFixture<CatalogAppFactory>
{
    private readonly CatalogAppFactory _app;

    public ImportApiTests(CatalogAppFactory app) => _app = app;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string url, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/x-ndjson");
        var response = await client.PostAsync(new Uri(url, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Importing_json_lines_reports_counts_and_bad_lines_and_skips_them()
    {
        using var client = await _app.ReadyClientAsync();
        var before = await _app.Index.CountAsync(CancellationToken.None);

        var (status, body) = await PostAsync(client, "/api/catalog/import", """
            {"id":"imp-1","title":"Imported One","genres":["Drama"]}
            {"id":"imp-2","title":}
            {"id":"imp-3","title":"Imported Three","genres":[{"name":"Comedy"}],"budget":1000}
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("json_lines", body.GetProperty("format").GetString());
        Assert.Equal(2, body.GetProperty("indexed").GetInt64());
        Assert.Equal(1, body.GetProperty("skipped").GetInt64());
        Assert.Equal(2, body.GetProperty("errors")[0].GetProperty("line").GetInt64());
        Assert.Equal(before + 2, await _app.Index.CountAsync(CancellationToken.None));
        var three = await _app.Index.GetAsync("imp-3", CancellationToken.None);
        Assert.Equal(1000, three!.Extra["budget"].GetInt32());
    }

    [Fact]
    public async Task A_strict_import_with_a_bad_line_is_a_400_and_writes_nothing()
    {
        using var client = await _app.ReadyClientAsync();
        var before = await _app.Index.CountAsync(CancellationToken.None);

        var (status, body) = await PostAsync(client, "/api/catalog/import?strict=true", """
            {"index":{"_id":"strict-1"}}
            {"title":"Fine"}
            {"index":{"_id":"strict-2"}}
            {"overview":"no title"}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors").TryGetProperty("line 4", out _), body.ToString());
        Assert.Equal(before, await _app.Index.CountAsync(CancellationToken.None));
        Assert.Null(await _app.Index.GetAsync("strict-1", CancellationToken.None));
    }

    [Fact]
    public async Task Re_importing_through_the_api_keeps_classification_fields()
    {
        using var client = await _app.ReadyClientAsync();
        await PostAsync(client, "/api/catalog/import", """[{"id":"re-1","title":"Before"}]""");
        await _app.Index.UpdateClassificationsAsync(
            [new ClassificationUpdate("re-1", new Dictionary<string, float> { ["classification_space"] = 0.42f }, "m@3", DateTimeOffset.UnixEpoch)],
            CancellationToken.None);

        var (status, body) = await PostAsync(client, "/api/catalog/import?strict=true", """[{"id":"re-1","title":"After"}]""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("json_array", body.GetProperty("format").GetString());
        var doc = await _app.Index.GetAsync("re-1", CancellationToken.None);
        Assert.Equal("After", doc!.Title);
        Assert.Equal(0.42f, doc.Classifications["classification_space"]);
    }

    [Fact]
    public async Task An_empty_body_is_a_400()
    {
        using var client = await _app.ReadyClientAsync();

        var (status, body) = await PostAsync(client, "/api/catalog/import", "");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("empty", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
