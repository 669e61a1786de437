using System.Text.Json;
using MLOps.Web.Commands;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Reclassification;

/// <summary>
/// The cost of everything but inference: the real Hangfire jobs over the 4,803 TMDB movies with the
/// in-test bag-of-words scorer (microseconds per text) and an in-memory index. Opt-in (MLOPS_BENCH=1),
/// needs ../shared/data; the numbers go to docs/benchmarks.md.
/// </summary>
public sealed class ReclassificationOverheadBenchmark(ITestOutputHelper output)
{
    private static string? TmdbFile =>
        TestEnvironment.SharedData is { } data && File.Exists(Path.Combine(data, "tmdb", "tmdb_5000_movies.min.jsonl"))
            ? Path.Combine(data, "tmdb", "tmdb_5000_movies.min.jsonl") : null;

    public sealed class BenchFactAttribute : FactAttribute
    {
        public BenchFactAttribute()
        {
            if (Environment.GetEnvironmentVariable("MLOPS_BENCH") != "1")
            {
                Skip = "Benchmark: opt in with MLOPS_BENCH=1.";
            }
            else if (TmdbFile is null)
            {
                Skip = "Benchmark: ../shared/data/tmdb is absent.";
            }
        }
    }

    [BenchFact]
    public async Task Reclassification_overhead_over_the_tmdb_catalog()
    {
        var docs = File.ReadLines(TmdbFile!).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var r = json.RootElement;
            return new CatalogDocument
            {
                Id = r.GetProperty("id").ToString(),
                Title = r.GetProperty("title").GetString() ?? "",
                Overview = r.TryGetProperty("overview", out var o) ? o.GetString() : null,
            };
        }).ToList();
        using var factory = new ReclassificationAppFactory(
            new InMemoryCatalogIndex(docs), new FakeScorerProvider(new FakeEmbeddingScorer()), new FixedTrendingReader(),
            new Dictionary<string, string?> { ["Reclassification:ChunkSize"] = "500", ["Hangfire:WorkerCount"] = "3" });
        using var client = factory.CreateClient();
        using var report = new StringWriter();

        var bench = Assert.IsType<ReclassifyBenchCommand>(AppCommand.Parse(["bench", "reclassify"]));
        var code = await bench.MeasureAsync(factory.Services, report, CancellationToken.None);

        output.WriteLine(report.ToString());
        Assert.Equal(0, code);
    }
}
