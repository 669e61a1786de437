using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MLOps.Web.Infrastructure.Onnx;

/// <summary>
/// The normalisation of the original BERT <c>BasicTokenizer</c> (and Hugging Face's): drop NUL, U+FFFD
/// and control characters, map every whitespace to a space, and for uncased vocabularies lower-case and
/// strip accents (NFD, then remove non-spacing marks). Unlike the library's built-in BERT pre-processing,
/// symbols such as emoji or © are kept, so that they become [UNK] (or their vocabulary entry) as in BERT.
/// </summary>
public sealed class BertBasicNormalizer(bool lowercase) : Normalizer
{
    public override string Normalize(string original) => Normalize(original.AsSpan());

    public override string Normalize(ReadOnlySpan<char> original)
    {
        var sb = new StringBuilder(original.Length);
        foreach (var rune in original.EnumerateRunes())
        {
            var c = rune.Value;
            if (c == 0 || c == 0xFFFD || IsControl(rune))
            {
                continue;
            }

            if (IsWhitespace(rune))
            {
                sb.Append(' ');
            }
            else
            {
                sb.Append(lowercase ? Rune.ToLowerInvariant(rune) : rune);
            }
        }

        if (!lowercase)
        {
            return sb.ToString();
        }

        var decomposed = sb.ToString().Normalize(NormalizationForm.FormD);
        sb.Clear();
        foreach (var ch in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(ch);
            }
        }

        return sb.ToString();
    }

    internal static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r')
        {
            return false;
        }

        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.Control or UnicodeCategory.Format;
    }
}

/// <summary>
/// BERT's basic pre-tokenisation: split on whitespace, every punctuation character (ASCII symbols and
/// Unicode P* categories) is its own piece, every CJK ideograph is its own piece; everything else
/// (letters, digits, emoji, other symbols) stays in the word it is part of.
/// </summary>
public sealed class BertBasicPreTokenizer : PreTokenizer
{
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    private static List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int, int)>();
        var start = -1;
        var i = 0;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed);
            if (BertBasicNormalizer.IsWhitespace(rune))
            {
                Flush(ref start, i, pieces);
            }
            else if (IsPunctuation(rune) || IsCjk(rune.Value))
            {
                Flush(ref start, i, pieces);
                pieces.Add((i, consumed));
            }
            else if (start < 0)
            {
                start = i;
            }

            i += consumed;
        }

        Flush(ref start, text.Length, pieces);
        return pieces;
    }

    private static void Flush(ref int start, int end, List<(int, int)> pieces)
    {
        if (start >= 0)
        {
            pieces.Add((start, end - start));
            start = -1;
        }
    }

    private static bool IsPunctuation(Rune r)
    {
        var c = r.Value;
        if (c is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideographs blocks BERT splits character by character (not kana or hangul).</summary>
    private static bool IsCjk(int c) =>
        c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
