using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Tests.Integration.Catalog;

public sealed class SearchApiTests : IClassFixture<CatalogAppFactory>
{
    private readonly CatalogAppFactory _app;

    public SearchApiTests(CatalogAppFactory app) => _app = app;

    private static List<CatalogDocument> SampleCatalog() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "SampleData", "catalog.jsonl"))
            .Where(l => l.Length > 0)
            .Select(CatalogJson.Parse)
            .ToList();

    private static bool IsFamily(CatalogDocument d) => d.Genres.Contains("Family", StringComparer.OrdinalIgnoreCase);

    private static bool MentionsChristmas(CatalogDocument d) => d.ClassificationText.Contains("christmas", StringComparison.OrdinalIgnoreCase);

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Scores every sample document: Christmas films high, the rest low, a few left unscored.</summary>
    private async Task<Dictionary<string, float>> ScoreSampleAsync()
    {
        var scores = new Dictionary<string, float>();
        var updates = new List<ClassificationUpdate>();
        var i = 0;
        foreach (var doc in SampleCatalog())
        {
            if (i++ % 10 == 3)
            {
                continue; // unscored: sorts as 0
            }

            var christmas = MentionsChristmas(doc) ? 0.6f + (i % 7) / 20f : 0.05f + (i % 5) / 50f;
            var sports = doc.ClassificationText.Contains("team", StringComparison.OrdinalIgnoreCase) ? 0.8f : 0.1f;
            scores[doc.Id] = christmas;
            updates.Add(new ClassificationUpdate(doc.Id,
                new Dictionary<string, float> { ["classification_christmas"] = christmas, ["classification_sports"] = sports },
                "test-model@1", DateTimeOffset.UnixEpoch));
        }

        await _app.Index.UpdateClassificationsAsync(updates, CancellationToken.None);
        return scores;
    }

    [Fact]
    public async Task Family_movies_returns_every_family_film_and_nothing_else()
    {
        using var client = await _app.ReadyClientAsync();
        var expected = SampleCatalog().Where(IsFamily).Select(d => d.Id).ToHashSet();

        var body = await GetJsonAsync(client, "/api/search?genre=family&size=1000");

        Assert.Equal(expected.Count, body.GetProperty("total").GetInt64());
        var ids = body.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()!).ToHashSet();
        Assert.Equal(expected, ids);
        var first = body.GetProperty("hits")[0];
        Assert.True(first.TryGetProperty("title", out _) && first.TryGetProperty("overview", out _) && first.TryGetProperty("score", out _));
        Assert.Contains("Family", first.GetProperty("genres").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task Family_movies_matching_christmas_are_the_christmas_family_films()
    {
        using var client = await _app.ReadyClientAsync();
        var expected = SampleCatalog().Where(d => IsFamily(d) && MentionsChristmas(d)).Select(d => d.Id).ToHashSet();

        var body = await GetJsonAsync(client, "/api/search?genre=Family&q=christmas&size=100");

        var hits = body.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(expected, hits.Select(h => h.GetProperty("id").GetString()!).ToHashSet());
        var scores = hits.Select(h => h.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }

    [Fact]
    public async Task Family_movies_sorted_by_classification_christmas_come_in_descending_score_with_unscored_last()
    {
        using var client = await _app.ReadyClientAsync();
        var scores = await ScoreSampleAsync();
        var family = SampleCatalog().Where(IsFamily).ToList();

        var body = await GetJsonAsync(client, "/api/search?genre=family&sort=classification_christmas&size=1000");

        var hits = body.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(family.Count, hits.Count);
        var values = hits.Select(h => h.GetProperty("classifications").TryGetProperty("classification_christmas", out var v) ? v.GetSingle() : 0f).ToList();
        Assert.Equal(values.OrderByDescending(v => v), values);
        var top = hits.Take(5).Select(h => h.GetProperty("id").GetString()!).ToList();
        Assert.All(top, id => Assert.True(scores[id] >= 0.6f, $"{id} should be a Christmas film"));
        Assert.False(hits[^1].GetProperty("classifications").TryGetProperty("classification_christmas", out _));
    }

    [Fact]
    public async Task Trending_sort_blends_text_relevance_with_trending_tag_scores_and_explains_each_hit()
    {
        using var client = await _app.ReadyClientAsync();
        await ScoreSampleAsync();
        _app.Trending.Tags = [new TrendingTag("christmas", "Christmas", 30), new TrendingTag("sports", "Sports", 10)];

        var body = await GetJsonAsync(client, "/api/search?genre=family&sort=trending&explain=true&size=5");

        var weights = body.GetProperty("trending").EnumerateArray().ToDictionary(w => w.GetProperty("field").GetString()!, w => w.GetProperty("weight").GetSingle());
        Assert.Equal(0.375f, weights["classification_christmas"], 3);
        Assert.Equal(0.125f, weights["classification_sports"], 3);
        var hits = body.GetProperty("hits").EnumerateArray().ToList();
        foreach (var hit in hits)
        {
            var c = hit.GetProperty("classifications");
            var expected = 0.5f + (0.375f * c.GetProperty("classification_christmas").GetSingle()) + (0.125f * c.GetProperty("classification_sports").GetSingle());
            Assert.Equal(expected, hit.GetProperty("score").GetSingle(), 3);
            var explanation = hit.GetProperty("explanation").GetString();
            Assert.Contains("0.375 × classification_christmas", explanation, StringComparison.Ordinal);
            Assert.Contains("no query text", explanation, StringComparison.Ordinal);
        }

        Assert.Contains("christmas", hits[0].GetProperty("overview").GetString()!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Trending_sort_with_query_text_normalises_bm25_by_the_best_match()
    {
        using var client = await _app.ReadyClientAsync();
        _app.Trending.Tags = [new TrendingTag("christmas", "Christmas", 5)];

        var body = await GetJsonAsync(client, "/api/search?q=snow&sort=trending&explain=true&size=3");

        var first = body.GetProperty("hits")[0];
        Assert.Contains("bm25", first.GetProperty("explanation").GetString(), StringComparison.Ordinal);
        Assert.Contains("text 1 ", first.GetProperty("explanation").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trending_sort_falls_back_to_text_relevance_when_the_trending_store_is_unreachable()
    {
        using var client = await _app.ReadyClientAsync();
        var relevance = await GetJsonAsync(client, "/api/search?q=christmas&size=5");
        _app.Trending.Unreachable = true;
        try
        {
            var body = await GetJsonAsync(client, "/api/search?q=christmas&sort=trending&size=5");

            Assert.Empty(body.GetProperty("trending").EnumerateArray());
            Assert.Equal(
                relevance.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()),
                body.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        }
        finally
        {
            _app.Trending.Unreachable = false;
        }
    }

    [Theory]
    [InlineData("/api/search?sort=classification_christmas%22;%20drop", "sort")]
    [InlineData("/api/search?sort=title", "sort")]
    [InlineData("/api/search?sort=classification_", "sort")]
    [InlineData("/api/search?size=1001", "size")]
    [InlineData("/api/search?from=-1", "from")]
    [InlineData("/api/search?q=title:(christmas", "q")]
    [InlineData("/api/search?q=%22unclosed", "q")]
    public async Task Bad_search_input_is_a_400_naming_the_parameter(string url, string field)
    {
        using var client = await _app.ReadyClientAsync();

        var body = await GetJsonAsync(client, url, HttpStatusCode.BadRequest);

        Assert.True(body.GetProperty("errors").TryGetProperty(field, out var messages), body.ToString());
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
    }

    [Fact]
    public async Task Documents_can_be_read_by_id_and_unknown_ids_are_404()
    {
        using var client = await _app.ReadyClientAsync();
        var sample = SampleCatalog()[0];

        var doc = await GetJsonAsync(client, $"/api/catalog/documents/{sample.Id}");
        Assert.Equal(sample.Title, doc.GetProperty("title").GetString());
        Assert.Equal(sample.Extra["runtime"].GetInt32(), doc.GetProperty("runtime").GetInt32());

        await GetJsonAsync(client, "/api/catalog/documents/no-such-id", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Readiness_reports_the_catalog_index_and_its_size()
    {
        using var client = await _app.ReadyClientAsync();

        var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var catalog = doc.RootElement.GetProperty("checks").GetProperty("catalog");
        Assert.Equal("Healthy", catalog.GetProperty("status").GetString());
        Assert.True(catalog.GetProperty("data").GetProperty("documents").GetInt64() >= SampleCatalog().Count);
    }

    [Fact]
    public async Task Swagger_documents_search_and_import()
    {
        using var client = await _app.ReadyClientAsync();
        var json = await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));

        Assert.Contains("/api/search", json, StringComparison.Ordinal);
        Assert.Contains("/api/catalog/import", json, StringComparison.Ordinal);
        Assert.Contains("application/x-ndjson", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalog_summary_names_the_engine()
    {
        using var client = await _app.ReadyClientAsync();
        var summary = await client.GetFromJsonAsync<CatalogSummary>(new Uri("/api/catalog", UriKind.Relative));

        Assert.NotNull(summary);
        Assert.Equal("lucene", summary.Engine);
        Assert.True(summary.Documents >= SampleCatalog().Count);
    }
}
