using System.Text.Json;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Tests.Integration.Evaluation;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Deploy;

/// <summary>
/// The held-out judgments in <c>benchmarks/judgments/held-out</c> (docs/benchmarks.md, "Relevance"):
/// each file loads as the service loads a CSV set, grades 0-3, enough relevant documents to rank;
/// where ../shared/data is here, every id is a TMDB 5000 movie and no tag repeats a dev tag.
/// </summary>
public sealed class HeldOutJudgmentsTests
{
    private static readonly string Folder = RepositoryFiles.PathOf("benchmarks", "judgments", "held-out");

    public static TheoryData<string> Tags() => [.. Names()];

    private static IEnumerable<string> Names() => Directory.GetFiles(Folder, "*.csv").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);

    [Fact]
    public void Ten_tags_are_held_out()
    {
        Assert.Equal(["christmas", "dinosaurs", "dogs", "football", "pirates", "spies", "vampires", "wedding", "witches", "zombies"], Names());
    }

    [Theory]
    [MemberData(nameof(Tags))]
    public void Each_set_loads_as_the_service_loads_a_csv_and_has_documents_to_rank(string tag)
    {
        var parsed = JudgmentParser.ParseCsv(File.ReadAllText(Path.Combine(Folder, tag + ".csv")), 10_000);

        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        Assert.InRange(parsed.Judgments.Count, 40, 200);
        Assert.All(parsed.Judgments, j => Assert.InRange(j.Relevance, 0, 3));
        Assert.InRange(parsed.Judgments.Count(j => j.Relevance >= 2), 10, parsed.Judgments.Count);
        Assert.Equal(parsed.Judgments.Count, parsed.Judgments.Select(j => j.DocumentId).Distinct(StringComparer.Ordinal).Count());
    }

    [EvaluationRealModelFact]
    public void Every_id_is_a_tmdb_movie_and_no_tag_is_a_dev_tag()
    {
        var data = TestEnvironment.SharedData!;
        var ids = File.ReadLines(Path.Combine(data, "tmdb", "tmdb_5000_movies.min.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").ToString()).ToHashSet(StringComparer.Ordinal);
        var dev = Directory.GetFiles(Path.Combine(data, "judgments-dev"), "*.csv").Select(f => Path.GetFileNameWithoutExtension(f)).ToList();

        Assert.NotEmpty(dev);
        foreach (var tag in Names())
        {
            Assert.DoesNotContain(tag, dev);
            var parsed = JudgmentParser.ParseCsv(File.ReadAllText(Path.Combine(Folder, tag + ".csv")), 10_000);
            Assert.All(parsed.Judgments, j => Assert.Contains(j.DocumentId, ids));
        }
    }
}
