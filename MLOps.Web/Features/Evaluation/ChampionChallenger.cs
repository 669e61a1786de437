using Hangfire;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// The <c>evaluate-models</c> Hangfire job: measures the champion (active version) and every other
/// registered version on every judgment set, in memory over the same documents, and promotes the
/// best candidate that passes <see cref="PromotionPolicy"/>; a promotion enqueues a reclassification.
/// Nightly, it first trains a challenger from the champion and the latest judgments
/// (<see cref="ChallengerTraining"/>); a trained version is measured only on sets it was not trained on.
/// It gathers the figures, <see cref="PromotionPolicy.Judge"/> decides, it records and acts.
/// </summary>
public sealed partial class ChampionChallengerJob(
    Evaluator evaluator,
    IJudgmentStore judgments,
    IModelRegistry registry,
    IScorerProvider scorers,
    IEvaluationHistory history,
    IReclassificationTrigger reclassification,
    IOptions<EvaluationOptions> options,
    TimeProvider time,
    ILogger<ChampionChallengerJob> logger,
    ChallengerTraining? challengers = null)
{
    public const string RecurringJobId = "evaluate-models";

    /// <summary>The recurring job's trigger: only it trains a challenger first (a registration also triggers the job, and must not train again).</summary>
    public const string NightlyTrigger = "nightly";
    public const string Queue = "evaluation";

    [Queue(Queue)]
    [DisableConcurrentExecution(timeoutInSeconds: 60 * 60)]
    [AutomaticRetry(Attempts = 1)]
    public async Task<PromotionDecision> RunAsync(string trigger, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var champion = scorers.ActiveModelId;
        var trained = trigger == NightlyTrigger && o.TrainChallenger && challengers is not null
            ? await challengers.TrainAsync(champion, cancellationToken)
            : null;
        var results = await MeasureAsync(champion, o.DefaultK, $"champion-challenger: {trigger}", cancellationToken);
        var verdict = PromotionPolicy.Judge(results, o.PromotionMargin, o.PerSetTolerance, o.AutoPromote);
        var decision = NewDecision(trigger, champion, o.DefaultK, verdict, o);
        if (trained is not null)
        {
            decision = decision with { Note = decision.Note is null ? trained : $"{trained} {decision.Note}" };
        }

        if (verdict.Outcome == PromotionVerdict.Kept)
        {
            LogKept(logger, champion ?? "(none)", results.Candidates.Count, decision.ChampionMeanNdcg);
        }

        return verdict is { Promotes: true, Winner: { } winner }
            ? await PromoteAsync(decision, winner, trigger, cancellationToken)
            : await RecordAsync(decision, cancellationToken);
    }

    /// <summary>
    /// Every judgment set's NDCG for the champion and each other registered version, all in memory over
    /// the same documents (each set's query is run once). Nothing is measured when there are no sets or
    /// no candidates; a candidate that fails keeps the sets it finished and its error.
    /// </summary>
    private async Task<ChallengeResults> MeasureAsync(string? champion, int k, string trigger, CancellationToken ct)
    {
        var sets = await judgments.ListAsync(ct);
        var candidates = registry.List().Where(m => m.Id != champion).Select(m => m.Id).ToList();
        var names = sets.Select(s => s.Name).ToList();
        if (sets.Count == 0 || candidates.Count == 0)
        {
            return new ChallengeResults(names, new Dictionary<string, double>(), []);
        }

        var pools = new List<CandidatePool>(sets.Count);
        foreach (var set in sets)
        {
            pools.Add(await evaluator.GetPoolAsync(set, ct));
        }

        // No champion: any candidate that ranks at all beats nothing.
        var championBySet = champion is null
            ? pools.ToDictionary(p => p.Set.Name, _ => 0.0, StringComparer.Ordinal)
            : await MeasureVersionAsync(pools, champion, k, trigger, new Dictionary<string, double>(StringComparer.Ordinal), ct);
        var measured = new List<CandidateResult>(candidates.Count);
        var records = challengers is null ? new Dictionary<string, double>() : await challengers.RecordsAsync(candidates, ct);
        foreach (var candidate in candidates)
        {
            // A trained version (or a trained champion) is compared only on sets outside its training data.
            var excluded = challengers?.Excluded(candidate, champion, sets.Select(s => (s.Name, s.Query.Tag))) ?? [];
            var result = await MeasureCandidateAsync([.. pools.Where(p => !excluded.Contains(p.Set.Name, StringComparer.Ordinal))], candidate, k, trigger, ct);
            measured.Add(result with { ExcludedSets = excluded, Record = records.TryGetValue(candidate, out var r) ? r : null });
        }

        return new ChallengeResults(names, championBySet, measured);
    }

    private async Task<CandidateResult> MeasureCandidateAsync(List<CandidatePool> pools, string candidate, int k, string trigger, CancellationToken ct)
    {
        var bySet = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            await MeasureVersionAsync(pools, candidate, k, trigger, bySet, ct);
            return new CandidateResult(candidate, bySet);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogCandidateFailed(logger, ex, candidate);
            return new CandidateResult(candidate, bySet, ex.Message);
        }
    }

    /// <summary>Adds the version's NDCG on each pool's set to <paramref name="bySet"/>, set by set.</summary>
    private async Task<Dictionary<string, double>> MeasureVersionAsync(
        List<CandidatePool> pools, string modelId, int k, string trigger, Dictionary<string, double> bySet, CancellationToken ct)
    {
        foreach (var pool in pools)
        {
            bySet[pool.Set.Name] = (await evaluator.EvaluateInMemoryAsync(pool, modelId, k, trigger, null, ct)).Record.Metrics.Ndcg;
        }

        return bySet;
    }

    /// <summary>Promotes the winner and starts the re-scoring; a failed promotion is recorded, then rethrown.</summary>
    private async Task<PromotionDecision> PromoteAsync(PromotionDecision decision, CandidateOutcome winner, string trigger, CancellationToken ct)
    {
        try
        {
            await registry.PromoteAsync(winner.ModelId, $"champion/challenger ({trigger}): {winner.Why}", ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Recorded, then rethrown so that the job shows as failed in the dashboard.
            await RecordAsync(decision with { Outcome = "promotion_failed", Note = ex.Message }, ct);
            throw;
        }

        LogPromoted(logger, winner.ModelId, decision.ChampionId ?? "(none)", winner.MeanNdcg, decision.ChampionMeanNdcg);
        decision = decision with { PromotedModelId = winner.ModelId };
        return await RecordAsync(await ReclassifyAsync(decision, winner.ModelId, ct), ct);
    }

    /// <summary>Enqueues the re-scoring with the promoted version; the decision notes when it is not possible.</summary>
    private async Task<PromotionDecision> ReclassifyAsync(PromotionDecision decision, string winner, CancellationToken ct)
    {
        if (reclassification is NoReclassificationTrigger)
        {
            LogReclassificationUnavailable(logger, winner);
            return decision with { Note = "No reclassification trigger is registered; the index keeps the previous version's scores until the next run." };
        }

        try
        {
            return decision with { ReclassificationJobId = await reclassification.EnqueueAsync(null, $"promoted {winner}", ct) };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The promotion stands; the nightly reclassification re-scores with the new version.
            LogReclassificationFailed(logger, ex, winner);
            return decision with { Note = $"The reclassification could not be enqueued: {ex.Message}" };
        }
    }

    private PromotionDecision NewDecision(string trigger, string? champion, int k, PromotionVerdict verdict, EvaluationOptions o) =>
        new(
            Guid.NewGuid().ToString("N"),
            time.GetUtcNow(),
            trigger,
            champion,
            verdict.ChampionNdcgBySet,
            verdict.ChampionMeanNdcg,
            o.PromotionMargin,
            k,
            verdict.Candidates,
            verdict.Outcome)
        {
            Note = verdict.Note,
        };

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

/// <summary>The reclassification trigger where the reclassification feature is not registered: the job notes that a promotion was not followed by a re-scoring.</summary>
internal sealed class NoReclassificationTrigger : IReclassificationTrigger
{
    public Task<string> EnqueueAsync(IReadOnlyList<string>? labels, string reason, CancellationToken cancellationToken) =>
        Task.FromException<string>(new InvalidOperationException("No reclassification is registered in this host."));
}
