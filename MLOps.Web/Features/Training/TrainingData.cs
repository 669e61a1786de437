using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

/// <summary>
/// Training's view of the service's data: the catalog's documents and cached embeddings, each judgment
/// set's tag planned by the relevance pipeline (<see cref="ITagPlanner"/>, with the configured options
/// as a trained version's runs plan it: the first pass by <see cref="FusionModel.FirstPass"/>), and each pool document's features from
/// <see cref="TagScoring.Features"/>, the chunk job's function. A set's pool is every catalog document
/// with text that its genre filter admits (a set's free-text query is not applied).
/// </summary>
public sealed class TrainingData(ICatalogIndex index, IEmbeddingCache cache, ITagPlanner planner, IOptions<RelevanceOptions> relevance, IConfiguration configuration)
{
    private const int ReadPage = 1000;
    private const int EmbedBatch = 256;

    /// <summary>One <see cref="SetFeatures"/> per set, in order, with the untrained default's scores as <see cref="SetFeatures.Baseline"/>.</summary>
    public async Task<IReadOnlyList<SetFeatures>> BuildAsync(IEmbeddingScorer scorer, IReadOnlyList<JudgedSet> sets, int seed, Action<string> progress, CancellationToken ct)
    {
        var docs = await ReadCatalogAsync(ct);
        progress($"catalog read: {docs.Count} documents with text");
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var offset = 0; offset < docs.Count; offset += EmbedBatch)
        {
            var batch = docs.GetRange(offset, Math.Min(EmbedBatch, docs.Count - offset));
            var got = await CachedEmbeddings.GetAsync(scorer, cache, [.. batch.Select(d => d.ClassificationText)], ct);
            for (var j = 0; j < batch.Count; j++)
            {
                vectors[batch[j].Id] = got.Vectors[j];
            }
        }

        progress($"embeddings ready for {vectors.Count} documents");
        var o = relevance.Value;
        // The hard negatives come from the hand-set first pass, so no learned weights shape the training rows.
        var baseline = FusionModel.FirstPass(o);
        var plans = await PlanAsync(scorer, sets, [.. docs.Select(d => d.Id)], o, ct);
        progress($"planned {plans.Count} tags");
        return [.. sets.Select((s, g) => Features(s, g, docs, vectors, plans[LabelNaming.ToFieldKey(s.Query.Tag)], baseline, seed))];
    }

    /// <summary>The hand-set fusion's weights in <see cref="FusionTrainer.Features"/> order: where coordinate ascent starts.</summary>
    public IReadOnlyList<double> Prior()
    {
        var hand = FusionModel.HandSet(relevance.Value).Weights;
        return [.. FusionTrainer.Features.Select(f => hand.GetValueOrDefault(f))];
    }

    /// <summary>A set's record for the lineage: what it is and the sha256 of its query and sorted judgments.</summary>
    public static TrainingSetRecord Record(JudgedSet set, SetFeatures? features)
    {
        var sha = JudgedSetHash.Sha256(set);
        return new TrainingSetRecord(set.Name, set.Query.Tag, set.Query.Genre, set.Grades.Count, set.Grades.Values.Count(g => g >= 2), features?.Rows.Count ?? 0, sha);
    }

    private async Task<Dictionary<string, TagPlan>> PlanAsync(
        IEmbeddingScorer scorer, IReadOnlyList<JudgedSet> sets, IReadOnlyList<string> ids, RelevanceOptions o, CancellationToken ct)
    {
        var tags = sets.Select(s => s.Query.Tag).DistinctBy(LabelNaming.ToFieldKey, StringComparer.Ordinal)
            .Select(t => new TagToPlan(LabelNaming.ToFieldKey(t), LabelNaming.ToLabel(t), LabelNaming.ToFieldName(t))).ToList();
        var template = configuration["Reclassification:HypothesisTemplate"];
        var request = new TagPlanRequest(scorer, tags, ids, string.IsNullOrWhiteSpace(template) ? null : template) { Options = o };
        var batch = await planner.PlanAsync(request, ct);
        return batch.Plans.ToDictionary(p => p.Tag, StringComparer.Ordinal);
    }

    private static SetFeatures Features(
        JudgedSet set, int group, List<CatalogDocument> docs, Dictionary<string, float[]> vectors, TagPlan plan, FusionModel baseline, int seed)
    {
        var pool = docs.Where(d => set.Query.Genre is null || d.Genres.Any(g => string.Equals(g, set.Query.Genre, StringComparison.OrdinalIgnoreCase))).ToList();
        var ids = pool.Select(d => d.Id).ToList();
        var x = new double[pool.Count][];
        var first = new double[pool.Count];
        for (var i = 0; i < pool.Count; i++)
        {
            var f = TagScoring.Features(plan, ids[i], vectors[ids[i]]);
            x[i] = [.. FusionTrainer.Features.Select(n => (double)f[n])];
            first[i] = baseline.ModelCalibration ? f[ScorePartNames.Cosine] : baseline.Fuse(f);
        }

        var rows = TrainingRows.Select(ids, first, set.Grades, seed, group);
        return new SetFeatures(set.Name, ids, x, set.Grades, rows) { Baseline = first, Tag = set.TagKey() };
    }

    private async Task<List<CatalogDocument>> ReadCatalogAsync(CancellationToken ct)
    {
        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(ct))
        {
            ids.Add(id);
        }

        var docs = new List<CatalogDocument>(ids.Count);
        for (var offset = 0; offset < ids.Count; offset += ReadPage)
        {
            var page = await index.GetManyAsync(ids.GetRange(offset, Math.Min(ReadPage, ids.Count - offset)), ct);
            docs.AddRange(page.Where(d => !string.IsNullOrWhiteSpace(d.ClassificationText)));
        }

        return docs;
    }
}
