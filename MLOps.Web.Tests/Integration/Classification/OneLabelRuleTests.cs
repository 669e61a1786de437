using System.Net;
using System.Text.Json;

namespace MLOps.Web.Tests.Integration.Classification;

/// <summary>
/// The Hugging Face pipeline's one-label rule on <c>/api/classify</c>: with a single candidate label
/// it scores multi-label (entailment against contradiction), whatever <c>multi_label</c> says; a
/// softmax over one label would answer 1 for every sequence.
/// </summary>
public sealed class OneLabelRuleTests(ClassifierApp app) : IClassFixture<ClassifierApp>
{
    private static async Task<JsonElement> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task One_label_without_multi_label_scores_a_basketball_game_below_a_christmas_toy_hunt()
    {
        using var client = app.Factory.CreateClient();
        var christmas = await PostAsync(client, "/api/classify", ReferenceBodies.Classify(ReferenceBodies.ChristmasOverview));
        var basketball = await PostAsync(client, "/api/classify", ReferenceBodies.Classify(ReferenceBodies.BasketballOverview));

        var high = christmas.GetProperty("scores")[0].GetSingle();
        var low = basketball.GetProperty("scores")[0].GetSingle();
        Assert.True(low < high, $"basketball {low} vs christmas {high}");
        Assert.True(low < 0.9f, $"a basketball game against aliens scored {low} for christmas");
        Assert.True(basketball.GetProperty("multi_label").GetBoolean());
    }

    [Theory]
    [InlineData("/api/classify", """{"sequence": "Cartoon characters team up with a basketball star to play against aliens.", "labels": ["christmas"], "multi_label": false}""")]
    [InlineData("/api/classify/batch", """{"sequences": ["Cartoon characters team up with a basketball star to play against aliens."], "labels": ["christmas"], "multi_label": false}""")]
    public async Task Multi_label_false_with_one_label_is_scored_multi_label_and_says_so(string path, string body)
    {
        using var client = app.Factory.CreateClient();
        var result = await PostAsync(client, path, body);
        var one = path.EndsWith("/batch", StringComparison.Ordinal) ? result.GetProperty("results")[0] : result;
        Assert.True(one.GetProperty("scores")[0].GetSingle() < 0.9f, one.ToString());
        Assert.True(one.GetProperty("multi_label").GetBoolean(), one.ToString());
    }
}
