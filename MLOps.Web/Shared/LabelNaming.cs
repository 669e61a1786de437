using System.Globalization;
using System.Text;

namespace MLOps.Web.Shared;

/// <summary>
/// How a hashtag becomes a label and a field name. <c>#ChristmasMovies</c> becomes the label
/// "christmas movies" and the field <c>classification_christmasmovies</c>; the field name keeps only
/// [a-z0-9_], so no user input reaches a search engine as syntax.
/// </summary>
public static class LabelNaming
{
    public const string FieldPrefix = "classification_";

    /// <summary>Splits camelCase, digits and underscores into lower-case words: "#ChristmasMovies2024" -> "christmas movies 2024".</summary>
    public static string ToLabel(string tagOrLabel)
    {
        var s = tagOrLabel.AsSpan().Trim().TrimStart('#');
        var sb = new StringBuilder(s.Length + 8);
        UnicodeCategory? prev = null;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '_' || c == '-' || char.IsWhiteSpace(c))
            {
                AppendSpace(sb);
                prev = null;
                continue;
            }

            var cat = char.GetUnicodeCategory(c);
            if (prev is { } p && sb.Length > 0)
            {
                var boundary =
                    (cat == UnicodeCategory.UppercaseLetter && p == UnicodeCategory.LowercaseLetter) ||
                    (char.IsDigit(c) && p != UnicodeCategory.DecimalDigitNumber) ||
                    (!char.IsDigit(c) && p == UnicodeCategory.DecimalDigitNumber) ||
                    // "HTMLParser" -> "html parser": an upper followed by a lower after uppers
                    (cat == UnicodeCategory.UppercaseLetter && p == UnicodeCategory.UppercaseLetter
                        && i + 1 < s.Length && char.IsLower(s[i + 1]));
                if (boundary)
                {
                    AppendSpace(sb);
                }
            }

            sb.Append(char.ToLowerInvariant(c));
            prev = cat;
        }

        return sb.ToString().Trim();
    }

    /// <summary><c>classification_</c> + the tag case-folded, keeping only [a-z0-9_]. Empty when nothing is left.</summary>
    public static string ToFieldName(string tagOrLabel)
    {
        var key = ToFieldKey(tagOrLabel);
        return key.Length == 0 ? string.Empty : FieldPrefix + key;
    }

    /// <summary>
    /// The tag part of a field name: case-folded, accents removed ("noël" -> "noel"), only [a-z0-9_].
    /// A tag with no Latin letter or digit at all (e.g. "日本") has no field name.
    /// </summary>
    public static string ToFieldKey(string tagOrLabel)
    {
        var sb = new StringBuilder(tagOrLabel.Length);
        foreach (var c in tagOrLabel.ToLowerInvariant().Normalize(NormalizationForm.FormD))
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>True when <paramref name="field"/> is a well-formed classification field name.</summary>
    public static bool IsFieldName(string field) =>
        field.StartsWith(FieldPrefix, StringComparison.Ordinal)
        && field.Length > FieldPrefix.Length
        && field.AsSpan(FieldPrefix.Length).IndexOfAnyExcept(FieldChars) < 0;

    private static readonly System.Buffers.SearchValues<char> FieldChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_");

    /// <summary>
    /// Validates a label list as <c>/api/classify</c> does, adding errors keyed <c>labels</c> or
    /// <c>labels[i]</c>. With <paramref name="requireFieldName"/>, each label must also name a
    /// <c>classification_*</c> field (reclassification writes one per label).
    /// </summary>
    public static void ValidateLabels(
        IReadOnlyList<string>? labels, int maxLabels, int maxLabelChars, bool requireFieldName, IDictionary<string, string[]> errors)
    {
        if (labels is not { Count: > 0 })
        {
            errors["labels"] = ["At least one label is required."];
            return;
        }

        if (labels.Count > maxLabels)
        {
            errors["labels"] = [$"{labels.Count} labels given; at most {maxLabels} are accepted."];
            return;
        }

        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            string? message =
                string.IsNullOrWhiteSpace(label) || ToLabel(label).Length == 0 ? "A label must contain a word."
                : label.Length > maxLabelChars ? $"The label has {label.Length} characters; at most {maxLabelChars} are accepted."
                : requireFieldName && ToFieldName(label).Length == 0 ? "A label needs at least one letter a-z, digit or underscore to name its field."
                : null;
            if (message is not null)
            {
                errors[$"labels[{i}]"] = [message];
            }
        }
    }

    private static void AppendSpace(StringBuilder sb)
    {
        if (sb.Length > 0 && sb[^1] != ' ')
        {
            sb.Append(' ');
        }
    }
}
