using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Models;

/// <summary>
/// `topics`: how far apart the hypotheses of tags of one topic and of different topics are, per
/// built-in model, over topic-groups.json (the sample posts' tag forms by season, plus hand groups).
/// For each threshold: merges of same-topic pairs (recall) and of different-topic pairs (false merges).
/// Also the bare labels (no template) for comparison.
/// </summary>
internal static class TopicSimilarity
{
    public static async Task<int> RunAsync(string registry)
    {
        var groups = JsonSerializer.Deserialize<Dictionary<string, string[]>>(
            await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "topic-groups.json")))!;
        var tags = groups.SelectMany(g => g.Value.Select(t => (Topic: g.Key, Tag: t))).ToList();
        Directory.CreateDirectory(registry);
        var materializer = new BuiltInModelMaterializer(registry, null, TimeProvider.System, NullLogger.Instance);
        var quantizer = new BuiltInQuantizedMaterializer(registry, null, TimeProvider.System, NullLogger.Instance);
        Console.WriteLine($"{tags.Count} tags in {groups.Count} topics; {Environment.ProcessorCount} logical cores");
        foreach (var model in BuiltInModels.All)
        {
            await materializer.MaterializeAsync(model, CancellationToken.None);
            await ReportModelAsync(model.Id, model.Name, Path.Combine(registry, model.Name, BuiltInModel.Version), tags);

            // its int8 copy (the default active model is MiniLM's): the threshold is per model name
            await quantizer.MaterializeAsync(model, CancellationToken.None);
            var int8 = ModelQuantization.QuantizedName(model.Name);
            await ReportModelAsync($"{int8}@{BuiltInModel.Version}", int8, Path.Combine(registry, int8, BuiltInModel.Version), tags);
        }

        return 0;
    }

    private static async Task ReportModelAsync(string id, string name, string dir, List<(string Topic, string Tag)> tags)
    {
        var manifest = ModelManifest.Read(Path.Combine(dir, ModelManifest.FileName));
        var loaded = LoadedModel.Load(new ModelDescriptor(id, name, BuiltInModel.Version, manifest.Kind, manifest.Sha256 ?? "", dir),
            manifest, new OnnxSessionSettings(AllowSpinning: false), new BatchingSettings());
        var scorer = (IEmbeddingScorer)loaded.Scorer;
        var labels = tags.ConvertAll(t => LabelNaming.ToLabel(t.Tag));
        await ReportAsync($"{id}, hypotheses ({scorer.Hypothesis("{}", null)})", tags, await scorer.EmbedAsync(labels.ConvertAll(l => scorer.Hypothesis(l, null)), CancellationToken.None));
        await ReportAsync($"{id}, bare labels", tags, await scorer.EmbedAsync(labels, CancellationToken.None));
        await loaded.ReleaseAndWaitAsync();
    }

    private static Task ReportAsync(string title, List<(string Topic, string Tag)> tags, float[][] vectors)
    {
        var same = new List<(double Cosine, string A, string B)>();
        var different = new List<(double Cosine, string A, string B)>();
        for (var i = 0; i < tags.Count; i++)
        {
            for (var j = i + 1; j < tags.Count; j++)
            {
                var cosine = TensorPrimitives.CosineSimilarity(vectors[i], vectors[j]);
                (tags[i].Topic == tags[j].Topic ? same : different).Add((cosine, tags[i].Tag, tags[j].Tag));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"## {title}: {same.Count} same-topic pairs, {different.Count} different-topic pairs");
        Console.WriteLine("threshold | same-topic pairs merged | different-topic pairs merged");
        foreach (var threshold in new[] { 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95 })
        {
            var merged = same.Count(p => p.Cosine >= threshold);
            var wrong = different.Where(p => p.Cosine >= threshold).OrderByDescending(p => p.Cosine).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{threshold:F2} | {merged}/{same.Count} ({100.0 * merged / same.Count:F0}%) | {wrong.Count} {string.Join(", ", wrong.Take(4).Select(p => $"{p.A}~{p.B} {p.Cosine:F3}"))}"));
        }

        Console.WriteLine("closest different-topic pairs: " + string.Join(", ", different.OrderByDescending(p => p.Cosine).Take(8).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.A}~{p.B} {p.Cosine:F3}"))));
        Console.WriteLine("same-topic pairs: " + string.Join(", ", same.OrderByDescending(p => p.Cosine).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.A}~{p.B} {p.Cosine:F3}"))));
        return Task.CompletedTask;
    }
}
