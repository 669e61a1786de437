namespace MLOps.Web.Features.Evaluation;

/// <summary>One candidate's measurement: NDCG by set name, or the error that stopped it.</summary>
/// <param name="ModelId">The candidate version.</param>
/// <param name="NdcgBySet">NDCG by set name.</param>
/// <param name="Error">What stopped its measurement, if anything.</param>
public sealed record CandidateResult(string ModelId, IReadOnlyDictionary<string, double> NdcgBySet, string? Error = null)
{
    /// <summary>Sets in its (or the champion's) training data: it is compared on the other sets only.</summary>
    public IReadOnlyList<string> ExcludedSets { get; init; } = [];

    /// <summary>Set for a rolled-back version: its own record, which its mean must beat by the margin.</summary>
    public double? Record { get; init; }
}

/// <summary>
/// What a champion/challenger run measured: the judgment sets, the champion's NDCG by set (all 0 when
/// there is no champion) and each candidate's. Empty sets or candidates: nothing was measured.
/// </summary>
public sealed record ChallengeResults(
    IReadOnlyList<string> Sets,
    IReadOnlyDictionary<string, double> ChampionNdcgBySet,
    IReadOnlyList<CandidateResult> Candidates);

/// <summary>
/// The decision over <see cref="ChallengeResults"/>: <see cref="Outcome"/> is <c>no_judgment_sets</c>,
/// <c>no_candidates</c>, <c>kept</c>, <c>promoted</c> (act on it: <see cref="Winner"/> is to be
/// promoted) or <c>would_promote</c> (a winner, but automatic promotion is off; <see cref="Note"/> says so).
/// </summary>
public sealed record PromotionVerdict(
    string Outcome,
    CandidateOutcome? Winner,
    IReadOnlyList<CandidateOutcome> Candidates,
    IReadOnlyDictionary<string, double> ChampionNdcgBySet,
    double ChampionMeanNdcg,
    string? Note = null)
{
    public const string NoJudgmentSets = "no_judgment_sets";
    public const string NoCandidates = "no_candidates";
    public const string Kept = "kept";
    public const string Promoted = "promoted";
    public const string WouldPromote = "would_promote";

    /// <summary>True when the winner is to be promoted now.</summary>
    public bool Promotes => Outcome == Promoted;
}

/// <summary>
/// The promotion rule: a candidate qualifies when its mean NDCG over the judgment sets it is compared on
/// beats the champion's mean over the same sets by at least the margin (and by more than zero), and it
/// is not worse than the champion on any of them (beyond a float tolerance). A candidate is compared on
/// every set except those in a trained version's training data (its own or the champion's: no leakage),
/// and its reason says so. A rolled-back version must also beat its own record by the margin. Among
/// qualifying candidates, the highest mean wins; equal means go to the first model id in ordinal order.
/// </summary>
public static class PromotionPolicy
{
    /// <summary>The whole decision: nothing to compare, kept, promoted, or a winner left unpromoted when <paramref name="autoPromote"/> is off.</summary>
    public static PromotionVerdict Judge(ChallengeResults results, double margin, double perSetTolerance, bool autoPromote)
    {
        var champion = results.ChampionNdcgBySet;
        var championMean = champion.Count == 0 ? 0 : champion.Values.Average();
        if (results.Sets.Count == 0 || results.Candidates.Count == 0)
        {
            var nothing = results.Sets.Count == 0 ? PromotionVerdict.NoJudgmentSets : PromotionVerdict.NoCandidates;
            return new PromotionVerdict(nothing, null, [], champion, championMean);
        }

        var (outcomes, winnerId) = Decide(champion, results.Candidates, margin, perSetTolerance);
        var winner = winnerId is null ? null : outcomes.Single(c => c.ModelId == winnerId);
        return winner switch
        {
            null => new PromotionVerdict(PromotionVerdict.Kept, null, outcomes, champion, championMean),
            _ when !autoPromote => new PromotionVerdict(PromotionVerdict.WouldPromote, winner, outcomes, champion, championMean,
                "Evaluation:AutoPromote is false; nothing changed."),
            _ => new PromotionVerdict(PromotionVerdict.Promoted, winner, outcomes, champion, championMean),
        };
    }

