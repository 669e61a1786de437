using System.Text.Json;
using MLOps.Web.Commands;

namespace MLOps.Web.Tests.Integration.Commands;

/// <summary>
/// <c>bench pool</c> on a constructed catalog with the real MiniLM: each tag's pool is the union of the
/// systems' top documents (BM25 on the tag word, cosine, the default pipeline; whole catalog and
/// genre=Family), written in id order with nothing but title, overview and genres, so a grader cannot
/// tell which system found a document. Bad arguments are usage errors.
/// </summary>
public sealed class PoolBenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlops-bench-pool-").FullName;

    [Fact]
    public async Task Each_tag_pools_the_systems_top_documents_in_id_order_without_saying_who_found_them()
    {
        var catalog = Path.Combine(_dir, "movies.jsonl");
        await File.WriteAllLinesAsync(catalog, CommandCatalogs.PiratesAndClerks);
        var output = Path.Combine(_dir, "pools");

        var (code, stdout, stderr) = await RunAsync(
            "--tags", "pirates", "--out", output, "--depth", "3", "--family-depth", "1", "--models", "all-MiniLM-L6-v2@1", "--catalog", catalog);

        Assert.True(code == 0, stderr);
        var lines = await File.ReadAllLinesAsync(Path.Combine(output, "pirates.pool.jsonl"));
        var pooled = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ids = pooled.Select(p => p.GetProperty("document_id").GetString()!).ToList();
        Assert.Equal(ids.OrderBy(int.Parse), ids);
        Assert.All(pooled, p => Assert.Equal(["document_id", "title", "overview", "genres"], p.EnumerateObject().Select(x => x.Name)));
        Assert.Contains("2", ids); // the two documents that name the tag (one of them the Family one)
        Assert.Contains("4", ids);
        Assert.Contains("6", ids); // buccaneers: BM25 has two hits; the cosine finds what the word does not
        Assert.InRange(ids.Count, 3, 8); // three systems, depth 3 and Family depth 1, mostly the same documents
        Assert.DoesNotContain("12", ids);
        Assert.Contains($"| pirates | {ids.Count} |", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("option --tags needs", "--out", "x")]
    [InlineData("option --tags needs", "--tags", "#pirates", "--out", "x")]
    [InlineData("option --out <folder> is required", "--tags", "pirates")]
    [InlineData("option --models must list", "--tags", "pirates", "--out", "x", "--models", "minilm")]
    public async Task Bad_arguments_are_usage_errors(string expected, params string[] args)
    {
        var (code, _, stderr) = await RunAsync(args);

        Assert.Equal(AppCommand.UsageExitCode, code);
        Assert.Contains($"bench pool: {expected}", stderr, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await AppCommand.RunAsync(["bench", "pool", "--registry", Path.Combine(_dir, "models"), .. args], stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
