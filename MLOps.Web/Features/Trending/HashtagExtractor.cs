using System.Buffers;
using System.Globalization;
using System.Text;

namespace MLOps.Web.Features.Trending;

/// <summary>Receives each hashtag found: its case-folded key and the form as written (without '#').</summary>
public interface IHashtagSink
{
    void OnHashtag(scoped ReadOnlySpan<char> key, scoped ReadOnlySpan<char> display);
}

/// <summary>
/// Finds hashtags without allocating. A hashtag is '#' (or the full-width '＃') followed by a run of
/// tag characters: Unicode letters and decimal digits of any script, combining marks (so Indic and
/// Thai words stay whole) and '_'. Rules:
/// <list type="bullet">
/// <item>'#' counts only at the start of the text or after a character that is not a tag character,
/// '&amp;' or '/': <c>page#anchor</c>, <c>x.com/#anchor</c> and <c>&amp;#38;</c> are not tags. In
/// <c>##tag</c> the second '#' starts the tag <c>tag</c>.</item>
/// <item>Tokens containing <c>://</c> (URLs) are skipped up to the next white space, fragments included.</item>
/// <item>The tag ends at the first other character: trailing punctuation and emoji are not part of it.</item>
/// <item>A tag needs at least one letter (or mark): pure numbers (<c>#2026</c>) and <c>#_1</c> are not tags; <c>#WorldCup2026</c> is.</item>
/// <item>Keys are lower-cased with the invariant culture (<c>#ChristmasMovies</c> = <c>#christmasmovies</c>).</item>
/// <item>Tags longer than the maximum length are ignored, not truncated (a truncated tag would be a
/// different tag); scanning stays linear however long the run is.</item>
/// <item>Stop-listed keys are dropped.</item>
/// </list>
/// Entities supplied by a source (X <c>entities.hashtags[].tag</c>, Mastodon <c>tags[].name</c>, push
/// <c>hashtags</c>) pass the same checks: a leading '#' is removed, and a name with a non-tag character is dropped.
/// </summary>
public sealed class HashtagExtractor
{
    private static readonly SearchValues<char> Triggers = SearchValues.Create("#＃:");

    private readonly HashSet<string> _stopList;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _stopLookup;

