using System.Diagnostics;
using System.Globalization;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>bench embed</c>: docs/s of one model version over the TMDB overviews per batch size (and with
/// or without length bucketing), through the service's own path (tokenizer, micro-batcher,
/// <c>OnnxModelSession</c>, pooling), with the session settings given; <c>bench tokens</c>: the
/// token-length distribution of the same texts under the model's tokenizer.
/// </summary>
internal static class EmbedBench
{
    public static async Task RunAsync(string root, ClassificationBenchOptions options, List<string> texts, TextWriter output, CancellationToken ct)
    {
        var session = options.EffectiveSession;
        output.WriteLine($"embedding {texts.Count} TMDB overviews with {options.Model}, {Environment.ProcessorCount} CPUs, {options.EffectiveWorkers} inference worker(s), {session.Describe()}");
        output.WriteLine("| batch | bucketing | docs/s | wall s | in Run (all workers) | tokenise | tensors + pooling | other |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var batch in options.EffectiveBatches)
        {
            foreach (var bucketing in options.EffectiveBucketing)
            {
                var model = ClassificationBench.Load(root, options.Model, options.BatchingFor(batch, bucketing), session);
                try
                {
                    output.WriteLine(await MeasureAsync(model, texts, batch, bucketing, ct));
                }
                finally
                {
                    await model.ReleaseAndWaitAsync();
                }
            }
        }
    }

    /// <summary>One row: a warm-up of 16 texts, the tokenizer alone over every text, then every text embedded.</summary>
    private static async Task<string> MeasureAsync(Features.Models.LoadedModel model, List<string> texts, int batch, bool bucketing, CancellationToken ct)
    {
        var scorer = (IEmbeddingScorer)model.Scorer;
        await scorer.EmbedAsync(texts.Take(16).ToList(), ct);
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
        var tensors = timings.Prepare + timings.Post;
        var other = wall - timings.Run - tensors - tokenise;
        string Share(TimeSpan part) => (part / wall).ToString("P1", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {batch} | {(bucketing ? "on" : "off")} | {texts.Count / wall.TotalSeconds:F1} | {wall.TotalSeconds:F1} | {Share(timings.Run)} | {Share(tokenise)} | {Share(tensors)} | {Share(other < TimeSpan.Zero ? TimeSpan.Zero : other)} |");
    }

    /// <summary>
    /// Tokens per text ([CLS] and [SEP] included, not truncated) for the catalog's text (title and
    /// overview) and the overview alone, against the model's window; and the padding a batch costs
    /// (tokens computed / real tokens) unsorted and length-bucketed.
    /// </summary>
    public static Task TokensAsync(string root, string modelId, List<ClassificationBench.Movie> movies, TextWriter output)
    {
        var (name, version) = (modelId.Split('@')[0], modelId.Split('@')[1]);
        var dir = Path.Combine(root, name, version);
        var manifest = Features.Models.ModelManifest.Read(Path.Combine(dir, Features.Models.ModelManifest.FileName));
        var tokenizer = ModelTokenizer.Load(dir, manifest.Tokenizer, manifest.Lowercase);
        var window = manifest.MaxTokens;
        output.WriteLine($"token lengths of {movies.Count} TMDB movies under {modelId}'s tokenizer (window {window} tokens; [CLS] and [SEP] counted)");
        output.WriteLine($"| text | mean | p50 | p75 | p90 | p95 | p99 | max | > 128 | > {window} (truncated) |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var catalog = movies.ConvertAll(m => tokenizer.Encode(m.Text, 1 << 20).Length);
        var overviews = movies.ConvertAll(m => tokenizer.Encode(m.Overview, 1 << 20).Length);
        foreach (var (label, lengths) in new[] { ("title + \". \" + overview (catalog)", catalog), ("overview only (bench embed)", overviews) })
        {
            var sorted = lengths.Order().ToArray();
            int P(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
            double Share(int over) => sorted.Count(l => l > over) / (double)sorted.Length;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {sorted.Average():F1} | {P(0.5)} | {P(0.75)} | {P(0.9)} | {P(0.95)} | {P(0.99)} | {sorted[^1]} | {Share(128):P1} | {Share(window):P1} ({sorted.Count(l => l > window)}) |"));
        }

        output.WriteLine();
        output.WriteLine("| padding (catalog texts) | batch 8 | batch 32 |");
        output.WriteLine("|---|---:|---:|");
        var capped = catalog.ConvertAll(l => Math.Min(l, window));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| unsorted | {Padding(capped, 8):F2}x | {Padding(capped, 32):F2}x |"));
        var bucketed = capped.Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| length-bucketed | {Padding(bucketed, 8):F2}x | {Padding(bucketed, 32):F2}x |"));
        return Task.CompletedTask;
    }

    /// <summary>Tokens computed when each batch is padded to its longest text, over the real tokens.</summary>
    private static double Padding(List<int> lengths, int batch) =>
        lengths.Chunk(batch).Sum(c => (double)c.Max() * c.Length) / lengths.Sum();
}
