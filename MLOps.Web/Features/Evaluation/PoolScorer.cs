using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// Scores a candidate pool in memory exactly as a reclassification run would score those documents:
/// for an embedding model, the tag is planned over the whole catalog (<see cref="ITagPlanner"/>: lexical
/// evidence, hypothesis, sample statistics, feedback) and each document is scored from its cached
/// embedding by <see cref="TagScoring"/>, the chunk job's function. A cross-encoder scores the texts
/// directly, as its runs do. A trained version's fusion (<see cref="ITrainedVersions"/>) replaces the options' one.
/// </summary>
public sealed class PoolScorer(
    ITagPlanner planner, IEmbeddingCache cache, IOptions<RelevanceOptions> relevance, IConfiguration configuration, ITrainedVersions? trained = null)
{
    /// <summary>Documents embedded or scored per call (keeps cancellation responsive).</summary>
    private const int Batch = 256;

    /// <summary>One score per pool document (0 for a document without text), and the tag's plan when one was made.</summary>
    public async Task<(double[] Scores, TagPlan? Plan)> ScoreAsync(IZeroShotScorer scorer, CandidatePool pool, CancellationToken cancellationToken)
    {
        var tag = pool.Set.Query.Tag;
        var scores = new double[pool.Documents.Count];
        var scorable = Enumerable.Range(0, pool.Documents.Count)
            .Where(i => !string.IsNullOrWhiteSpace(pool.Documents[i].ClassificationText))
            .ToList();
        if (scorer is not IEmbeddingScorer embedding)
        {
            await ScoreTextsAsync(scorer, pool, scorable, LabelNaming.ToLabel(tag), scores, cancellationToken);
            return (scores, null);
        }

        // The run's template (Reclassification:HypothesisTemplate, read as configuration: runs are another feature).
        var template = configuration["Reclassification:HypothesisTemplate"];
        var request = new TagPlanRequest(embedding,
            [new TagToPlan(LabelNaming.ToFieldKey(tag), LabelNaming.ToLabel(tag), LabelNaming.ToFieldName(tag))],
            pool.CatalogIds, string.IsNullOrWhiteSpace(template) ? null : template)
        {
            Options = relevance.Value,

            // A trained version scores with its own fusion weights (null: the options').
            Fusion = trained?.Find(embedding.Model.Id)?.Fusion,
        };

        var plan = (await planner.PlanAsync(request, cancellationToken)).Plans[0];
        for (var offset = 0; offset < scorable.Count; offset += Batch)
        {
            var positions = scorable.GetRange(offset, Math.Min(Batch, scorable.Count - offset));
            var vectors = await CachedEmbeddings.GetAsync(embedding, cache, [.. positions.Select(i => pool.Documents[i].ClassificationText)], cancellationToken);
            for (var j = 0; j < positions.Count; j++)
            {
                scores[positions[j]] = TagScoring.Score(plan, pool.Documents[positions[j]].Id, vectors.Vectors[j], embedding).Score;
            }
        }

        return (scores, plan);
    }

    private static async Task ScoreTextsAsync(IZeroShotScorer scorer, CandidatePool pool, List<int> scorable, string label, double[] scores, CancellationToken ct)
    {
        for (var offset = 0; offset < scorable.Count; offset += Batch)
        {
            var positions = scorable.GetRange(offset, Math.Min(Batch, scorable.Count - offset));
            var result = await scorer.ScoreAsync([.. positions.Select(i => pool.Documents[i].ClassificationText)], [label], new ZeroShotOptions(MultiLabel: true), ct);
            for (var i = 0; i < result.Length; i++)
            {
                scores[positions[i]] = result[i][0];
            }
        }
    }
}
