using Hangfire;
using Hangfire.Common;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// The run's progress text as the <c>Progress</c> parameter of its (coordinator's) Hangfire job,
/// shown on the job's page in <c>/hangfire</c>. Job parameters are Hangfire's, so this goes through
/// its (synchronous) storage connection; run state does not (<see cref="IRunRepository"/>).
/// </summary>
public sealed class DashboardProgress(JobStorage storage)
{
    public void Show(string runId, string text)
    {
        using var connection = storage.GetConnection();
        connection.SetJobParameter(runId, ReclassificationJobs.ProgressParameter, SerializationHelper.Serialize(text));
    }
}