    public HashtagExtractor(int maxTagLength, IEnumerable<string> stopList)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTagLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTagLength, 1000);
        MaxTagLength = maxTagLength;
        _stopList = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in stopList)
        {
            var t = s.Trim().TrimStart('#', '＃');
            if (t.Length > 0)
            {
                _stopList.Add(t.ToLowerInvariant());
            }
        }

        _stopLookup = _stopList.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int MaxTagLength { get; }

    /// <summary>Finds the hashtags in <paramref name="text"/>; returns how many reached the sink.</summary>
    public int ExtractFromText<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : IHashtagSink, allows ref struct
    {
        Span<char> folded = stackalloc char[MaxTagLength];
        var found = 0;
        var i = 0;
        while (i < text.Length)
        {
            var next = text[i..].IndexOfAny(Triggers);
            if (next < 0)
            {
                break;
            }

            i += next;
            if (text[i] == ':')
            {
                if (i + 2 < text.Length && text[i + 1] == '/' && text[i + 2] == '/')
                {
                    i = SkipToWhiteSpace(text, i);
                }
                else
                {
                    i++;
                }

                continue;
            }

            // text[i] is '#' or '＃'
            if (i > 0 && !CanPrecedeHash(text, i))
            {
                i++;
                continue;
            }

            var start = i + 1;
            var end = ScanTagRun(text, start, out var noLetter);
            if (end > start && !noLetter && end - start <= MaxTagLength
                && Emit(text[start..end], folded, ref sink))
            {
                found++;
            }

            i = end > start ? end : start;
        }

        return found;
    }

    /// <summary>Checks and emits hashtags a source already extracted; returns how many reached the sink.</summary>
    public int ExtractFromEntities<TSink>(IReadOnlyList<string> hashtags, ref TSink sink)
        where TSink : IHashtagSink, allows ref struct
    {
        Span<char> folded = stackalloc char[MaxTagLength];
        var found = 0;
        for (var n = 0; n < hashtags.Count; n++)
        {
            var tag = hashtags[n].AsSpan().Trim();
            if (tag.Length > 0 && tag[0] is '#' or '＃')
            {
                tag = tag[1..];
            }

            if (tag.Length == 0 || tag.Length > MaxTagLength)
            {
                continue;
            }

            var end = ScanTagRun(tag, 0, out var noLetter);
            if (end == tag.Length && !noLetter && Emit(tag, folded, ref sink))
            {
                found++;
            }
        }

        return found;
    }

    /// <summary>The case-folded key of a single tag (with or without '#'), or null when it is not a valid, countable tag.</summary>
    public string? NormalizeKey(string tag)
    {
        var sink = new KeyCapture();
        return ExtractFromEntities([tag], ref sink) == 1 ? sink.Key : null;
    }

    private bool Emit<TSink>(ReadOnlySpan<char> display, scoped Span<char> folded, ref TSink sink)
        where TSink : IHashtagSink, allows ref struct
    {
        var key = folded[..display.Length];
        display.ToLowerInvariant(key);
        if (_stopList.Count > 0 && _stopLookup.Contains(key))
        {
            return false;
        }

        sink.OnHashtag(key, display);
        return true;
    }

    /// <summary>End (exclusive) of the run of tag characters starting at <paramref name="start"/>.</summary>
    private static int ScanTagRun(ReadOnlySpan<char> text, int start, out bool noLetter)
    {
        noLetter = true;
        var j = start;
        while (j < text.Length)
        {
            var c = text[j];
            if (c < 0x80)
            {
                if (char.IsAsciiLetter(c))
                {
                    noLetter = false;
                    j++;
                    continue;
                }

                if (char.IsAsciiDigit(c) || c == '_')
                {
                    j++;
                    continue;
                }

                break;
            }

            if (char.IsHighSurrogate(c))
            {
                if (Rune.DecodeFromUtf16(text[j..], out var rune, out var consumed) != OperationStatus.Done
                    || !IsTagCategory(Rune.GetUnicodeCategory(rune), out var runeIsLetter))
                {
                    break;
                }

                noLetter &= !runeIsLetter;
                j += consumed;
                continue;
            }

            if (!IsTagCategory(char.GetUnicodeCategory(c), out var isLetter))
            {
                break;
            }

            noLetter &= !isLetter;
            j++;
        }

        return j;
    }

    /// <summary>Whether a character of <paramref name="category"/> belongs in a tag; <paramref name="letter"/>: it is a letter or a mark.</summary>
    private static bool IsTagCategory(UnicodeCategory category, out bool letter)
    {
        letter = category is not (UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation);
        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.ConnectorPunctuation;
    }

    /// <summary>Whether the character before the '#' at <paramref name="i"/> lets it start a tag.</summary>
    private static bool CanPrecedeHash(ReadOnlySpan<char> text, int i)
    {
        var p = text[i - 1];
        if (p is '&' or '/')
        {
            return false;
        }

        if (p < 0x80)
        {
            return !(char.IsAsciiLetterOrDigit(p) || p == '_');
        }

        if (char.IsLowSurrogate(p) && i >= 2 && char.IsHighSurrogate(text[i - 2]))
        {
            return !IsTagCategory(Rune.GetUnicodeCategory(new Rune(text[i - 2], p)), out _);
        }

        return !IsTagCategory(char.GetUnicodeCategory(p), out _);
    }

    private static int SkipToWhiteSpace(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && !char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private struct KeyCapture : IHashtagSink
    {
        public string? Key;

        public void OnHashtag(scoped ReadOnlySpan<char> key, scoped ReadOnlySpan<char> display) => Key = key.ToString();
    }
}
