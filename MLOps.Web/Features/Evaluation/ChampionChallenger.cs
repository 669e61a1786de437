using Hangfire;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// The promotion rule: a candidate qualifies when its mean NDCG over all judgment sets beats the
/// champion's by at least the margin (and by more than zero), and it is not worse than the champion on
/// any set (beyond a float tolerance). Among qualifying candidates, the highest mean wins.
/// </summary>
public static class PromotionPolicy
{
    public static (IReadOnlyList<CandidateOutcome> Outcomes, string? Winner) Decide(
        IReadOnlyDictionary<string, double> champion,
        IReadOnlyList<(string ModelId, IReadOnlyDictionary<string, double> NdcgBySet, string? Error)> candidates,
        double margin,
        double perSetTolerance)
    {
        var sets = champion.Keys.Order(StringComparer.Ordinal).ToList();
        var championMean = sets.Count == 0 ? 0 : sets.Average(s => champion[s]);
        var outcomes = new List<CandidateOutcome>(candidates.Count);
        foreach (var (modelId, bySet, error) in candidates)
        {
            var missing = sets.Where(s => !bySet.ContainsKey(s)).ToList();
            var mean = sets.Count == 0 || missing.Count > 0 ? 0 : sets.Average(s => bySet[s]);
            var delta = mean - championMean;
            var worse = sets.Where(s => bySet.TryGetValue(s, out var v) && v < champion[s] - perSetTolerance).ToList();
            string why;
            bool qualifies;
            if (error is not null || missing.Count > 0)
            {
                (qualifies, why) = (false, $"not evaluated on every set: {error ?? string.Join(", ", missing)}");
            }
            else if (sets.Count == 0)
            {
                (qualifies, why) = (false, "no judgment sets to compare on");
            }
            else if (worse.Count > 0)
            {
                (qualifies, why) = (false, $"worse than the champion on {string.Join(", ", worse)}");
            }
            else if (delta <= 0 || delta < margin)
            {
                (qualifies, why) = (false, $"mean NDCG {mean:F4} does not beat the champion's {championMean:F4} by the margin {margin:F4} (delta {delta:+0.0000;-0.0000})");
            }
            else
            {
                (qualifies, why) = (true, $"mean NDCG {mean:F4} beats the champion's {championMean:F4} by {delta:F4} >= {margin:F4} and no set is worse");
            }

            outcomes.Add(new CandidateOutcome(modelId, bySet, mean, delta, worse, qualifies, why));
        }

        var winner = outcomes.Where(o => o.Qualifies)
            .OrderByDescending(o => o.MeanNdcg)
            .ThenBy(o => o.ModelId, StringComparer.Ordinal)
            .FirstOrDefault()?.ModelId;
        return (outcomes, winner);
    }
}

