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

        return (train, held);
    }

    /// <summary>A quarter of the sets (rounded up; none when there is only one), drawn with the seed.</summary>
    private static List<JudgedSet> DefaultHoldBack(List<JudgedSet> ordered, int seed)
    {
        if (ordered.Count < 2)
        {
            return [];
        }

        var rng = new Random(seed);
        var count = (ordered.Count + 3) / 4;
        return [.. ordered.OrderBy(_ => rng.Next()).Take(count).OrderBy(s => s.Name, StringComparer.Ordinal)];
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
