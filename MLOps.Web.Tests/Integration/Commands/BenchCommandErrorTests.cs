using MLOps.Web.Commands;

namespace MLOps.Web.Tests.Integration.Commands;

/// <summary>
/// The relevance and training benches find a wrong <c>--model</c> only when they open the registry:
/// that is a usage error (exit 2, "error: ..." naming the model and what the registry holds), not an
/// unhandled exception. Runs the real verbs on a one-movie catalog and a registry in a temp folder.
/// </summary>
public sealed class BenchCommandErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlops-bench-errors-").FullName;

    [Theory]
    [InlineData("relevance")]
    [InlineData("train")]
    public async Task A_model_the_registry_lacks_is_a_usage_error_naming_what_it_holds(string kind)
    {
        var catalog = Path.Combine(_dir, "movies.jsonl");
        await File.WriteAllTextAsync(catalog, """{"id":"1","title":"Jingle All the Way","overview":"A father hunts for a Christmas toy.","genres":["Family"]}""" + "\n");
        var judgments = Directory.CreateDirectory(Path.Combine(_dir, "judgments")).FullName;
        await File.WriteAllTextAsync(Path.Combine(judgments, "christmas.csv"), "document_id,relevance\n1,3\n");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await AppCommand.RunAsync(
            ["bench", kind, "--catalog", catalog, "--judgments", judgments, "--registry", Path.Combine(_dir, "models"), "--model", "no-such-model@7"],
            stdout, stderr, CancellationToken.None);

        Assert.Equal(AppCommand.UsageExitCode, code);
        var error = stderr.ToString();
        Assert.StartsWith("error: bench relevance: no model no-such-model@7", error, StringComparison.Ordinal);
        Assert.Contains("all-MiniLM-L6-v2@1", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hold_out_tag_the_judgments_lack_is_a_usage_error_naming_the_tags_they_have()
    {
        var catalog = Path.Combine(_dir, "movies.jsonl");
        await File.WriteAllTextAsync(catalog, string.Join('\n',
            """{"id":"1","title":"Jingle All the Way","overview":"A father hunts for a Christmas toy.","genres":["Family"]}""",
            """{"id":"2","title":"Space Jam","overview":"Michael Jordan plays basketball with the Looney Tunes.","genres":["Family"]}""") + "\n");
        var judgments = Directory.CreateDirectory(Path.Combine(_dir, "judgments")).FullName;
        await File.WriteAllTextAsync(Path.Combine(judgments, "christmas.csv"), "document_id,relevance\n1,3\n2,0\n");
        await File.WriteAllTextAsync(Path.Combine(judgments, "basketball.csv"), "document_id,relevance\n1,0\n2,3\n");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await AppCommand.RunAsync(
            ["bench", "train", "--catalog", catalog, "--judgments", judgments, "--registry", Path.Combine(_dir, "models"), "--hold-out", "basketball,Wizards"],
            stdout, stderr, CancellationToken.None);

        Assert.Equal(AppCommand.UsageExitCode, code);
        Assert.StartsWith("error: bench train: --hold-out names tags the judgments do not have: Wizards (they have basketball, christmas)", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
