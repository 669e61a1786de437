using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AnyAscii;

namespace MLOps.Web.Shared;

/// <summary>
/// How a hashtag becomes a label and a field name. <c>#ChristmasMovies</c> becomes the label
/// "christmas movies" and the field <c>classification_christmasmovies</c>; the field name keeps only
/// [a-z0-9_], so no user input reaches a search engine as syntax. A tag with no Latin letter or digit
/// (<c>#クリスマス</c>) gets a key of its own: <c>t_</c>, its AnyAscii transliteration and a short hash
/// of the tag (<c>classification_t_kurisumasu_e07e6d</c>), so every tag has a field.
/// </summary>
public static class LabelNaming
{
    public const string FieldPrefix = "classification_";

    /// <summary>Prefix of the keys of tags with no Latin letter or digit.</summary>
    public const string TransliteratedPrefix = "t_";

    /// <summary>Longest transliteration kept in a <c>t_</c> key (the hash keeps it unique).</summary>
    public const int MaxTransliterationLength = 40;

    /// <summary>
    /// Lower-case words for the hypothesis: camelCase, digits and underscores split
    /// ("#ChristmasMovies2024" -> "christmas movies 2024"); rules in <see cref="LabelWords"/>.
    /// </summary>
    public static string ToLabel(string tagOrLabel) =>
        string.Join(' ', LabelWords.Split(tagOrLabel.AsSpan().Trim().TrimStart("#＃")));

    /// <summary><c>classification_</c> + <see cref="ToFieldKey"/>. Empty when the tag has no letter or digit.</summary>
    public static string ToFieldName(string tagOrLabel)
    {
        var key = ToFieldKey(tagOrLabel);
        return key.Length == 0 ? string.Empty : FieldPrefix + key;
    }

    /// <summary>
    /// The tag part of a field name, only [a-z0-9_]: the tag case-folded with accents removed
    /// ("noël" -> "noel", "World_Cup" -> "world_cup"), unchanged from the first field names. A tag with
    /// no Latin letter or digit ("クリスマス", "日本") is <c>t_</c> + its transliteration + <c>_</c> + six hex
    /// digits of the SHA-256 of its letters and digits ("t_kurisumasu_e07e6d"): readable, stable, and
    /// two tags that transliterate alike ("東京" and "冬京") still get two fields. Empty when the tag has
    /// no letter or digit at all ("#!!!").
    /// </summary>
    public static string ToFieldKey(string tagOrLabel)
    {
        var latin = FoldToFieldChars(tagOrLabel);
        if (latin.AsSpan().IndexOfAnyExcept('_') >= 0)
        {
            return latin;
        }

        var letters = LettersAndDigits(tagOrLabel);
        if (letters.Length == 0)
        {
            return string.Empty;
        }

        var transliterated = FoldToFieldChars(letters.Transliterate()).Replace("_", "", StringComparison.Ordinal);
        if (transliterated.Length > MaxTransliterationLength)
        {
            transliterated = transliterated[..MaxTransliterationLength];
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(letters)).AsSpan(0, 3));
        return transliterated.Length == 0
            ? TransliteratedPrefix + hash
            : TransliteratedPrefix + transliterated + "_" + hash;
    }

    /// <summary>True when <paramref name="field"/> is a well-formed classification field name.</summary>
    public static bool IsFieldName(string field) =>
        field.StartsWith(FieldPrefix, StringComparison.Ordinal)
        && field.Length > FieldPrefix.Length
        && field.AsSpan(FieldPrefix.Length).IndexOfAnyExcept(FieldChars) < 0;

    /// <summary>The tag without diacritics, lower-cased, keeping its other characters ("Noël" -> "noel", "クリスマス" unchanged).</summary>
    public static string FoldAccents(string tag)
    {
        var sb = new StringBuilder(tag.Length);
        foreach (var c in tag.ToLowerInvariant().Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(c);
            }
        }

        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    private static readonly System.Buffers.SearchValues<char> FieldChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_");

    /// <summary>Case-folded, accents removed, only [a-z0-9_].</summary>
    private static string FoldToFieldChars(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant().Normalize(NormalizationForm.FormD))
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>The letters, marks and digits of the tag, lower-cased and NFC-normalised: the same for "#クリスマス", its key and its label.</summary>
    private static string LettersAndDigits(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant().Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

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
                : requireFieldName && ToFieldName(label).Length == 0 ? "A label needs at least one letter or digit to name its field."
                : null;
            if (message is not null)
            {
                errors[$"labels[{i}]"] = [message];
            }
        }
    }
}
