using System.Text.Json;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Evaluation;

public sealed class JudgmentSeederTests
{
    private static string SeedFolder()
    {
        var dir = TempDirectory.Create("seed");
        File.WriteAllText(Path.Combine(dir, "family-christmas.json"),
            """{"query": {"genre": "Family", "tag": "christmas"}, "judgments": [{"document_id": "a", "relevance": 3}, {"document_id": "b", "relevance": 0}]}""");
        File.WriteAllText(Path.Combine(dir, "broken.json"),
            """{"query": {"genre": "Family"}, "judgments": [{"document_id": "a", "relevance": 5}]}""");
        File.WriteAllText(Path.Combine(dir, "not a name.json"), """{"query": {"tag": "x"}, "judgments": [{"document_id": "a", "relevance": 1}]}""");
        return dir;
    }

    private static async Task<List<string>> SetNamesAsync(MLOpsFactory factory)
    {
        using var client = factory.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/judgments", UriKind.Relative)));
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();
    }

    [Fact]
    public async Task An_empty_store_is_seeded_with_the_valid_files_only()
    {
        using var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Evaluation:SeedDirectory"] = SeedFolder() });

        Assert.Equal(["family-christmas"], await SetNamesAsync(factory));
        using var client = factory.CreateClient();
        using var set = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/judgments/family-christmas", UriKind.Relative)));
        Assert.Equal("christmas", set.RootElement.GetProperty("query").GetProperty("tag").GetString());
        Assert.Equal(2, set.RootElement.GetProperty("judgments").GetArrayLength());
    }

    [Fact]
    public async Task A_store_that_already_holds_sets_is_not_seeded()
    {
        var data = TempDirectory.Create("data");
        using (var existing = new FileJudgmentStore(Path.Combine(data, "judgments")))
        {
            await existing.PutAsync(new JudgmentSet("mine", new JudgedQuery(null, "ocean"), [new Judgment("x", 2)], DateTimeOffset.UnixEpoch), CancellationToken.None);
        }

        using var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Evaluation:SeedDirectory"] = SeedFolder() }, data);

        Assert.Equal(["mine"], await SetNamesAsync(factory));
    }
}
