using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Features.Evaluation;

/// <summary>The per-model evaluation actions of the models API, over the evaluator and the calibration service.</summary>
public sealed class ModelEvaluations(
    IJudgmentStore judgments,
    Evaluator evaluator,
    CalibrationService calibration,
    IOptions<EvaluationOptions> options) : IModelEvaluations
{
    public async Task<ModelEvaluationResponse> EvaluateAsync(string modelId, int? k, EvaluationMode? mode, CancellationToken cancellationToken)
    {
        var cut = k ?? options.Value.DefaultK;
        var results = new List<EvaluationResponse>();
        foreach (var set in await judgments.ListAsync(cancellationToken))
        {
            results.Add(EvaluationResponse.From(await evaluator.EvaluateAsync(set, modelId, cut, mode, "api: evaluate model", cancellationToken)));
        }

        var mean = results.Count == 0 ? 0 : results.Average(r => r.Metrics.Ndcg);
        return new ModelEvaluationResponse(modelId, cut, mean, results);
    }

    public Task<CalibrationResult> CalibrateAsync(string modelId, CancellationToken cancellationToken) =>
        calibration.CalibrateAsync(modelId, cancellationToken);
}

/// <summary>Builds the API's view of an evaluation (the record lives in Shared, the outcome here).</summary>
public static class EvaluationResponses
{
    extension(EvaluationResponse)
    {
        public static EvaluationResponse From(EvaluationOutcome o) => new(
            o.Record.Id, o.Record.Set, o.Record.ModelId, o.Record.Mode, o.Record.Metrics.K, o.Record.EvaluatedAt, o.Query,
            o.Record.Metrics, RankingMetricsCalculator.GainDescription,
            "ndcgRetrievedIdeal takes its ideal ranking from the retrieved top-k documents only (how the reference calculator worked); ndcg takes it from every judged document.",
            o.Ranked, o.UnjudgedInTopK, o.Record.StaleInTopK);
    }
}
