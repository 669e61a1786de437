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
/// <c>--batches</c>, <c>--spinning</c>, <c>--url</c> and <c>--requests</c> (latency, against a running service).
/// </summary>
public static class ClassificationBench
{
    private static readonly string[] Templates = ["This example is {}.", "This movie is about {}.", "A {} movie."];

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
                await EmbedAsync(await RegistryAsync(options.Registry, ct), options, movies, output, ct);
                break;
            case ClassificationBenchKind.Accuracy:
                await AccuracyAsync(await RegistryAsync(options.Registry, ct), options.Spinning, movies, output, ct);
                break;
            default:
                await LatencyAsync(options.EffectiveUrl, movies, options.Requests, output, ct);
                break;
        }

        return 0;
    }

    private sealed record Movie(string Overview, string[] Genres);

    private static List<Movie> Movies(string path, int limit)
    {
        var movies = new List<Movie>();
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var overview = doc.RootElement.TryGetProperty("overview", out var o) ? o.GetString() : null;
            var genres = doc.RootElement.TryGetProperty("genres", out var g) ? g.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            if (!string.IsNullOrWhiteSpace(overview))
            {
                movies.Add(new Movie(overview, genres));
            }

            if (movies.Count >= limit)
            {
                break;
            }
        }

        return movies;
    }

    private static async Task<string> RegistryAsync(string root, CancellationToken ct)
    {
        root = Path.GetFullPath(root);
        var materializer = new BuiltInModelMaterializer(root, null, TimeProvider.System, NullLogger.Instance);
        foreach (var model in BuiltInModels.All)
        {
            await materializer.MaterializeAsync(model, ct);
        }

        return root;
    }

    private static LoadedModel Load(string root, string id, BatchingSettings batching, bool spinning)
    {
        var (name, version) = (id.Split('@')[0], id.Split('@')[1]);
        var dir = Path.Combine(root, name, version);
        var manifest = ModelManifest.Read(Path.Combine(dir, ModelManifest.FileName));
        return LoadedModel.Load(new ModelDescriptor(id, name, version, manifest.Kind, manifest.Sha256 ?? "", dir), manifest, new OnnxSessionSettings(AllowSpinning: spinning), batching);
    }

    private static async Task EmbedAsync(string root, ClassificationBenchOptions options, List<Movie> movies, TextWriter output, CancellationToken ct)
    {
        var (id, spinning) = (options.Model, options.Spinning);
        var texts = movies.ConvertAll(m => m.Overview);
        output.WriteLine($"embedding {texts.Count} TMDB overviews with {id}, {Environment.ProcessorCount} CPUs, intra-op threads = CPU count, spinning {(spinning ? "on" : "off")}");
        output.WriteLine("| batch | bucketing | docs/s | wall s | in Run | tokenise | tensors + pooling | other |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var batch in options.EffectiveBatches)
        {
            foreach (var bucketing in new[] { true, false })
            {
                var model = Load(root, id, new BatchingSettings(batch, TimeSpan.Zero, bucketing), spinning);
                try
                {
                    var scorer = (IEmbeddingScorer)model.Scorer;
                    await scorer.EmbedAsync(texts.Take(16).ToList(), ct); // warm-up
                    var manifest = model.Manifest;
                    var tokenizer = ModelTokenizer.Load(model.Descriptor.Directory, manifest.Tokenizer, manifest.Lowercase);
                    var t0 = Stopwatch.GetTimestamp();
                    foreach (var t in texts)
                    {
                        tokenizer.Encode(t, manifest.MaxTokens);
                    }

                    var tokenise = Stopwatch.GetElapsedTime(t0);
                    model.Timings.Reset();
                    var w0 = Stopwatch.GetTimestamp();
                    await scorer.EmbedAsync(texts, ct);
                    var wall = Stopwatch.GetElapsedTime(w0);
                    var timings = model.Timings;
                    var run = timings.Run;
                    var tensors = timings.Prepare + timings.Post;
                    var other = wall - run - tensors - tokenise;
                    string Share(TimeSpan part) => (part / wall).ToString("P1", CultureInfo.InvariantCulture);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {batch} | {(bucketing ? "on" : "off")} | {texts.Count / wall.TotalSeconds:F1} | {wall.TotalSeconds:F1} | {Share(run)} | {Share(tokenise)} | {Share(tensors)} | {Share(other < TimeSpan.Zero ? TimeSpan.Zero : other)} |"));
                }
                finally
                {
                    await model.ReleaseAndWaitAsync();
                }
            }
        }
    }

    private static async Task AccuracyAsync(string root, bool spinning, List<Movie> movies, TextWriter output, CancellationToken ct)
    {
        var genres = movies.SelectMany(m => m.Genres).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var labelled = movies.Where(m => m.Genres.Length > 0).ToList();
        output.WriteLine($"zero-shot genre classification: {labelled.Count} TMDB movies, {genres.Count} genres as labels");
        output.WriteLine("| model | template | top-1 in true genres | macro ROC-AUC | mean average precision |");
        output.WriteLine("|---|---|---:|---:|---:|");
        foreach (var id in BuiltInModels.All.Select(b => b.Id))
        {
            var model = Load(root, id, new BatchingSettings(32, TimeSpan.Zero, true), spinning);
            try
            {
                var scorer = (IEmbeddingScorer)model.Scorer;
                var docs = await scorer.EmbedAsync(labelled.ConvertAll(m => m.Overview), ct);
                foreach (var template in Templates)
                {
                    var hyps = await scorer.EmbedAsync(genres.ConvertAll(g => scorer.Hypothesis(g, template)), ct);
                    var scores = docs.Select(d => scorer.ScoreEmbeddings(d, hyps)).ToList();
                    var top1 = labelled.Select((m, i) => m.Genres.Contains(genres[Array.IndexOf(scores[i], scores[i].Max())])).Count(x => x) / (double)labelled.Count;
                    var auc = genres.Select((g, j) => Auc(labelled.Select((m, i) => (scores[i][j], m.Genres.Contains(g))).ToList())).Where(double.IsFinite).Average();
                    var map = labelled.Select((m, i) => AveragePrecision(genres.Select((g, j) => (scores[i][j], m.Genres.Contains(g))).ToList())).Average();
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {id} | `{template}` | {top1:P1} | {auc:F3} | {map:F3} |"));
                }
            }
            finally
            {
                await model.ReleaseAndWaitAsync();
            }
        }
    }

    private static double Auc(List<(float Score, bool Positive)> items)
    {
        var ranked = items.OrderBy(x => x.Score).ToList();
        double pos = ranked.Count(x => x.Positive), neg = ranked.Count - pos, rankSum = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            if (ranked[i].Positive)
            {
                rankSum += i + 1;
            }
        }

        return pos == 0 || neg == 0 ? double.NaN : (rankSum - (pos * (pos + 1) / 2)) / (pos * neg);
    }

    private static double AveragePrecision(List<(float Score, bool Positive)> items)
    {
        var ranked = items.OrderByDescending(x => x.Score).ToList();
        double hits = 0, sum = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            if (ranked[i].Positive)
            {
                hits++;
                sum += hits / (i + 1);
            }
        }

        return hits == 0 ? 0 : sum / hits;
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
