namespace MLOps.Web.Features.Classification;

/// <summary>Which scoring mode a request gets, by the Hugging Face zero-shot pipeline's rules.</summary>
public static class ClassificationMode
{
    public const string ConflictMessage =
        "multi_label and multi_class (the pipeline's older name for multi_label) disagree; give one of them, or the same value in both.";

    /// <summary>
    /// The mode: <paramref name="multiLabel"/>, else its alias <paramref name="multiClass"/>, else false
    /// (single-label); with one label always multi-label, since a softmax over one label is always 1 and
    /// the pipeline scores a lone label as entailment against contradiction. Null when both names are
    /// given and disagree.
    /// </summary>
    public static bool? Resolve(bool? multiLabel, bool? multiClass, int labelCount)
    {
        if (multiLabel is { } a && multiClass is { } b && a != b)
        {
            return null;
        }

        return Shared.Models.ZeroShotOptions.IsMultiLabel(multiLabel ?? multiClass ?? false, labelCount);
    }
}
