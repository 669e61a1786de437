using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

/// <summary>Which judgment sets a training request trains on and holds back (see <see cref="TrainRequest"/>). Pure.</summary>
public static class TrainingSelection
{
    public const int DefaultSeed = 17;

    public static (IReadOnlyList<JudgedSet> Train, IReadOnlyList<JudgedSet> HoldBack) Split(IReadOnlyList<JudgedSet> sets, TrainRequest request)
    {
        if (sets.Count == 0)
        {
            throw new TrainingDataException("judgments", "No judgment sets: upload judgments (PUT /api/judgments/{set}) before training.");
        }

        var byName = sets.ToDictionary(s => s.Name, StringComparer.Ordinal);
        Check("train", request.Train, byName);
        Check("hold_back", request.HoldBack, byName);
        var both = (request.Train ?? []).Intersect(request.HoldBack ?? [], StringComparer.Ordinal).ToList();
        if (both.Count > 0)
        {
            throw new TrainingDataException("hold_back", $"Set(s) {string.Join(", ", both)} cannot be both trained on and held back.");
        }

        var ordered = sets.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        IReadOnlyList<JudgedSet> held = request switch
        {
            { HoldBack: { } h } => [.. ordered.Where(s => h.Contains(s.Name, StringComparer.Ordinal))],
            { Train: { } t } => [.. ordered.Where(s => !t.Contains(s.Name, StringComparer.Ordinal))],
            _ => DefaultHoldBack(ordered, request.Seed ?? DefaultSeed),
        };
        var heldNames = held.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<JudgedSet> train = request.Train is { } names
            ? [.. ordered.Where(s => names.Contains(s.Name, StringComparer.Ordinal))]
            : [.. ordered.Where(s => !heldNames.Contains(s.Name))];
        if (train.Count == 0)
        {
            throw new TrainingDataException("train", "Nothing is left to train on once the held-back sets are set aside.");
        }

        CheckNoSharedTag(train, held);
        return (train, held);
    }

    /// <summary>
    /// A quarter of the tags (rounded up; none when there is only one), drawn with the seed, and every
    /// set of each: a tag's Family set holds many of its whole-catalog set's judgments, so holding back
    /// one while training on the other would evaluate on data trained on.
    /// </summary>
    private static List<JudgedSet> DefaultHoldBack(List<JudgedSet> ordered, int seed)
    {
        var tags = ordered.Select(s => s.TagKey()).Distinct(StringComparer.Ordinal).ToList();
        if (tags.Count < 2)
        {
            return [];
        }

        var rng = new Random(seed);
        var drawn = tags.OrderBy(_ => rng.Next()).Take((tags.Count + 3) / 4).ToHashSet(StringComparer.Ordinal);
        return [.. ordered.Where(s => drawn.Contains(s.TagKey()))];
    }

    private static void CheckNoSharedTag(IReadOnlyList<JudgedSet> train, IReadOnlyList<JudgedSet> held)
    {
        var trained = train.GroupBy(s => s.TagKey(), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        var shared = held.Where(s => trained.ContainsKey(s.TagKey())).ToList();
        if (shared.Count > 0)
        {
            var pairs = shared.Select(s => $"{s.Name} (held back) and {trained[s.TagKey()]} (trained on) judge the tag '{s.Query.Tag}'");
            throw new TrainingDataException("hold_back",
                $"{string.Join("; ", pairs)}. Sets of one tag share judgments, so the held-back one would be evaluated on data trained on: train on or hold back all of a tag's sets.");
        }
    }

    private static void Check(string field, IReadOnlyList<string>? names, Dictionary<string, JudgedSet> known)
    {
        var unknown = (names ?? []).Where(n => !known.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new TrainingDataException(field,
                $"Unknown judgment set(s): {string.Join(", ", unknown)} (known: {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))}).");
        }
    }
}
