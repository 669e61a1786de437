using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>
/// A run with ONE tag never writes a constant (a softmax over one label would give every document
/// 1.0): through the public API only (catalog import, <c>POST /api/reclassify</c>, the documents in
/// the index) with the real MiniLM model. It reads the run as JSON, not through the feature's types,
/// so that it holds whatever shape the reclassification room takes inside.
/// </summary>
public sealed class OneTagRunTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Catalog = """
        [{"id":"one-xmas","title":"The Lantern Below the Snow","overview":"On Christmas Eve a desperate father races across the city to find the sold-out action figure his son wants more than anything under the tree.","genres":[{"name":"Family"}]},
         {"id":"one-hoops","title":"Court of the Cosmos","overview":"Cartoon characters team up with a basketball star to play a game against invading aliens who want to take them away to their amusement park.","genres":[{"name":"Family"}]},
         {"id":"one-reef","title":"Deep Blue Search","overview":"A timid clownfish sets out across the ocean, past sharks and jellyfish, to find his son who was taken by a diver from the reef.","genres":[{"name":"Family"}]},
         {"id":"one-court","title":"The Verdict","overview":"A young lawyer defends a factory worker accused of fraud in a tense courtroom drama.","genres":[{"name":"Drama"}]}]
        """;

    [Fact]
    public async Task A_run_with_one_tag_writes_scores_that_differ_between_documents_and_rank_the_christmas_film_first()
    {
        await using var factory = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Search:LoadSampleCatalog"] = "false",
            ["Reclassification:Cron"] = "",
            ["Reclassification:ProgressInterval"] = "00:00:00.200",
            ["Evaluation:RecurringEnabled"] = "false",
        });
        using var client = factory.CreateClient();
        var scorers = factory.Services.GetRequiredService<IScorerProvider>();
        for (var i = 0; i < 1200 && scorers.ActiveModelId is null; i++)
        {
            await Task.Delay(100);
        }

        using (var import = new StringContent(Catalog, System.Text.Encoding.UTF8, "application/json"))
        {
            var imported = await client.PostAsync(new Uri("/api/catalog/import?strict=true", UriKind.Relative), import);
            Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        }

        var run = await RunAsync(client, "christmas");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(["christmas"], run.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(4, run.GetProperty("documentsDone").GetInt64());

        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var id in new[] { "one-xmas", "one-hoops", "one-reef", "one-court" })
        {
            var doc = (await client.GetFromJsonAsync<JsonObject>(new Uri($"/api/catalog/documents/{id}", UriKind.Relative), Json))!;
            scores[id] = doc["classification_christmas"]!.GetValue<float>();
        }

        var text = string.Join(", ", scores.Select(p => $"{p.Key} {p.Value:F4}"));
        Assert.Equal(scores.Count, scores.Values.Distinct().Count());
        Assert.True(scores.Values.Max() - scores.Values.Min() > 0.1f, text);
        Assert.Equal("one-xmas", scores.MaxBy(p => p.Value).Key);
        Assert.True(scores["one-hoops"] < scores["one-xmas"], text);
    }

    private static async Task<JsonElement> RunAsync(HttpClient client, params string[] labels)
    {
        var response = await client.PostAsJsonAsync(new Uri("/api/reclassify", UriKind.Relative), new { labels, reason = "one-tag test" }, Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        JsonElement? run = null;
        while (DateTime.UtcNow < deadline)
        {
            var poll = await client.GetAsync(response.Headers.Location);
            if (poll.IsSuccessStatusCode)
            {
                var current = JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement.Clone();
                run = current;
                if (current.GetProperty("status").GetString() is "succeeded" or "completed_with_failures" or "failed" or "skipped")
                {
                    return current;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the run did not finish; last seen: {run}");
    }
}
