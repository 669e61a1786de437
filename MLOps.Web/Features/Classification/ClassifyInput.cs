using MLOps.Web.Shared;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Classification;

/// <summary>
/// Validation shared by every classify route (<c>/api/classify</c>, its batch, <c>/classify</c>, KServe
/// <c>:predict</c>): the same limits, the same messages; <c>prefix</c> names the request part a field
/// is in (<c>instances[2].</c>).
/// </summary>
public static class ClassifyInput
{
    public static void Sequence(string? sequence, string field, ClassificationOptions limits, IDictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(sequence))
        {
            errors[field] = ["The sequence must not be empty."];
        }
        else if (sequence.Length > limits.MaxSequenceChars)
        {
            errors[field] = [$"The sequence has {sequence.Length} characters; at most {limits.MaxSequenceChars} are accepted."];
        }
    }

    /// <summary>Sequences of a batch: at least one, at most MaxBatchSequences, each valid (<c>field[i]</c>).</summary>
    public static void Sequences(IReadOnlyList<string>? sequences, string field, ClassificationOptions limits, IDictionary<string, string[]> errors)
    {
        if (Count(sequences?.Count, field, "sequence", limits, errors))
        {
            for (var i = 0; i < sequences!.Count; i++)
            {
                Sequence(sequences[i], $"{field}[{i}]", limits, errors);
            }
        }
    }

    /// <summary>At least one item, at most MaxBatchSequences; false (and an error) otherwise.</summary>
    public static bool Count(int? count, string field, string item, ClassificationOptions limits, IDictionary<string, string[]> errors)
    {
        if (count is not > 0)
        {
            errors[field] = [$"At least one {item} is required."];
            return false;
        }

        if (count > limits.MaxBatchSequences)
        {
            errors[field] = [$"At most {limits.MaxBatchSequences} {item}s per request."];
            return false;
        }

        return true;
    }

    public static void Labels(IReadOnlyList<string>? labels, string? template, ClassificationOptions limits, IDictionary<string, string[]> errors, string prefix = "")
    {
        var own = prefix.Length == 0 ? errors : new Dictionary<string, string[]>();
        LabelNaming.ValidateLabels(labels, limits.MaxLabels, limits.MaxLabelChars, requireFieldName: false, own);

        if (template is not null && !template.Contains("{}", StringComparison.Ordinal))
        {
            own["hypothesis_template"] = ["The template must contain {} where the label goes, e.g. \"This example is {}.\"."];
        }

        if (!ReferenceEquals(own, errors))
        {
            foreach (var (field, messages) in own)
            {
                errors[prefix + field] = messages;
            }
        }
    }

    /// <summary>The mode (<see cref="ClassificationMode.Resolve"/>); a conflict is an error on both fields.</summary>
    public static bool Mode(bool? multiLabel, bool? multiClass, IReadOnlyList<string>? labels, IDictionary<string, string[]> errors, string prefix = "")
    {
        if (ClassificationMode.Resolve(multiLabel, multiClass, labels?.Count ?? 0) is { } mode)
        {
            return mode;
        }

        errors[prefix + "multi_label"] = [ClassificationMode.ConflictMessage];
        errors[prefix + "multi_class"] = [ClassificationMode.ConflictMessage];
        return false;
    }
}

/// <summary>Scoring shared by every classify route: one scorer call per label set, answers in the pipeline's shape.</summary>
public static class ClassifyScoring
{
    public static async Task<ClassifyResponse[]> ScoreAsync(
        IZeroShotScorer scorer, IReadOnlyList<string> sequences, IReadOnlyList<string> labels, bool multiLabel, string? template, CancellationToken cancellationToken)
    {
        var scores = await scorer.ScoreAsync(sequences, labels, new ZeroShotOptions(multiLabel, template), cancellationToken);
        var results = new ClassifyResponse[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            results[i] = Sorted(sequences[i], labels, scores[i], scorer.Model.Id, multiLabel);
        }

        return results;
    }

    /// <summary>Labels and scores sorted by score, descending (the pipeline's order).</summary>
    public static ClassifyResponse Sorted(string sequence, IReadOnlyList<string> labels, float[] scores, string model, bool multiLabel)
    {
        var order = Enumerable.Range(0, labels.Count).OrderByDescending(i => scores[i]).ToArray();
        return new ClassifyResponse(sequence, [.. order.Select(i => labels[i])], [.. order.Select(i => scores[i])], model, multiLabel);
    }
}
