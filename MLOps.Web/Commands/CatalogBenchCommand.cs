using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>dotnet MLOps.Web.dll bench catalog [--file &lt;movies.jsonl&gt;] [--queries N]</c>: import, bulk
/// classification update and search latency on temporary Lucene indexes (no host, no data directory),
/// printed as a markdown table (docs/benchmarks.md).
/// </summary>
/// <param name="File">The catalog file; null: ../shared/data/tmdb/tmdb_5000_movies.min.jsonl above the working folder.</param>
/// <param name="Queries">Timed runs of each reference search.</param>
public sealed record CatalogBenchCommand(string? File, int Queries = CatalogBenchCommand.DefaultQueries) : AppCommand
{
    public const string Kind = "catalog";

    public const int DefaultQueries = 300;

    private static readonly VerbSpec Spec = new("bench catalog", Flags: [], Options: ["file", "queries"], MaxPositionals: 0, AcceptsSettings: false);

    internal static CatalogBenchCommand FromArguments(IReadOnlyList<string> args)
    {
        var parsed = VerbArguments.Split(Spec, args);
        return new CatalogBenchCommand(parsed.Option("file"), parsed.PositiveInt("queries", DefaultQueries));
    }

    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var file = File ?? FindSharedTmdb();
        if (file is null || !System.IO.File.Exists(file))
        {
            await error.WriteLineAsync("bench catalog: no input; pass --file <movies.jsonl> (e.g. ../shared/data/tmdb/tmdb_5000_movies.min.jsonl).");
            return ImportCommand.NoInputExitCode;
        }

        using var cancellation = new CtrlCCancellation(cancellationToken);
        var bench = new CatalogBenchmark(file, Queries, cancellation.Token);
        try
        {
            foreach (var line in await bench.RunAsync())
            {
                await output.WriteLineAsync(line);
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }

    private static string? FindSharedTmdb()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "data", "tmdb", "tmdb_5000_movies.min.jsonl");
            if (System.IO.File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }
}

/// <summary>The measures of <see cref="CatalogBenchCommand"/>, one table row each, on two temporary indexes.</summary>
internal sealed class CatalogBenchmark(string file, int queries, CancellationToken cancellationToken)
{
    private const int UpdateBatch = 500;
    private const int WarmUpRuns = 20;

    private static readonly (string Name, SearchQuery Query)[] ReferenceQueries =
    [
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
    ];

    private readonly List<string> _lines = [];

    /// <summary>Runs every measure; returns the report's lines (machine, input, table).</summary>
    public async Task<IReadOnlyList<string>> RunAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mlops-bench-{Guid.NewGuid():N}");
        var coldDir = dir + "-cold";
        _lines.AddRange(
        [
            $"machine: {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
            $"input: {file}",
            "",
            "| measure | wall | CPU (user+sys) |",
            "|---|---|---|",
        ]);
        try
        {
            // The first import in a fresh process also pays for JIT compilation; it goes to its own index.
            using (var cold = new LuceneCatalogIndex(coldDir, NullLogger<LuceneCatalogIndex>.Instance))
            {
                await TimedImportAsync(Importer(cold), "import, empty index, cold process");
            }

            using var index = new LuceneCatalogIndex(dir, NullLogger<LuceneCatalogIndex>.Instance);
            var importer = Importer(index);
            await TimedImportAsync(importer, "import, empty index, warm");
            await TimedImportAsync(importer, "re-import, same ids (upsert keeping classifications)");
            await BulkUpdateAsync(index);
            foreach (var (name, query) in ReferenceQueries)
            {
                await SearchAsync(index, name, query);
            }

            return _lines;
        }
        finally
        {
            foreach (var d in new[] { dir, coldDir }.Where(Directory.Exists))
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }

    private static CatalogImporter Importer(ICatalogIndex index) =>
        new(index, Options.Create(new CatalogImportOptions()), NullLogger<CatalogImporter>.Instance);

    private async Task TimedImportAsync(CatalogImporter importer, string label)
    {
        var cpu = CpuTime();
        var report = await importer.ImportFileAsync(file, strict: false, cancellationToken);
        var cpuSeconds = (CpuTime() - cpu).TotalSeconds;
        _lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"| {label} ({report.Indexed} docs, batches of {new CatalogImportOptions().BatchSize}) | {report.DocsPerSecond:F0} docs/s ({report.DurationMs:F0} ms) | {report.Indexed / cpuSeconds:F0} docs per CPU-second |"));
    }

    /// <summary>Three random classification fields on every document, in batches of 500.</summary>
    private async Task BulkUpdateAsync(LuceneCatalogIndex index)
    {
        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            ids.Add(id);
        }

        var rnd = new Random(42);
        var cpu = CpuTime();
        var sw = Stopwatch.StartNew();
        foreach (var chunk in ids.Chunk(UpdateBatch))
        {
            var updates = chunk.Select(id => new ClassificationUpdate(id,
                new Dictionary<string, float>
                {
                    ["classification_christmas"] = (float)rnd.NextDouble(),
                    ["classification_sports"] = (float)rnd.NextDouble(),
                    ["classification_space"] = (float)rnd.NextDouble(),
                }, "bench", DateTimeOffset.UnixEpoch)).ToList();
            await index.UpdateClassificationsAsync(updates, cancellationToken);
        }

        sw.Stop();
        _lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"| bulk classification update ({ids.Count} docs × 3 fields, batches of {UpdateBatch}) | {ids.Count / sw.Elapsed.TotalSeconds:F0} docs/s ({sw.ElapsedMilliseconds} ms) | {ids.Count / (CpuTime() - cpu).TotalSeconds:F0} docs per CPU-second |"));
    }

    /// <summary>p50 and p99 of <c>queries</c> runs of one query, after 20 warm-up runs.</summary>
    private async Task SearchAsync(LuceneCatalogIndex index, string name, SearchQuery query)
    {
        for (var i = 0; i < WarmUpRuns; i++)
        {
            await index.SearchAsync(query, cancellationToken);
        }

        var times = new double[queries];
        long total = 0;
        for (var i = 0; i < queries; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var r = await index.SearchAsync(query, cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            total = r.Total;
        }

        Array.Sort(times);
        _lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"| search: {name} ({total} matches, top 10), {queries} runs | p50 {Percentile(times, 0.50):F2} ms, p99 {Percentile(times, 0.99):F2} ms | |"));
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
