using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// What champion/challenger needs to know about training: it trains the nightly challenger from the
/// champion and the latest judgments (once per base and data: the same data never trains twice), names
/// the sets a comparison must leave out (those a trained version was trained on), and finds a rolled-back
/// version's own record (the mean NDCG of the decision that promoted it).
/// </summary>
public sealed partial class ChallengerTraining(
    IJudgedSets judged,
    IModelRegistry registry,
    IEvaluationHistory history,
    ILogger<ChallengerTraining> logger,
    ITrainedVersions? trained = null,
    IModelTraining? training = null,
    IRegistryHistory? registryHistory = null)
{
    /// <summary>The trigger recorded in the lineage of a challenger the nightly job trains (that job evaluates it right after).</summary>
    public const string Trigger = "nightly champion/challenger";

    /// <summary>Trains a challenger from <paramref name="champion"/>; returns a note for the decision (what was trained, or why not).</summary>
    public async Task<string> TrainAsync(string? champion, CancellationToken ct)
    {
        if (training is null || trained is null || champion is null)
        {
            return "No challenger trained: " + (champion is null ? "no champion to train from." : "training is not registered in this host.");
        }

        var sets = await judged.ListAsync(ct);
        var data = sets.Select(s => (s.Name, JudgedSetHash.Sha256(s))).ToHashSet();
        var sha = registry.List().FirstOrDefault(m => m.Id == champion)?.Sha256;
        var same = registry.List().Select(m => (m.Id, Learned: trained.Find(m.Id)))
            .FirstOrDefault(x => x.Learned is { } l && l.Lineage.BaseSha256 == sha
                && l.Lineage.TrainedOn.Concat(l.Lineage.HeldBack).Select(s => (s.Name, s.Sha256)).ToHashSet().SetEquals(data));
        if (same.Id is not null)
        {
            return $"No challenger trained: {same.Id} was already trained from this model's weights on the same judgment sets.";
        }

        try
        {
            var created = await training.TrainAsync(champion, new TrainRequest(), Trigger, null, ct);
            return $"Trained challenger {created.Id} from {champion} on the latest judgments.";
        }
        catch (Exception ex) when (ex is TrainingDataException or ModelException)
        {
            LogNotTrained(logger, ex, champion);
            return $"No challenger trained: {ex.Message}";
        }
    }

    /// <summary>
    /// The sets a comparison of <paramref name="candidate"/> with <paramref name="champion"/> leaves out:
    /// either's training sets, and every set of <paramref name="sets"/> (name and tag) that judges a tag either
    /// was trained on (a tag's sets share judgments, so a Family set uploaded after training is not held out).
    /// </summary>
    public IReadOnlyList<string> Excluded(string candidate, string? champion, IEnumerable<(string Name, string Tag)> sets)
    {
        var trainedOn = TrainingSets(candidate).Concat(champion is null ? [] : TrainingSets(champion)).ToList();
        var names = trainedOn.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var tags = trainedOn.Select(s => JudgedSet.TagKey(s.Tag)).ToHashSet(StringComparer.Ordinal);
        return [.. names.Concat(sets.Where(s => tags.Contains(JudgedSet.TagKey(s.Tag))).Select(s => s.Name))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>Each rolled-back candidate's record: its mean NDCG in the latest decision that promoted it (else its best in any decision).</summary>
    public async Task<IReadOnlyDictionary<string, double>> RecordsAsync(IReadOnlyList<string> candidates, CancellationToken ct)
    {
        var rolledBack = (registryHistory?.RolledBack() ?? []).Intersect(candidates, StringComparer.Ordinal).ToList();
        var records = new Dictionary<string, double>(StringComparer.Ordinal);
        if (rolledBack.Count == 0)
        {
            return records;
        }

        var decisions = await history.ListDecisionsAsync(10_000, ct);
        foreach (var id in rolledBack)
        {
            var promoted = decisions.Where(d => d.PromotedModelId == id).SelectMany(d => d.Candidates.Where(c => c.ModelId == id)).Select(c => (double?)c.MeanNdcg).FirstOrDefault();
            var best = decisions.SelectMany(d => d.Candidates.Where(c => c.ModelId == id)).Select(c => (double?)c.MeanNdcg).Max();
            if ((promoted ?? best) is { } record)
            {
                records[id] = record;
            }
        }

        return records;
    }

    private IReadOnlyList<TrainingSetRecord> TrainingSets(string modelId) => trained?.Find(modelId)?.Lineage.TrainedOn ?? [];

    [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "No challenger could be trained from {Champion}")]
    private static partial void LogNotTrained(ILogger logger, Exception exception, string champion);
}
