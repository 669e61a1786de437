namespace MLOps.Web.Shared.Catalog;

/// <summary>A recursive-descent reader of the supported syntax.</summary>
internal sealed class RegexReader(string text)
{
    private static readonly RegexRange[] Any = [new(0, RegexRange.MaxCodePoint)];
    private int _at;

    public RegexNode ReadAll()
    {
        var node = Union();
        return _at < text.Length ? throw Error($"unexpected '{text[_at]}' at {_at}") : node;
    }

    private RegexNode Union()
    {
        var options = new List<RegexNode> { Concatenation() };
        while (Peek('|'))
        {
            _at++;
            options.Add(Concatenation());
        }

        return options.Count == 1 ? options[0] : new RegexChoice([.. options]);
    }

    private RegexNode Concatenation()
    {
        var parts = new List<RegexNode>();
        while (_at < text.Length && text[_at] is not ('|' or ')'))
        {
            parts.Add(Repetition());
        }

        return parts.Count == 1 ? parts[0] : new RegexSequence([.. parts]);
    }

    private RegexNode Repetition()
    {
        var node = Simple();
        while (_at < text.Length)
        {
            if (text[_at] == '{')
            {
                node = Bounds(node);
                continue;
            }

            (int Min, int? Max)? bounds = text[_at] switch
            {
                '?' => (0, 1),
                '*' => (0, null),
                '+' => (1, null),
                _ => null,
            };
            if (bounds is not { } b)
            {
                return node;
            }

            _at++;
            node = new RegexRepeat(node, b.Min, b.Max);
        }

        return node;
    }

    private RegexRepeat Bounds(RegexNode node)
    {
        _at++;
        var min = Number() ?? throw Error($"expected a number after '{{' at {_at}");
        int? max = min;
        if (Peek(','))
        {
            _at++;
            max = Number();
        }

        if (!Peek('}'))
        {
            throw Error($"expected '}}' at {_at}");
        }

        _at++;
        return max < min ? throw Error($"{{{min},{max}}} has its maximum below its minimum") : new RegexRepeat(node, min, max);
    }

    private int? Number()
    {
        var start = _at;
        while (_at < text.Length && char.IsAsciiDigit(text[_at]))
        {
            _at++;
        }

        // A count beyond int range is no use to anyone; it is refused by the position limit anyway.
        return _at == start ? null : int.TryParse(text.AsSpan(start, _at - start), out var n) ? n : int.MaxValue;
    }

    private RegexNode Simple()
    {
        if (_at >= text.Length)
        {
            throw Error("unexpected end");
        }

        var c = text[_at];
        switch (c)
        {
            case '(':
                _at++;
                var inner = Peek(')') ? new RegexSequence([]) : Union();
                return Peek(')') ? Advance(inner) : throw Error($"expected ')' at {_at}");
            case '[':
                return Class();
            case '"':
                return Quoted();
            case '.':
                _at++;
                return new RegexSymbol(Any);
            case '@':
                _at++;
                return new RegexRepeat(new RegexSymbol(Any), 0, null);
            case '#':
                _at++;
                return new RegexNothing();
            case '~' or '&' or '<' or '>':
                throw Error($"the operator '{c}' is not supported here");
            case ')' or '|' or '*' or '+' or '?' or '{' or '}' or ']':
                throw Error($"unexpected '{c}' at {_at}");
            default:
                var cp = Char();
                return new RegexSymbol([new(cp, cp)]);
        }
    }

    private RegexSequence Quoted()
    {
        _at++;
        var chars = new List<RegexNode>();
        while (_at < text.Length && text[_at] != '"')
        {
            var cp = CodePoint();
            chars.Add(new RegexSymbol([new(cp, cp)]));
        }

        return Peek('"') ? Advance(new RegexSequence([.. chars])) : throw Error("unterminated string");
    }

    private RegexSymbol Class()
    {
        _at++;
        var negated = Peek('^');
        if (negated)
        {
            _at++;
        }

        var ranges = new List<RegexRange>();
        while (_at < text.Length && text[_at] != ']')
        {
            var from = Char();
            var to = from;
            if (Peek('-') && _at + 1 < text.Length && text[_at + 1] != ']')
            {
                _at++;
                to = Char();
            }

            ranges.Add(from <= to ? new(from, to) : throw Error($"the range {char.ConvertFromUtf32(from)}-{char.ConvertFromUtf32(to)} is reversed"));
        }

        if (!Peek(']') || ranges.Count == 0)
        {
            throw Error(ranges.Count == 0 && Peek(']') ? "empty character class" : "unterminated character class");
        }

        _at++;
        return new RegexSymbol(negated ? Complement(ranges) : Normalize(ranges));
    }

    /// <summary>One character, a backslash escaping the next.</summary>
    private int Char()
    {
        if (Peek('\\'))
        {
            _at++;
            if (_at >= text.Length)
            {
                throw Error("a backslash at the end");
            }
        }

        return CodePoint();
    }

    private int CodePoint()
    {
        var c = text[_at];
        if (char.IsHighSurrogate(c) && _at + 1 < text.Length && char.IsLowSurrogate(text[_at + 1]))
        {
            _at += 2;
            return char.ConvertToUtf32(c, text[_at - 1]);
        }

        _at++;
        return c;
    }

    private bool Peek(char c) => _at < text.Length && text[_at] == c;

    private T Advance<T>(T node)
    {
        _at++;
        return node;
    }

    private static FormatException Error(string message) => new(message);

    private static RegexRange[] Normalize(List<RegexRange> ranges)
    {
        ranges.Sort((a, b) => a.From.CompareTo(b.From));
        var merged = new List<RegexRange>();
        foreach (var r in ranges)
        {
            if (merged.Count > 0 && r.From <= merged[^1].To + 1)
            {
                merged[^1] = new(merged[^1].From, Math.Max(merged[^1].To, r.To));
            }
            else
            {
                merged.Add(r);
            }
        }

        return [.. merged];
    }

    private static RegexRange[] Complement(List<RegexRange> ranges)
    {
        var result = new List<RegexRange>();
        var next = 0;
        foreach (var r in Normalize(ranges))
        {
            if (r.From > next)
            {
                result.Add(new(next, r.From - 1));
            }

            next = r.To + 1;
        }

        if (next <= RegexRange.MaxCodePoint)
        {
            result.Add(new(next, RegexRange.MaxCodePoint));
        }

        return [.. result];
    }
}
