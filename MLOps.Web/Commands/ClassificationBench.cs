using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>dotnet run -c Release --project MLOps.Web -- bench embed|accuracy|latency [options]</c>: the
/// figures in docs/benchmarks.md. Options (<see cref="ClassificationBenchOptions"/>, parsed by
/// <see cref="ClassificationBenchCommand"/>): <c>--data</c> (TMDB jsonl, default
/// ../shared/data/tmdb/tmdb_5000_movies.min.jsonl), <c>--limit</c>, <c>--model</c>, <c>--registry</c>,
/// <c>--batches</c>, <c>--bucketing</c>, the session flags (<c>--threads</c>, <c>--spinning</c>, <c>--optimization</c>,
/// <c>--execution</c>, <c>--inter-op</c>, <c>--memory-pattern</c>, <c>--arena</c>), <c>--models</c> and
/// <c>--judgments</c> (accuracy), <c>--url</c> and <c>--requests</c> (latency, against a running service).
/// </summary>
public static class ClassificationBench
{
    /// <summary>Runs one benchmark and prints its table to <paramref name="output"/>; returns 0, or 66 without input data.</summary>
    public static async Task<int> RunAsync(ClassificationBenchKind kind, ClassificationBenchOptions options, TextWriter output, TextWriter error, CancellationToken ct)
    {
        // dotnet run starts in the project folder; ../shared/data is next to the repository root.
        var data = options.Data ?? new[] { "../shared", "../../shared" }
            .Select(d => Path.GetFullPath(Path.Combine(d, "data", "tmdb", "tmdb_5000_movies.min.jsonl")))
            .FirstOrDefault(File.Exists) ?? "../shared/data/tmdb/tmdb_5000_movies.min.jsonl";
        if (!File.Exists(data))
        {
            await error.WriteLineAsync($"bench {kind.ToString().ToLowerInvariant()}: no input data '{Path.GetFullPath(data)}'; pass --data <tmdb.jsonl>.");
            return ImportCommand.NoInputExitCode;
        }

        var movies = Movies(data, options.Limit);
        switch (kind)
        {
            case ClassificationBenchKind.Embed:
                await EmbedBench.RunAsync(await RegistryAsync(options.Registry, ct), options, movies.ConvertAll(m => m.Overview), output, ct);
                break;
            case ClassificationBenchKind.Tokens:
                await EmbedBench.TokensAsync(await RegistryAsync(options.Registry, ct), options.Model, movies, output);
                break;
            case ClassificationBenchKind.Accuracy:
                await AccuracyBench.RunAsync(await RegistryAsync(options.Registry, ct), options, movies, JudgmentsFolder(options.Judgments, data), output, ct);
                break;
            default:
                await LatencyAsync(options.EffectiveUrl, movies, options.Requests, output, ct);
                break;
        }

        return 0;
    }

    /// <summary>One TMDB movie: id, title, overview (non-blank) and genres.</summary>
    internal sealed record Movie(string Id, string Title, string Overview, string[] Genres)
    {
        /// <summary>What the catalog classifies: title and overview, joined as <c>CatalogDocument.ClassificationText</c> joins them.</summary>
        public string Text => string.IsNullOrWhiteSpace(Title) ? Overview : $"{Title}. {Overview}";
    }

    private static List<Movie> Movies(string path, int limit)
    {
        var movies = new List<Movie>();
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var overview = r.TryGetProperty("overview", out var o) ? o.GetString() : null;
            var genres = r.TryGetProperty("genres", out var g) ? g.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            var id = r.TryGetProperty("id", out var i) ? i.ToString() : "";
            var title = r.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
            if (!string.IsNullOrWhiteSpace(overview))
            {
                movies.Add(new Movie(id, title, overview, genres));
            }

            if (movies.Count >= limit)
            {
                break;
            }
        }

        return movies;
    }

    /// <summary>The dev judgments next to the TMDB data (../shared/data/judgments-dev), or the folder given.</summary>
    private static string JudgmentsFolder(string? given, string data) =>
        given ?? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(data))!, "..", "judgments-dev"));

    /// <summary>The built-in models and their int8 copies, written to <paramref name="root"/> (kept when their sha256 still matches).</summary>
    private static async Task<string> RegistryAsync(string root, CancellationToken ct)
    {
        root = Path.GetFullPath(root);
        var materializer = new BuiltInModelMaterializer(root, null, TimeProvider.System, NullLogger.Instance);
        var quantized = new BuiltInQuantizedMaterializer(root, null, TimeProvider.System, NullLogger.Instance);
        foreach (var model in BuiltInModels.All)
        {
            await materializer.MaterializeAsync(model, ct);
            await quantized.MaterializeAsync(model, ct);
        }

        return root;
    }

    /// <summary>The ids of the built-in models and their int8 copies.</summary>
    internal static IEnumerable<string> BuiltInIds() =>
        BuiltInModels.All.SelectMany(b => new[] { b.Id, ModelStore.Id(ModelQuantization.QuantizedName(b.Name), BuiltInModel.Version) });

    /// <summary>A registered version loaded outside any host, with the given session and batching settings.</summary>
    internal static LoadedModel Load(string root, string id, BatchingSettings batching, OnnxSessionSettings session)
    {
        var (name, version) = (id.Split('@')[0], id.Split('@')[1]);
        var dir = Path.Combine(root, name, version);
        var manifestPath = Path.Combine(dir, ModelManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new CommandLineException($"model {id} is not in {root} (the built-ins and their int8 copies: {string.Join(", ", BuiltInIds())}).");
        }

        var manifest = ModelManifest.Read(manifestPath);
        return LoadedModel.Load(new ModelDescriptor(id, name, version, manifest.Kind, manifest.Sha256 ?? "", dir), manifest, session, batching);
    }

    private static async Task LatencyAsync(Uri url, List<Movie> movies, int requests, TextWriter output, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = url };
        string[] labels = ["christmas", "basketball", "ocean", "space", "romance"];
        output.WriteLine($"POST {url}api/classify, one sequence, {labels.Length} labels, multi_label, {requests} requests per level");
        output.WriteLine("| concurrent clients | p50 ms | p99 ms | requests/s |");
        output.WriteLine("|---:|---:|---:|---:|");
        for (var w = 0; w < 10; w++)
        {
            (await client.PostAsJsonAsync("/api/classify", new { sequence = movies[w].Overview, labels, multi_label = true }, ct)).EnsureSuccessStatusCode();
        }

        foreach (var clients in new[] { 1, 8 })
        {
            var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
            var next = -1;
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < requests)
                {
                    var t = Stopwatch.GetTimestamp();
                    using var response = await client.PostAsJsonAsync("/api/classify", new { sequence = movies[i % movies.Count].Overview, labels, multi_label = true }, ct);
                    response.EnsureSuccessStatusCode();
                    latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }, ct)));
            var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var sorted = latencies.Order().ToArray();
            double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {clients} | {P(0.5):F1} | {P(0.99):F1} | {requests / wall:F1} |"));
        }
    }
}
