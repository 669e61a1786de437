using Hangfire;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;
using MLOps.Web.Shared.Training;
using StackExchange.Redis;

namespace MLOps.Web.Features.Evaluation;

/// <summary>Registers judgments, evaluation, champion/challenger and calibration.</summary>
public static class EvaluationSetup
{
    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EvaluationOptions>()
            .BindConfiguration(EvaluationOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => TimeZoneExists(o.TimeZone), "Evaluation:TimeZone is not a known time zone id (e.g. 'UTC', 'Europe/Paris').")
            .Validate(o => o.Cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is 5 or 6,
                "Evaluation:Cron must be a cron expression of 5 (or 6, with seconds) fields, e.g. '30 4 * * *'.")
            .ValidateOnStart();

        if (StorageTopology.Of(builder).UsesRedis)
        {
            builder.Services.AddSingleton<IJudgmentStore>(sp => new RedisJudgmentStore(
                sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<RedisOptions>>()));
            builder.Services.AddSingleton<IEvaluationHistory, RedisEvaluationHistory>();
        }
        else
        {
            builder.Services.AddSingleton<IJudgmentStore>(sp => new FileJudgmentStore(
                sp.GetRequiredService<DataDirectory>().Resolve(sp.GetRequiredService<IOptions<EvaluationOptions>>().Value.JudgmentsDirectory)));
            builder.Services.AddSingleton<IEvaluationHistory>(sp =>
            {
                var o = sp.GetRequiredService<IOptions<EvaluationOptions>>().Value;
                return new FileEvaluationHistory(sp.GetRequiredService<DataDirectory>().Resolve(o.HistoryDirectory), o.HistoryLimit);
            });
        }

        builder.Services.AddSingleton<IJudgedSets>(sp => new JudgedSetsFromStore(sp.GetRequiredService<IJudgmentStore>()));

        // Scoped: the catalog index, scorer provider and registry may be registered with any lifetime.
        // Built by factories, so that the host starts (and serves everything else) whatever the order
        // in which the catalog and model features are added; a missing one fails the request that needs it.
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<PoolScorer>(sp));
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<Evaluator>(sp));
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<CalibrationService>(sp));
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<ChallengerTraining>(sp));
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<ChampionChallengerJob>(sp));
        builder.Services.AddScoped<IModelEvaluations>(sp => ActivatorUtilities.CreateInstance<ModelEvaluations>(sp));

        // Without the reclassification feature a promotion is recorded as not re-scored; a registered trigger (before or after) wins.
        builder.Services.TryAddSingleton<IReclassificationTrigger, NoReclassificationTrigger>();
        builder.Services.AddSingleton<IModelLifecycleObserver, EvaluationModelObserver>();
        builder.Services.AddSingleton<ChampionChallengerRequests>();
        builder.Services.AddHostedService<EvaluationScheduler>();
        builder.Services.AddHostedService<JudgmentSeeder>();
        return builder;
    }

    private static bool TimeZoneExists(string id)
    {
        try
        {
            _ = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }
}

/// <summary>
/// Enqueues the champion/challenger job whenever a model version is registered, except a challenger
/// the nightly job trained itself: that job evaluates it next, so a second job would only record the
/// same decision twice.
/// </summary>
public sealed partial class EvaluationModelObserver(
    IBackgroundJobClient jobs,
    IOptions<EvaluationOptions> options,
    ILogger<EvaluationModelObserver> logger,
    ITrainedVersions? trained = null) : IModelLifecycleObserver
{
    public Task OnRegisteredAsync(ModelDescriptor model, CancellationToken cancellationToken)
    {
        if (!options.Value.EvaluateOnRegister)
        {
            return Task.CompletedTask;
        }

        if (trained?.Find(model.Id)?.Lineage.Trigger == ChallengerTraining.Trigger)
        {
            LogNightlyChallenger(logger, model.Id);
            return Task.CompletedTask;
        }

        var trigger = $"registered {model.Id}";
        try
        {
            var jobId = jobs.Enqueue<ChampionChallengerJob>(j => j.RunAsync(trigger, CancellationToken.None));
            LogEnqueued(logger, model.Id, jobId);
        }
        catch (Exception ex)
        {
            // Job storage unreachable: the registration stands; the nightly run evaluates the version.
            LogEnqueueFailed(logger, ex, model.Id);
        }

        return Task.CompletedTask;
    }

    public Task OnPromotedAsync(ModelDescriptor model, ModelDescriptor? previous, CancellationToken cancellationToken)
    {
        LogPromotedSeen(logger, model.Id, previous?.Id ?? "(none)");
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "Model {Model} registered: champion/challenger evaluation enqueued as job {JobId}")]
    private static partial void LogEnqueued(ILogger logger, string model, string jobId);

    [LoggerMessage(EventId = 6306, Level = LogLevel.Information, Message = "Model {Model} was trained by the nightly champion/challenger job, which evaluates it next: no second evaluation enqueued")]
    private static partial void LogNightlyChallenger(ILogger logger, string model);

    [LoggerMessage(EventId = 6305, Level = LogLevel.Error, Message = "Could not enqueue the champion/challenger evaluation for {Model}; the nightly run will evaluate it")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, string model);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Information, Message = "Model {Model} is now active (was {Previous}); later evaluations measure it as the champion")]
    private static partial void LogPromotedSeen(ILogger logger, string model, string previous);
}

/// <summary>Registers (or removes) the recurring <c>evaluate-models</c> job at start.</summary>
public sealed partial class EvaluationScheduler(
    IRecurringJobManager recurring,
    IOptions<EvaluationOptions> options,
    ILogger<EvaluationScheduler> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.RecurringEnabled)
        {
            recurring.RemoveIfExists(ChampionChallengerJob.RecurringJobId);
            return Task.CompletedTask;
        }

        try
        {
            recurring.AddOrUpdate<ChampionChallengerJob>(
                ChampionChallengerJob.RecurringJobId,
                ChampionChallengerJob.Queue,
                j => j.RunAsync(ChampionChallengerJob.NightlyTrigger, CancellationToken.None),
                o.Cron,
                new RecurringJobOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(o.TimeZone) });
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"Evaluation:Cron '{o.Cron}' is not a valid cron expression: {ex.Message}", ex);
        }
        catch (Exception ex)
        {
            // Job storage unreachable at start (Redis down): serve anyway; the next start schedules it.
            LogScheduleFailed(logger, ex, ChampionChallengerJob.RecurringJobId);
            return Task.CompletedTask;
        }

        LogScheduled(logger, ChampionChallengerJob.RecurringJobId, o.Cron, o.TimeZone);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 6304, Level = LogLevel.Error, Message = "Could not schedule the recurring job {JobId}; it runs once the service restarts with job storage reachable")]
    private static partial void LogScheduleFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Information, Message = "Recurring job {JobId} scheduled at '{Cron}' ({TimeZone})")]
    private static partial void LogScheduled(ILogger logger, string jobId, string cron, string timeZone);
}
