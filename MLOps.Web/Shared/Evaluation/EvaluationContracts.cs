using MLOps.Web.Shared.Models;

namespace MLOps.Web.Shared.Evaluation;

// The responses of the per-model evaluation actions (POST /api/models/{id}/evaluate and /calibrate)
// and the evaluation figures they are made of: the evaluation feature builds them, the models
// feature serves them through IModelEvaluations.

/// <summary>How a ranking was produced.</summary>
public enum EvaluationMode
{
    /// <summary>The live search path: the set's query sorted by the tag's classification field in the index.</summary>
    Index,

    /// <summary>The documents the set's query retrieves, scored in memory by the model and ranked by score; the index is not touched.</summary>
    InMemory,
}

/// <summary>The query a judgment set judges: a genre filter, the tag whose classification field sorts, optional text.</summary>
/// <param name="Genre">Genre filter (e.g. <c>Family</c>); null: no filter.</param>
/// <param name="Tag">Trending tag whose <c>classification_&lt;tag&gt;</c> field ranks the results (e.g. <c>christmas</c>).</param>
/// <param name="Text">Optional full-text query.</param>
public sealed record JudgedQuery(string? Genre, string Tag, string? Text = null);

/// <summary>One position of an evaluated ranking, with the document's judgment.</summary>
/// <param name="Rank">1-based position.</param>
/// <param name="DocumentId">Document id.</param>
/// <param name="Relevance">The judged relevance; 0 when unjudged.</param>
/// <param name="Judged">False when the set has no judgment for the document (it then counts as 0).</param>
/// <param name="Gain">Its discounted gain at this rank: (2^rel - 1) / log2(rank + 1).</param>
public sealed record RankedDocument(int Rank, string DocumentId, int Relevance, bool Judged, double Gain)
{
    public string? Title { get; init; }

    /// <summary>The score the ranking sorted by (the classification field or the candidate's in-memory score).</summary>
    public double? Score { get; init; }
}

/// <summary>Ranking quality at a cut-off k.</summary>
/// <param name="K">Cut-off.</param>
/// <param name="Dcg">DCG@k of the ranking: sum over ranks i &lt;= k of (2^rel_i - 1) / log2(i + 1).</param>
/// <param name="IdealDcg">DCG@k of the ideal ranking of every judged document of the set.</param>
/// <param name="Ndcg">Dcg / IdealDcg (0 when IdealDcg is 0): the headline figure.</param>
/// <param name="IdealDcgRetrieved">DCG@k of the retrieved documents re-ordered by their judgments.</param>
/// <param name="NdcgRetrievedIdeal">Dcg / IdealDcgRetrieved: the reference calculator's variant, which ignores relevant documents the ranking missed.</param>
/// <param name="Precision">Share of the k ranks holding a document judged at least <paramref name="RelevanceThreshold"/> (divided by k even when fewer were retrieved).</param>
/// <param name="RelevanceThreshold">Relevance at or above which a document counts as relevant for precision.</param>
/// <param name="Retrieved">Documents in the ranking (up to k are scored).</param>
/// <param name="UnjudgedInTopK">Documents in the top k with no judgment (counted as 0).</param>
/// <param name="JudgedDocuments">Judgments in the set.</param>
/// <param name="RelevantJudged">Judged documents at or above the threshold.</param>
public sealed record RankingMetrics(
    int K,
    double Dcg,
    double IdealDcg,
    double Ndcg,
    double IdealDcgRetrieved,
    double NdcgRetrievedIdeal,
    double Precision,
    int RelevanceThreshold,
    int Retrieved,
    int UnjudgedInTopK,
    int JudgedDocuments,
    int RelevantJudged);

/// <summary>One evaluation: metrics, the ranked list with judgments, and what was unjudged.</summary>
public sealed record EvaluationResponse(
    string Id,
    string Set,
    string Model,
    EvaluationMode Mode,
    int K,
    DateTimeOffset EvaluatedAt,
    JudgedQuery Query,
    RankingMetrics Metrics,
    string Gain,
    string RetrievedIdealNote,
    IReadOnlyList<RankedDocument> Ranked,
    IReadOnlyList<string> Unjudged,
    int? StaleInTopK);

/// <summary>A model version evaluated on every judgment set.</summary>
public sealed record ModelEvaluationResponse(string Model, int K, double MeanNdcg, IReadOnlyList<EvaluationResponse> Sets);

/// <summary>Per-set NDCG before and after a calibration.</summary>
public sealed record CalibrationSetEffect(string Set, double NdcgBefore, double NdcgAfter);

/// <summary>The result of <c>POST /api/models/{id}/calibrate</c>.</summary>
public sealed record CalibrationResult(
    string BaseModelId,
    string ModelId,
    Calibration Calibration,
    int Samples,
    int Positives,
    double LogLossBefore,
    double LogLossAfter,
    double BrierBefore,
    double BrierAfter,
    IReadOnlyList<CalibrationSetEffect> Sets,
    string Note);