/// <summary>
/// The <c>evaluate-models</c> Hangfire job: measures the champion (active version) and every other
/// registered version on every judgment set, in memory over the same documents, and promotes the
/// best candidate that passes <see cref="PromotionPolicy"/>; a promotion enqueues a reclassification.
/// </summary>
public sealed partial class ChampionChallengerJob(
    Evaluator evaluator,
    IJudgmentStore judgments,
    IModelRegistry registry,
    IScorerProvider scorers,
    IEvaluationHistory history,
    IServiceProvider services,
    IOptions<EvaluationOptions> options,
    TimeProvider time,
    ILogger<ChampionChallengerJob> logger)
{
    public const string RecurringJobId = "evaluate-models";
    public const string Queue = "evaluation";

    [Queue(Queue)]
    [DisableConcurrentExecution(timeoutInSeconds: 60 * 60)]
    [AutomaticRetry(Attempts = 1)]
    public async Task<PromotionDecision> RunAsync(string trigger, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var k = o.DefaultK;
        var sets = await judgments.ListAsync(cancellationToken);
        var champion = scorers.ActiveModelId;
        var candidates = registry.List().Where(m => m.Id != champion).Select(m => m.Id).ToList();
        var evalTrigger = $"champion-challenger: {trigger}";

        if (sets.Count == 0 || candidates.Count == 0)
        {
            var reason = sets.Count == 0 ? "no_judgment_sets" : "no_candidates";
            return await RecordAsync(NewDecision(trigger, champion, new Dictionary<string, double>(), k, [], reason, o), cancellationToken);
        }

        // The same documents for every version: each set's query is run once.
        var pools = new List<CandidatePool>(sets.Count);
        foreach (var set in sets)
        {
            pools.Add(await evaluator.GetPoolAsync(set, cancellationToken));
        }

        var championBySet = new Dictionary<string, double>(StringComparer.Ordinal);
        if (champion is not null)
        {
            foreach (var pool in pools)
            {
                championBySet[pool.Set.Name] = (await evaluator.EvaluateInMemoryAsync(pool, champion, k, evalTrigger, null, cancellationToken)).Record.Metrics.Ndcg;
            }
        }
        else
        {
            foreach (var pool in pools)
            {
                championBySet[pool.Set.Name] = 0; // no champion: any candidate that ranks at all beats nothing
            }
        }

        var measured = new List<(string, IReadOnlyDictionary<string, double>, string?)>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var bySet = new Dictionary<string, double>(StringComparer.Ordinal);
            string? error = null;
            try
            {
                foreach (var pool in pools)
                {
                    bySet[pool.Set.Name] = (await evaluator.EvaluateInMemoryAsync(pool, candidate, k, evalTrigger, null, cancellationToken)).Record.Metrics.Ndcg;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                error = ex.Message;
                LogCandidateFailed(logger, ex, candidate);
            }

            measured.Add((candidate, bySet, error));
        }

        var (outcomes, winner) = PromotionPolicy.Decide(championBySet, measured, o.PromotionMargin, o.PerSetTolerance);
        var decision = NewDecision(trigger, champion, championBySet, k, outcomes, winner is null ? "kept" : "promoted", o);
        if (winner is null)
        {
            LogKept(logger, champion ?? "(none)", candidates.Count, decision.ChampionMeanNdcg);
            return await RecordAsync(decision, cancellationToken);
        }

        var win = outcomes.Single(c => c.ModelId == winner);
        if (!o.AutoPromote)
        {
            return await RecordAsync(decision with { Outcome = "would_promote", Note = "Evaluation:AutoPromote is false; nothing changed." }, cancellationToken);
        }

        var why = $"champion/challenger ({trigger}): {win.Why}";
        try
        {
            await registry.PromoteAsync(winner, why, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Recorded, then rethrown so that the job shows as failed in the dashboard.
            await RecordAsync(decision with { Outcome = "promotion_failed", Note = ex.Message }, cancellationToken);
            throw;
        }

        LogPromoted(logger, winner, champion ?? "(none)", win.MeanNdcg, decision.ChampionMeanNdcg);
        decision = decision with { PromotedModelId = winner };

        var reclassification = services.GetService<IReclassificationTrigger>();
        if (reclassification is null)
        {
            LogReclassificationUnavailable(logger, winner);
            decision = decision with { Note = "No reclassification trigger is registered; the index keeps the previous version's scores until the next run." };
        }
        else
        {
            try
            {
                var jobId = await reclassification.EnqueueAsync(null, $"promoted {winner}", cancellationToken);
                decision = decision with { ReclassificationJobId = jobId };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The promotion stands; the nightly reclassification re-scores with the new version.
                LogReclassificationFailed(logger, ex, winner);
                decision = decision with { Note = $"The reclassification could not be enqueued: {ex.Message}" };
            }
        }

        return await RecordAsync(decision, cancellationToken);
    }

    private PromotionDecision NewDecision(
        string trigger, string? champion, IReadOnlyDictionary<string, double> championBySet, int k,
        IReadOnlyList<CandidateOutcome> candidates, string outcome, EvaluationOptions o) =>
        new(
            Guid.NewGuid().ToString("N"),
            time.GetUtcNow(),
            trigger,
            champion,
            championBySet,
            championBySet.Count == 0 ? 0 : championBySet.Values.Average(),
            o.PromotionMargin,
            k,
            candidates,
            outcome);

    private async Task<PromotionDecision> RecordAsync(PromotionDecision decision, CancellationToken cancellationToken)
    {
        await history.AppendDecisionAsync(decision, cancellationToken);
        return decision;
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Champion {Champion} kept: none of {Candidates} candidates qualified (champion mean NDCG {Mean:F4})")]
    private static partial void LogKept(ILogger logger, string champion, int candidates, double mean);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Promoted {Winner} over {Champion}: mean NDCG {Mean:F4} against {ChampionMean:F4}")]
    private static partial void LogPromoted(ILogger logger, string winner, string champion, double mean, double championMean);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Reclassification is unavailable (no IReclassificationTrigger registered); {Model} was promoted but the index was not re-scored")]
    private static partial void LogReclassificationUnavailable(ILogger logger, string model);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Error, Message = "{Model} was promoted but the reclassification could not be enqueued")]
    private static partial void LogReclassificationFailed(ILogger logger, Exception exception, string model);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "Candidate {Model} could not be evaluated; it is not promoted")]
    private static partial void LogCandidateFailed(ILogger logger, Exception exception, string model);
}
