using MLOps.Web.Commands;

namespace MLOps.Web.Tests.Integration.Commands;

/// <summary>
/// <c>bench train --hold-out</c> on a constructed catalog with the real MiniLM: one fold, trained on the
/// tags not held out and scored on those alone (matched without case); training tags the learner cannot
/// use are a clear error, not a stack trace.
/// </summary>
public sealed class TrainBenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlops-bench-train-").FullName;

    [Fact]
    public async Task A_hold_out_run_trains_on_the_other_tags_and_scores_only_the_held_out_ones()
    {
        var (code, stdout, stderr) = await RunAsync(("pirates", "2,3\n4,3\n6,3\n1,0\n3,0\n"), ("office", "3,3\n1,2\n11,2\n2,0\n6,0\n"));

        Assert.True(code == 0, stderr);
        Assert.Contains("one fold: trained on the other 1 tags' whole-catalog sets, scored on pirates", stdout, StringComparison.Ordinal);
        Assert.Contains("| row | pirates | mean | mean Family | unjudged@10 |", stdout, StringComparison.Ordinal);
        Assert.Contains("| trained, held out (learner chosen by nested leave-one-tag-out) | ", stdout, StringComparison.Ordinal);
        Assert.Contains("| coordinate ascent alone (min gain 0.003), held out | ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("| office", stdout, StringComparison.Ordinal);
        Assert.Contains("- pirates: chose ", stdout, StringComparison.Ordinal);
        Assert.Contains("1 folds × 3 learners", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Training_tags_with_one_grade_only_are_an_error_naming_why()
    {
        var (code, stdout, stderr) = await RunAsync(("pirates", "2,3\n4,3\n1,0\n"), ("office", "1,0\n2,0\n7,0\n"));

        Assert.Equal(1, code);
        Assert.StartsWith("bench train: the training tags cannot be trained on (judgments): ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("| trained", stdout, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params (string Tag, string Rows)[] judgments)
    {
        var catalog = Path.Combine(_dir, "movies.jsonl");
        await File.WriteAllLinesAsync(catalog, CommandCatalogs.PiratesAndClerks);
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "judgments")).FullName;
        foreach (var (tag, rows) in judgments)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, tag + ".csv"), "document_id,relevance\n" + rows);
        }

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await AppCommand.RunAsync(
            ["bench", "train", "--catalog", catalog, "--judgments", folder, "--registry", Path.Combine(_dir, "models"), "--model", "all-MiniLM-L6-v2@1", "--hold-out", "Pirates"],
            stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
