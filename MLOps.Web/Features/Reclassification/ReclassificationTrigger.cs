using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using MLOps.Web.Shared.Reclassification;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Enqueues the coordinator job; its job id is the run id.</summary>
public sealed class ReclassificationTrigger(IBackgroundJobClient jobs) : IReclassificationTrigger
{
    public Task<string> EnqueueAsync(IReadOnlyList<string>? labels, string reason, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (ReclassificationLabels.Validate(labels) is { } errors)
        {
            throw new InvalidRunRequestException(errors);
        }

        var args = labels?.ToArray();
        var why = string.IsNullOrWhiteSpace(reason) ? "manual" : reason.Trim();
        var id = jobs.Create(
            Job.FromExpression<ReclassificationCoordinatorJob>(j => j.RunAsync(args, why, null, CancellationToken.None)),
            new EnqueuedState(ReclassificationJobs.CoordinatorQueue));
        return Task.FromResult(id);
    }

    /// <summary>Where the run's job shows in the Hangfire dashboard.</summary>
    public static string DashboardUrl(string jobId) => "/hangfire/jobs/details/" + Uri.EscapeDataString(jobId);
}
