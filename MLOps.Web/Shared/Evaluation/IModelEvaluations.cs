namespace MLOps.Web.Shared.Evaluation;

/// <summary>
/// The evaluation actions on one model version that the models API offers
/// (<c>POST /api/models/{id}/evaluate</c> and <c>/calibrate</c>); the evaluation feature implements them.
/// </summary>
public interface IModelEvaluations
{
    /// <summary>
    /// Evaluates <paramref name="modelId"/> on every judgment set at cut-off <paramref name="k"/>
    /// (null: the configured default), on the live index for the active version and in memory for
    /// others unless <paramref name="mode"/> says which.
    /// </summary>
    Task<ModelEvaluationResponse> EvaluateAsync(string modelId, int? k, EvaluationMode? mode, CancellationToken cancellationToken);

    /// <summary>Fits an embedding model's cosine-to-[0,1] calibration from the judgments and registers it as a new version.</summary>
    Task<CalibrationResult> CalibrateAsync(string modelId, CancellationToken cancellationToken);
}