    /// <summary>Each candidate's outcome (in the order given) and the winner's id, or null.</summary>
    public static (IReadOnlyList<CandidateOutcome> Outcomes, string? Winner) Decide(
        IReadOnlyDictionary<string, double> champion,
        IReadOnlyList<(string ModelId, IReadOnlyDictionary<string, double> NdcgBySet, string? Error)> candidates,
        double margin,
        double perSetTolerance) =>
        Decide(champion, [.. candidates.Select(c => new CandidateResult(c.ModelId, c.NdcgBySet, c.Error))], margin, perSetTolerance);

    /// <summary>Each candidate's outcome (in the order given), each compared on the sets not excluded for it, and the winner's id, or null.</summary>
    public static (IReadOnlyList<CandidateOutcome> Outcomes, string? Winner) Decide(
        IReadOnlyDictionary<string, double> champion, IReadOnlyList<CandidateResult> candidates, double margin, double perSetTolerance)
    {
        var outcomes = new List<CandidateOutcome>(candidates.Count);
        foreach (var c in candidates)
        {
            var excluded = c.ExcludedSets.Where(champion.ContainsKey).Order(StringComparer.Ordinal).ToList();
            var sets = champion.Keys.Except(excluded, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var championMean = sets.Count == 0 ? 0 : sets.Average(s => champion[s]);
            var missing = sets.Where(s => !c.NdcgBySet.ContainsKey(s)).ToList();
            var mean = sets.Count == 0 || missing.Count > 0 ? 0 : sets.Average(s => c.NdcgBySet[s]);
            var delta = mean - championMean;
            var worse = sets.Where(s => c.NdcgBySet.TryGetValue(s, out var v) && v < champion[s] - perSetTolerance).ToList();
            var (qualifies, why) = Assess(sets.Count, c.Error, missing, worse, mean, championMean, delta, margin);
            if (qualifies && c.Record is { } record && mean < record + margin)
            {
                (qualifies, why) = (false, $"rolled back before: mean NDCG {mean:F4} does not beat its own record {record:F4} by the margin {margin:F4}");
            }

            if (excluded.Count > 0)
            {
                why += sets.Count == 0
                    ? $"; every judgment set is in the training data ({string.Join(", ", excluded)}): no held-back set to compare on"
                    : $"; compared on held-back sets only ({string.Join(", ", sets)}), not on the training sets {string.Join(", ", excluded)}";
            }

            var kept = c.NdcgBySet.Where(kv => !excluded.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            outcomes.Add(new CandidateOutcome(c.ModelId, kept, mean, delta, worse, qualifies, why)
            {
                ExcludedSets = excluded, ChampionMeanNdcg = championMean, Record = c.Record,
            });
        }

        var winner = outcomes.Where(o => o.Qualifies)
            .OrderByDescending(o => o.MeanNdcg)
            .ThenBy(o => o.ModelId, StringComparer.Ordinal)
            .FirstOrDefault()?.ModelId;
        return (outcomes, winner);
    }

    private static (bool Qualifies, string Why) Assess(
        int sets, string? error, List<string> missing, List<string> worse, double mean, double championMean, double delta, double margin)
    {
        if (error is not null || missing.Count > 0)
        {
            return (false, $"not evaluated on every set: {error ?? string.Join(", ", missing)}");
        }

        if (sets == 0)
        {
            return (false, "no judgment sets to compare on");
        }

        if (worse.Count > 0)
        {
            return (false, $"worse than the champion on {string.Join(", ", worse)}");
        }

        if (delta <= 0 || delta < margin)
        {
            return (false, $"mean NDCG {mean:F4} does not beat the champion's {championMean:F4} by the margin {margin:F4} (delta {delta:+0.0000;-0.0000})");
        }

        return (true, $"mean NDCG {mean:F4} beats the champion's {championMean:F4} by {delta:F4} >= {margin:F4} and no set is worse");
    }
}
