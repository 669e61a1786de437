namespace MLOps.Web.Shared.Catalog;

/// <summary>
/// How expensive a <c>q=/regex/</c> term would be for Lucene, found before Lucene builds it.
/// Lucene.Net 4.8's <c>RegexpQuery</c> turns the expression into a minimal DFA in its constructor,
/// with no cap on the number of states (Lucene 5 added <c>maxDeterminizedStates</c>; 4.8 has none),
/// and the construction cannot be cancelled: <c>/a{99999}/</c> or <c>/[ab]*a[ab]{14}/</c> burn a core
/// for seconds to minutes. So the expression is read here (the subset of Lucene's syntax below),
/// turned into a position automaton (Glushkov: one state per character position, repetitions
/// expanded) and determinized by subset construction, counting states and work, stopping at the
/// limits. A malformed expression or an unsupported operator is an error with the reason.
/// Supported: literals and <c>\</c> escapes, <c>.</c>, <c>[...]</c> and <c>[^...]</c> with ranges,
/// <c>"..."</c> strings, <c>( )</c>, <c>|</c>, <c>?</c> <c>*</c> <c>+</c> <c>{n}</c> <c>{n,}</c>
/// <c>{n,m}</c>, <c>@</c> (any string) and <c>#</c> (no string). Refused: <c>~</c> (complement),
/// <c>&amp;</c> (intersection) and <c>&lt;...&gt;</c> (intervals, named automata), whose
/// determinization this check cannot bound.
/// </summary>
public static class RegexComplexity
{
    /// <summary>Null when the expression is within the limits, else why not.</summary>
    public static string? Check(string regex, int maxLength, int maxPositions, int maxStates)
    {
        if (regex.Length > maxLength)
        {
            return $"the regular expression is {regex.Length} characters long; at most {maxLength}";
        }

        RegexNode root;
        try
        {
            root = new RegexReader(regex).ReadAll();
        }
        catch (FormatException e)
        {
            return $"not a valid regular expression: {e.Message}";
        }

        var automaton = new RegexPositions(maxPositions);
        try
        {
            automaton.Build(root);
        }
        catch (InvalidOperationException)
        {
            return $"the regular expression expands to more than {maxPositions} character positions (repetitions count once per copy)";
        }

        return automaton.CountStates(maxStates) <= maxStates
            ? null
            : $"the regular expression's automaton has more than {maxStates} states once determinized";
    }
}

internal abstract record RegexNode;

internal sealed record RegexSymbol(RegexRange[] Ranges) : RegexNode;

internal sealed record RegexSequence(RegexNode[] Parts) : RegexNode;

internal sealed record RegexChoice(RegexNode[] Options) : RegexNode;

/// <summary>At least <paramref name="Min"/> copies, at most <paramref name="Max"/> (null: unbounded).</summary>
internal sealed record RegexRepeat(RegexNode Inner, int Min, int? Max) : RegexNode;

/// <summary><c>#</c>: matches no string.</summary>
internal sealed record RegexNothing : RegexNode;

internal readonly record struct RegexRange(int From, int To)
{
    public const int MaxCodePoint = 0x10FFFF;
}
