using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>
/// Command-line verbs handled before the web host runs:
/// <c>import &lt;file&gt; [--strict]</c> imports into the configured index;
/// <c>bench catalog [--file &lt;jsonl&gt;] [--queries N]</c> measures the Lucene catalog on a temporary index.
/// Configuration arguments (<c>--Section:Key=value</c>) still apply.
/// </summary>
public static class CatalogCommands
{
    private static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary><c>import &lt;file&gt;</c> or <c>bench catalog ...</c> (the other <c>bench</c> verbs belong to classification).</summary>
    public static bool IsCommand(string[] args) => args is ["import", ..] or ["bench", "catalog", ..];

    /// <summary>The arguments the host should see: all of them normally; for a verb, only <c>--Key=value</c> settings.</summary>
    public static string[] HostArguments(string[] args) =>
        IsCommand(args) ? [.. args.Skip(VerbLength(args)).Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal))] : args;

    private static int VerbLength(string[] args) => args[0] == "bench" ? 2 : 1;

    public static async Task<int> RunAsync(WebApplicationBuilder builder, string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        var verbArgs = args.Skip(VerbLength(args)).Where(a => !(a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal))).ToList();
        try
        {
            return args[0] == "import"
                ? await ImportAsync(builder, verbArgs, cts.Token)
                : await BenchAsync(verbArgs, cts.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }

    private static async Task<int> ImportAsync(WebApplicationBuilder builder, List<string> args, CancellationToken ct)
    {
        var strict = args.Remove("--strict");
        var unknown = args.Where(a => a.StartsWith('-')).ToList();
        if (args.Count != 1 || unknown.Count > 0)
        {
            await Console.Error.WriteLineAsync("usage: MLOps.Web import <file> [--strict] [--Section:Key=value ...]");
            return 64;
        }

        var path = Path.GetFullPath(args[0]);
        if (!File.Exists(path))
        {
            await Console.Error.WriteLineAsync($"import failed: file '{path}' does not exist.");
            return 66;
        }

        try
        {
            await using var app = builder.Build();
            var index = app.Services.GetRequiredService<ICatalogIndex>();
            await index.EnsureCreatedAsync(ct);
            var report = await app.Services.GetRequiredService<CatalogImporter>().ImportFileAsync(path, strict, ct);
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, ReportJson));
            if (!report.Succeeded)
            {
                await Console.Error.WriteLineAsync($"import failed: {report.Failure}");
                foreach (var e in report.Errors)
                {
                    await Console.Error.WriteLineAsync($"  {e}");
                }

                return 1;
            }

            await Console.Error.WriteLineAsync(
                $"imported {report.Indexed} documents ({report.Format}) in {report.DurationMs / 1000:F1} s; {report.Skipped} bad records skipped.");
            return report.Skipped > 0 ? 2 : 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"import failed: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> BenchAsync(List<string> args, CancellationToken ct)
    {
        var file = Option(args, "--file") ?? FindSharedTmdb();
        var queries = int.Parse(Option(args, "--queries") ?? "300", CultureInfo.InvariantCulture);
        if (file is null || !File.Exists(file))
        {
            await Console.Error.WriteLineAsync("bench catalog: no input; pass --file <movies.jsonl> (e.g. ../shared/data/tmdb/tmdb_5000_movies.min.jsonl).");
            return 66;
        }

        var dir = Path.Combine(Path.GetTempPath(), $"mlops-bench-{Guid.NewGuid():N}");
        var coldDir = dir + "-cold";
        var process = Process.GetCurrentProcess();
        try
        {
            var lines = new List<string>
            {
                $"machine: {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
                $"input: {file}",
                "",
                "| measure | wall | CPU (user+sys) |",
                "|---|---|---|",
            };

            async Task<ImportReport> TimedImportAsync(CatalogImporter importer, string label)
            {
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var report = await importer.ImportFileAsync(file, strict: false, ct);
                process.Refresh();
                var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {label} ({report.Indexed} docs, batches of {new CatalogImportOptions().BatchSize}) | {report.DocsPerSecond:F0} docs/s ({report.DurationMs:F0} ms) | {report.Indexed / cpuSeconds:F0} docs per CPU-second |"));
                return report;
            }

            // The first import in a fresh process also pays for JIT compilation; it goes to its own index.
            using (var cold = new LuceneCatalogIndex(coldDir, NullLogger<LuceneCatalogIndex>.Instance))
            {
                await TimedImportAsync(new CatalogImporter(cold, Options.Create(new CatalogImportOptions()), NullLogger<CatalogImporter>.Instance), "import, empty index, cold process");
            }

            using var index = new LuceneCatalogIndex(dir, NullLogger<LuceneCatalogIndex>.Instance);
            var importer = new CatalogImporter(index, Options.Create(new CatalogImportOptions()), NullLogger<CatalogImporter>.Instance);
            await TimedImportAsync(importer, "import, empty index, warm");
            await TimedImportAsync(importer, "re-import, same ids (upsert keeping classifications)");

            var ids = new List<string>();
            await foreach (var id in index.ScanIdsAsync(ct))
            {
                ids.Add(id);
            }

            var rnd = new Random(42);
            process.Refresh();
            var updateCpu = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            foreach (var chunk in ids.Chunk(500))
            {
                var updates = chunk.Select(id => new ClassificationUpdate(id,
                    new Dictionary<string, float>
                    {
                        ["classification_christmas"] = (float)rnd.NextDouble(),
                        ["classification_sports"] = (float)rnd.NextDouble(),
                        ["classification_space"] = (float)rnd.NextDouble(),
                    }, "bench", DateTimeOffset.UnixEpoch)).ToList();
                await index.UpdateClassificationsAsync(updates, ct);
            }

            sw.Stop();
            process.Refresh();
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| bulk classification update ({ids.Count} docs × 3 fields, batches of 500) | {ids.Count / sw.Elapsed.TotalSeconds:F0} docs/s ({sw.ElapsedMilliseconds} ms) | {ids.Count / (process.TotalProcessorTime - updateCpu).TotalSeconds:F0} docs per CPU-second |"));

            var reference = new (string Name, SearchQuery Query)[]
            {
                ("Family movies", new SearchQuery { Genre = "family" }),
                ("Family + \"christmas\"", new SearchQuery { Genre = "family", Text = "christmas" }),
                ("Family sorted by classification_christmas desc", new SearchQuery { Genre = "family", Sort = SearchSortKind.Field, SortField = "classification_christmas" }),
                ("trending blend, q=christmas, 3 tags", new SearchQuery
                {
                    Text = "christmas",
                    Sort = SearchSortKind.Trending,
                    TextWeight = 0.5f,
                    FieldWeights = new Dictionary<string, float> { ["classification_christmas"] = 0.3f, ["classification_sports"] = 0.15f, ["classification_space"] = 0.05f },
                }),
            };
            foreach (var (name, query) in reference)
            {
                for (var i = 0; i < 20; i++)
                {
                    await index.SearchAsync(query, ct);
                }

                var times = new double[queries];
                long total = 0;
                for (var i = 0; i < queries; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    var r = await index.SearchAsync(query, ct);
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    total = r.Total;
                }

                Array.Sort(times);
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| search: {name} ({total} matches, top 10), {queries} runs | p50 {Percentile(times, 0.50):F2} ms, p99 {Percentile(times, 0.99):F2} ms | |"));
            }

            foreach (var line in lines)
            {
                await Console.Out.WriteLineAsync(line);
            }

            return 0;
        }
        finally
        {
            foreach (var d in new[] { dir, coldDir }.Where(Directory.Exists))
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string? Option(List<string> args, string name)
    {
        var i = args.IndexOf(name);
        return i >= 0 && i + 1 < args.Count ? args[i + 1] : null;
    }

    private static string? FindSharedTmdb()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "data", "tmdb", "tmdb_5000_movies.min.jsonl");
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }
}
