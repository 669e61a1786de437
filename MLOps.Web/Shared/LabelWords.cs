using System.Text;

namespace MLOps.Web.Shared;

/// <summary>
/// Splits a hashtag into lower-case words. The rules, each one tested (LabelNamingTests):
/// <list type="bullet">
/// <item><c>_</c>, <c>-</c> and white space separate words: "snake_case_tag" -> "snake case tag".</item>
/// <item>A lower-case letter followed by a capital starts a word: "ChristmasMovies" -> "christmas movies";
/// except a single lower-case letter that starts the tag ("iPhone" -> "iphone", "eBay" -> "ebay").</item>
/// <item>Three or more capitals followed by lower case: the last capital starts the next word
/// ("HTMLParser" -> "html parser").</item>
/// <item>Two capitals followed by lower case are an acronym ("AIrobots" -> "ai robots",
/// "TVshows" -> "tv shows"), unless the first is the word "I", or "A" before a consonant
/// ("ILoveNY" -> "i love ny", "ATeam" -> "a team").</item>
/// <item>Digits and letters split ("WorldCup2026" -> "world cup 2026", "COVID19" -> "covid 19"), except
/// ordinal suffixes ("4thOfJuly" -> "4th of july") and a single letter next to digits ("F1", "G20Summit"
/// -> "g20 summit", "5G", "Y2K").</item>
/// <item>Letters of scripts without case (CJK, Thai, ...) and punctuation stay in the word they are in.</item>
/// </list>
/// </summary>
internal static class LabelWords
{
    public static List<string> Split(ReadOnlySpan<char> s)
    {
        var words = new List<string>();
        var word = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '_' or '-' || char.IsWhiteSpace(c))
            {
                Flush(word, words);
                continue;
            }

            if (word.Length > 0 && StartsWord(s, i, word, words.Count == 0))
            {
                Flush(word, words);
            }

            word.Append(char.ToLowerInvariant(c));
        }

        Flush(word, words);
        return words;
    }

    /// <summary>Whether <c>s[i]</c> starts a new word, given the word built so far (not empty; <c>s[i-1]</c> is in it).</summary>
    private static bool StartsWord(ReadOnlySpan<char> s, int i, StringBuilder word, bool firstWord)
    {
        char prev = s[i - 1], c = s[i];
        if (char.IsDigit(prev) != char.IsDigit(c) && (char.IsLetter(prev) || char.IsLetter(c)))
        {
            return !StaysWithDigits(s, i, word);
        }

        if (char.IsLower(prev) && char.IsUpper(c))
        {
            // "iPhone": one lower-case letter at the start of the tag is a prefix, not a word.
            return !(firstWord && word.Length == 1 && i == 1);
        }

        if (char.IsUpper(prev) && char.IsUpper(c) && i + 1 < s.Length && char.IsLower(s[i + 1]))
        {
            var run = UpperRunLength(s, i);
            return run >= 3 || (run == 2 && FirstCapitalIsAWord(s[i - 1], c));
        }

        if (char.IsUpper(prev) && char.IsLower(c))
        {
            // "AIrobots": the acronym ends before the lower-case word.
            var run = UpperRunLength(s, i - 1);
            return run == 2 && !FirstCapitalIsAWord(s[i - 2], prev);
        }

        return false;
    }

    /// <summary>An ordinal suffix after digits ("4th"), or a single letter beside digits ("F1", "5G", "Y2K").</summary>
    private static bool StaysWithDigits(ReadOnlySpan<char> s, int i, StringBuilder word)
    {
        if (char.IsDigit(s[i]))
        {
            return word.Length == 1; // "F1", "G20": the word so far is one letter
        }

        if (s.Length - i >= 2 && s.Slice(i, 2) is "st" or "nd" or "rd" or "th" && (s.Length - i == 2 || !char.IsLower(s[i + 2])))
        {
            return true;
        }

        return i + 1 == s.Length || !char.IsLetter(s[i + 1]); // "5G", "Y2K": one letter, then no letter
    }

    /// <summary>Capitals ending at <paramref name="end"/> (inclusive).</summary>
    private static int UpperRunLength(ReadOnlySpan<char> s, int end)
    {
        var start = end;
        while (start > 0 && char.IsUpper(s[start - 1]))
        {
            start--;
        }

        return end - start + 1;
    }

    /// <summary>In two capitals before lower case, the first is a word of its own: "I", or "A" before a consonant.</summary>
    private static bool FirstCapitalIsAWord(char first, char second) =>
        first == 'I' || (first == 'A' && "AEIOU".IndexOf(second) < 0);

    private static void Flush(StringBuilder word, List<string> words)
    {
        if (word.Length > 0)
        {
            words.Add(word.ToString());
            word.Clear();
        }
    }
}
