using System.Net.Http.Json;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Reclassification;

public sealed class ReclassificationStartupTests
{
    private static readonly Dictionary<string, string?> StartupOn = new()
    {
        ["Reclassification:RunAtStartup"] = "true",
        ["Reclassification:StartupPollInterval"] = "00:00:00.100",
    };

    private static async Task<List<ReclassificationRun>> RunsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<List<ReclassificationRun>>(new Uri("/api/reclassify/runs", UriKind.Relative), ReclassificationAppFactory.Json))!;

    [Fact]
    public async Task A_never_classified_index_is_classified_at_startup_once_the_model_is_ready()
    {
        var scorer = new FakeEmbeddingScorer();
        var scorers = new FakeScorerProvider(scorer) { ActiveModelId = null };
        using var factory = new ReclassificationAppFactory(
            new InMemoryCatalogIndex(TestCatalog.Create(12)), scorers, new FixedTrendingReader("Christmas", "Ocean"), StartupOn);
        using var client = factory.CreateClient();

        await Task.Delay(600);
        Assert.Empty(await RunsAsync(client)); // no model yet: it waits
        scorers.ActiveModelId = scorer.Model.Id;

        List<ReclassificationRun> runs = [];
        for (var i = 0; i < 100 && (runs.Count == 0 || !RunStatus.IsFinished(runs[0].Status)); i++)
        {
            await Task.Delay(100);
            runs = await RunsAsync(client);
        }

        var run = Assert.Single(runs);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Contains("never been classified", run.Reason, StringComparison.Ordinal);
        Assert.Equal(["christmas", "ocean"], run.Tags);
        Assert.All(factory.Index.Documents, d => Assert.Equal(scorer.Model.Id, d.ClassificationModel));
    }

    [Fact]
    public async Task An_index_with_classified_documents_gets_no_startup_run()
    {
        var docs = TestCatalog.Create(12);
        docs[7].ClassificationModel = "older@1";
        using var factory = new ReclassificationAppFactory(
            new InMemoryCatalogIndex(docs), new FakeScorerProvider(new FakeEmbeddingScorer()), new FixedTrendingReader("Christmas"), StartupOn);
        using var client = factory.CreateClient();

        await Task.Delay(1500);
        Assert.Empty(await RunsAsync(client));
        Assert.Empty(factory.Index.Updates);
    }
}
