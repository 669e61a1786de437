using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Catalog;

/// <summary>The <c>import</c> verb, run as the real executable: <c>dotnet MLOps.Web.dll import &lt;file&gt; [--strict]</c>.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _data = TempDirectory.Create("cli-data");
    private readonly string _work = TempDirectory.Create("cli-input");

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        Directory.Delete(_work, recursive: true);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _work,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLOps.Web.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add($"--Storage:DataDirectory={_data}");
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private async Task<long> CountAsync()
    {
        using var index = new LuceneCatalogIndex(Path.Combine(_data, "index"), NullLogger<LuceneCatalogIndex>.Instance);
        return await index.CountAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Import_writes_the_file_into_the_index_and_strict_failure_exits_non_zero_writing_nothing()
    {
        var good = Path.Combine(_work, "good.ndjson");
        await File.WriteAllTextAsync(good, """
            {"index":{"_id":"c1"}}
            {"title":"Command Line One","genres":[{"name":"Family"}]}
            {"index":{"_id":"c2"}}
            {"title":"Command Line Two"}
            """);
        var bad = Path.Combine(_work, "bad.jsonl");
        await File.WriteAllTextAsync(bad, """
            {"id":"c3","title":"Fine"}
            {"id":"c4"}
            """);

        var ok = await RunAsync("import", good);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("\"indexed\": 2", ok.Stdout, StringComparison.Ordinal);

        var strict = await RunAsync("import", bad, "--strict");
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("line 2: title is missing", strict.Stderr, StringComparison.Ordinal);

        var missing = await RunAsync("import", Path.Combine(_work, "nope.json"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, await CountAsync());
    }
}
