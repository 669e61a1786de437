using MLOps.Web.Shared;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Explicit labels and trending tags as run tags; labels are validated as the classify API does (LabelNaming.ValidateLabels).</summary>
public static class ReclassificationLabels
{
    public const int MaxLabels = 100;
    public const int MaxLabelLength = 100;

    /// <summary>Null when valid; else field name -> messages (<c>labels</c> or <c>labels[i]</c>).</summary>
    public static Dictionary<string, string[]>? Validate(IReadOnlyList<string>? labels)
    {
        if (labels is null)
        {
            return null;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (labels.Count == 0)
        {
            errors["labels"] = ["labels must not be empty; leave it out to use the trending tags."];
        }
        else
        {
            LabelNaming.ValidateLabels(labels, MaxLabels, MaxLabelLength, requireFieldName: true, errors);
        }

        return errors.Count == 0 ? null : errors;
    }

    /// <summary>One tag per distinct field name, in the given order.</summary>
    public static IReadOnlyList<RunTag> FromLabels(IEnumerable<string> labels) =>
        [.. labels.Select(l => new RunTag(LabelNaming.ToFieldKey(l), LabelNaming.ToLabel(l), LabelNaming.ToFieldName(l)))
            .Where(t => t.Field.Length > 0)
            .DistinctBy(t => t.Field, StringComparer.Ordinal)];

    /// <summary>
    /// The display form gives the words ("ChristmasMovies" -> "christmas movies"); the key gives the
    /// field (<see cref="TrendingTag.Field"/>: every tag has one, <c>t_...</c> for tags with no Latin letter).
    /// A topic is scored once, as its most frequent variant.
    /// </summary>
    public static IReadOnlyList<RunTag> FromTrending(IEnumerable<TrendingTag> tags) =>
        [.. tags.Select(t => new RunTag(t.Tag, t.Label, t.Field))
            .Where(t => t.Field.Length > 0 && t.Label.Length > 0)
            .DistinctBy(t => t.Field, StringComparer.Ordinal)];
}
