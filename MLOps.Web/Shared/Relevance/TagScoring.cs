using System.Numerics.Tensors;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Shared.Relevance;

/// <summary>A document's score for a tag and the parts it was made of (<see cref="ScorePartNames"/>).</summary>
public sealed record TagScore(float Score, IReadOnlyDictionary<string, float> Parts);

/// <summary>
/// The chunk step: one document's score for one tag from the plan, its cached embedding and its id
/// (its BM25 and match come from the plan's hit lists). Pure: a chunk of 500 documents and the whole
/// catalog at once give the same scores, and the same function serves runs, evaluation and the bench.
/// </summary>
public static class TagScoring
{
    /// <summary>
    /// Every feature a <see cref="FusionModel"/> may weigh: cosine, semantic_z = (cosine − μ) / σ,
    /// match (1 / 0), match_idf = match × ln(documents / matches), bm25_saturated = bm25 / (bm25 +
    /// median), bm25_by_max = bm25 / best (0 without a hit), title_match = 1 when the title matches
    /// the tag's own words (0 for a plan stored before title matches were searched).
    /// </summary>
    public static Dictionary<string, float> Features(TagPlan plan, string id, ReadOnlySpan<float> vector)
    {
        var cosine = TensorPrimitives.Dot(vector, plan.Hypothesis);
        var bm25 = plan.Lexical.GetValueOrDefault(id);
        var match = plan.IsMatch(id) ? 1f : 0f;
        return new Dictionary<string, float>(StringComparer.Ordinal)
        {
            [ScorePartNames.Cosine] = cosine,
            [ScorePartNames.SemanticZ] = (cosine - plan.Mean) / Math.Max(1e-6f, plan.Std),
            [ScorePartNames.TitleMatch] = plan.IsTitleMatch(id) ? 1f : 0f,
            [ScorePartNames.Match] = match,
            [ScorePartNames.MatchIdf] = match * Idf(plan),
            [ScorePartNames.Bm25] = bm25,
            [ScorePartNames.Bm25Saturated] = bm25 <= 0 ? 0f : bm25 / (bm25 + Math.Max(1e-6f, plan.Bm25Median)),
            [ScorePartNames.Bm25ByMax] = bm25 <= 0 || plan.Bm25Max <= 0 ? 0f : Math.Clamp(bm25 / plan.Bm25Max, 0f, 1f),
        };
    }

    /// <summary>The uncalibrated fused evidence (the first pass of feedback ranks by it; the score is monotone in it).</summary>
    public static double Fused(TagPlan plan, string id, ReadOnlySpan<float> vector) => plan.Fusion.Fuse(Features(plan, id, vector));

    /// <summary>
    /// The stored score in [0,1] and its parts. Fusion off (<see cref="FusionModel.ModelCalibration"/>):
    /// the model's calibrated cosine with the plan's hypothesis, exactly what
    /// <see cref="IEmbeddingScorer.ScoreEmbeddings"/> returns.
    /// </summary>
    public static TagScore Score(TagPlan plan, string id, ReadOnlySpan<float> vector, IEmbeddingScorer scorer)
    {
        var features = Features(plan, id, vector);
        if (plan.Fusion.ModelCalibration)
        {
            var calibrated = scorer.ScoreEmbeddings(vector, [plan.Hypothesis])[0];
            return new TagScore(calibrated, new Dictionary<string, float>(StringComparer.Ordinal)
            {
                [ScorePartNames.Cosine] = features[ScorePartNames.Cosine],
                [ScorePartNames.Score] = calibrated,
            });
        }

        var fused = plan.Fusion.Fuse(features);
        var score = plan.Fusion.Calibrate(fused);
        var parts = new Dictionary<string, float>(StringComparer.Ordinal)
        {
            [ScorePartNames.Cosine] = features[ScorePartNames.Cosine],
            [ScorePartNames.SemanticZ] = features[ScorePartNames.SemanticZ],
            [ScorePartNames.Match] = features[ScorePartNames.Match],
            [ScorePartNames.Bm25] = features[ScorePartNames.Bm25],
            [ScorePartNames.Bm25Median] = plan.Bm25Median,
            [ScorePartNames.Fused] = (float)fused,
            [ScorePartNames.Score] = score,
        };
        foreach (var name in plan.Fusion.Weights.Keys)
        {
            parts[name] = features[name];
        }

        if (plan.Fusion.Weights.ContainsKey(ScorePartNames.Bm25ByMax))
        {
            parts[ScorePartNames.Bm25Max] = plan.Bm25Max;
        }

        return new TagScore(score, parts);
    }

    /// <summary>ln(documents / matches), 0 without a match.</summary>
    public static float Idf(TagPlan plan) =>
        plan.LexicalMatches <= 0 || plan.CatalogSize <= 0 ? 0f : (float)Math.Log((double)plan.CatalogSize / plan.LexicalMatches);
}
