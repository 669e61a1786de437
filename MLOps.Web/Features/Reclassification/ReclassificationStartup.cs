using Hangfire;
using Hangfire.Common;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// At startup: registers the recurring job <c>reclassify-trending</c>, then, when no document of the
/// index has ever been classified, waits (up to <see cref="ReclassificationOptions.StartupTimeout"/>)
/// for an active model, documents and trending tags, and enqueues one run. Replicas starting together
/// enqueue one run between them (a claim under a distributed lock, recorded in the run repository).
/// </summary>
public sealed class ReclassificationStartup(
    IScorerProvider scorers,
    ICatalogIndex index,
    ITrendingReader trending,
    IRecurringJobManager recurring,
    IRunRepository runs,
    IRunLocks locks,
    IReclassificationTrigger trigger,
    IOptions<ReclassificationOptions> options,
    TimeProvider time,
    ILogger<ReclassificationStartup> logger) : BackgroundService
{
    public const string RecurringJobId = "reclassify-trending";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        Schedule();
        var o = options.Value;
        if (!o.RunAtStartup)
        {
            return;
        }

        var deadline = time.GetUtcNow() + o.StartupTimeout;
        var waitingFor = "the first check";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                waitingFor = scorers.ActiveModelId is null ? "an active model"
                    : await index.CountAsync(stoppingToken) == 0 ? "catalog documents"
                    : (await trending.GetTopAsync(o.TopTags, stoppingToken)).Tags.Count == 0 ? "trending tags"
                    : "";
                if (waitingFor.Length == 0)
                {
                    await EnqueueWhenNeverClassifiedAsync(stoppingToken);
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ReclassificationLog.StartupCheckFailed(logger, ex);
            }

            if (time.GetUtcNow() >= deadline)
            {
                ReclassificationLog.StartupTimedOut(logger, o.StartupTimeout, "still waiting for " + waitingFor);
                return;
            }

            try
            {
                await Task.Delay(o.StartupPollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Schedule()
    {
        var o = options.Value;
        try
        {
            if (string.IsNullOrWhiteSpace(o.Cron))
            {
                recurring.RemoveIfExists(RecurringJobId);
                ReclassificationLog.Unscheduled(logger, RecurringJobId);
                return;
            }

            recurring.AddOrUpdate(
                RecurringJobId,
                Job.FromExpression<ReclassificationCoordinatorJob>(j => j.RunAsync(null, "schedule", null, CancellationToken.None)),
                o.Cron,
                new RecurringJobOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(o.TimeZone) });
            ReclassificationLog.Scheduled(logger, RecurringJobId, o.Cron, o.TimeZone);
        }
        catch (Exception ex)
        {
            ReclassificationLog.ScheduleFailed(logger, ex, RecurringJobId);
        }
    }

    private async Task EnqueueWhenNeverClassifiedAsync(CancellationToken cancellationToken)
    {
        if (await AnyClassifiedAsync(cancellationToken))
        {
            ReclassificationLog.StartupNotNeeded(logger, "the index has classified documents");
            return;
        }

        await using (await locks.AcquireAsync(RunLockNames.Startup, TimeSpan.FromSeconds(30), cancellationToken))
        {
            if (await runs.AnyRunOrStartupClaimAsync(cancellationToken))
            {
                ReclassificationLog.StartupNotNeeded(logger, "a run was already recorded or claimed by another replica");
                return;
            }

            const string why = "startup: the index has never been classified";
            var jobId = await trigger.EnqueueAsync(null, why, cancellationToken);
            await runs.ClaimStartupAsync(jobId, time.GetUtcNow(), cancellationToken);
            ReclassificationLog.StartupEnqueued(logger, jobId, why);
        }
    }

    /// <summary>True as soon as one document carries <c>classification_model</c>; scans in pages of 500.</summary>
    private async Task<bool> AnyClassifiedAsync(CancellationToken cancellationToken)
    {
        var page = new List<string>(500);
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            page.Add(id);
            if (page.Count == 500)
            {
                if ((await index.GetManyAsync(page, cancellationToken)).Any(d => d.ClassificationModel is not null))
                {
                    return true;
                }

                page.Clear();
            }
        }

        return page.Count > 0 && (await index.GetManyAsync(page, cancellationToken)).Any(d => d.ClassificationModel is not null);
    }
}
