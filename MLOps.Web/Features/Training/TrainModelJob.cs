using System.ComponentModel;
using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

/// <summary>
/// The <c>train-model</c> Hangfire job: trains a version from a base (<see cref="IModelTraining.TrainAsync"/>)
/// and shows each step as the job's <c>Progress</c> parameter in <c>/hangfire</c>. Bad data fails the
/// job with the reason (no retry: the same data fails the same way); the active version keeps serving.
/// </summary>
public sealed class TrainModelJob(IModelTraining training, JobStorage storage)
{
    public const string Queue = "evaluation";
    public const string ProgressParameter = "Progress";

    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    [DisplayName("train-model {0}")]
    public async Task<string> RunAsync(
        string baseModelId, string[]? train, string[]? holdBack, int? seed, double? l2, string trigger, PerformContext? context, CancellationToken cancellationToken)
    {
        var jobId = context?.BackgroundJob?.Id;
        void Show(string text)
        {
            if (jobId is null)
            {
                return;
            }

            using var connection = storage.GetConnection();
            connection.SetJobParameter(jobId, ProgressParameter, SerializationHelper.Serialize(text));
        }

        var created = await training.TrainAsync(baseModelId, new TrainRequest(train, holdBack, seed, l2), trigger, Show, cancellationToken);
        return created.Id;
    }
}
