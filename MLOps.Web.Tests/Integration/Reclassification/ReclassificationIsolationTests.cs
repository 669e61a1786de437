using MLOps.Web.Features.Reclassification;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Reclassification;

public sealed class ReclassificationIsolationTests
{
    [Fact]
    public async Task Two_apps_in_one_process_each_run_their_jobs_with_their_own_services()
    {
        var scorerA = new FakeEmbeddingScorer();
        var scorerB = new FakeEmbeddingScorer();
        using var a = new ReclassificationAppFactory(new InMemoryCatalogIndex(TestCatalog.Create(10)), new FakeScorerProvider(scorerA), new FixedTrendingReader("Christmas"));
        using var clientA = a.CreateClient();
        using var b = new ReclassificationAppFactory(new InMemoryCatalogIndex(TestCatalog.Create(10)), new FakeScorerProvider(scorerB), new FixedTrendingReader("Ocean"));
        using var clientB = b.CreateClient();

        var run = await ReclassificationAppFactory.WaitForRunAsync(clientA, (await ReclassificationAppFactory.StartAsync(clientA)).JobId, TimeSpan.FromSeconds(20));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["christmas"], run.Tags);
        Assert.Equal(10, a.Index.Writes.Count);
        Assert.Empty(b.Index.Writes);
        Assert.Empty(scorerB.Embedded);
    }
}
