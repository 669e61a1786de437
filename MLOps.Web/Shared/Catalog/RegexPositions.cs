namespace MLOps.Web.Shared.Catalog;

/// <summary>
/// The Glushkov automaton of an expression: a state per symbol occurrence (plus the start, 0),
/// from each node's nullable, first and last positions and the follow relation; then its
/// determinization by subset construction, counting states.
/// </summary>
internal sealed class RegexPositions(int maxPositions)
{
    private readonly List<RegexRange[]> _symbols = [[]];
    private readonly List<HashSet<int>> _follow = [[]];
    private int _steps;

    private readonly record struct Part(bool Nullable, HashSet<int> First, HashSet<int> Last);

    public void Build(RegexNode root)
    {
        var whole = Make(root);
        _follow[0].UnionWith(whole.First);
    }

    /// <summary>Deterministic states, counting up to just past <paramref name="maxStates"/> (or until the work budget is spent).</summary>
    public int CountStates(int maxStates)
    {
        var atoms = Atoms();
        var accepts = new bool[_symbols.Count, atoms.Length];
        for (var p = 1; p < _symbols.Count; p++)
        {
            for (var a = 0; a < atoms.Length; a++)
            {
                accepts[p, a] = Contains(_symbols[p], atoms[a]);
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal) { "0" };
        var pending = new Queue<int[]>();
        pending.Enqueue([0]);
        long work = 0;
        var budget = 200L * maxStates * Math.Max(1, atoms.Length);
        while (pending.TryDequeue(out var state))
        {
            var reachable = state.SelectMany(p => _follow[p]).Distinct().ToArray();
            for (var a = 0; a < atoms.Length; a++)
            {
                work += reachable.Length + 1;
                var next = reachable.Where(q => accepts[q, a]).Order().ToArray();
                if (next.Length > 0 && seen.Add(string.Join(',', next)))
                {
                    if (seen.Count > maxStates || work > budget)
                    {
                        return maxStates + 1;
                    }

                    pending.Enqueue(next);
                }
            }
        }

        return seen.Count;
    }

    private Part Make(RegexNode node)
    {
        if (++_steps > 10 * maxPositions)
        {
            throw new InvalidOperationException("too many steps");
        }

        return node switch
        {
            RegexSymbol s => Leaf(s.Ranges),
            RegexNothing => new Part(false, [], []),
            RegexSequence q => q.Parts.Select(Make).Aggregate(new Part(true, [], []), Concat),
            RegexChoice c => c.Options.Select(Make).Aggregate(new Part(false, [], []), Union),
            RegexRepeat r => MakeRepeat(r),
            _ => throw new ArgumentOutOfRangeException(nameof(node)),
        };
    }

    private Part MakeRepeat(RegexRepeat r)
    {
        var result = new Part(true, [], []);
        for (var i = 0; i < r.Min; i++)
        {
            result = Concat(result, Make(r.Inner));
        }

        if (r.Max is null)
        {
            var loop = Make(r.Inner);
            foreach (var p in loop.Last)
            {
                _follow[p].UnionWith(loop.First);
            }

            return Concat(result, loop with { Nullable = true });
        }

        for (var i = r.Min; i < r.Max; i++)
        {
            result = Concat(result, Make(r.Inner) with { Nullable = true });
        }

        return result;
    }

    private Part Leaf(RegexRange[] ranges)
    {
        if (_symbols.Count > maxPositions)
        {
            throw new InvalidOperationException("too many positions");
        }

        _symbols.Add(ranges);
        _follow.Add([]);
        var p = _symbols.Count - 1;
        return new Part(false, [p], [p]);
    }

    private Part Concat(Part a, Part b)
    {
        foreach (var p in a.Last)
        {
            _follow[p].UnionWith(b.First);
        }

        var first = new HashSet<int>(a.First);
        if (a.Nullable)
        {
            first.UnionWith(b.First);
        }

        var last = new HashSet<int>(b.Last);
        if (b.Nullable)
        {
            last.UnionWith(a.Last);
        }

        return new Part(a.Nullable && b.Nullable, first, last);
    }

    private static Part Union(Part a, Part b) =>
        new(a.Nullable || b.Nullable, [.. a.First, .. b.First], [.. a.Last, .. b.Last]);

    /// <summary>A representative code point of every class of characters that no symbol tells apart.</summary>
    private int[] Atoms()
    {
        var bounds = new SortedSet<int> { 0 };
        foreach (var ranges in _symbols)
        {
            foreach (var r in ranges)
            {
                bounds.Add(r.From);
                if (r.To < RegexRange.MaxCodePoint)
                {
                    bounds.Add(r.To + 1);
                }
            }
        }

        return [.. bounds];
    }

    private static bool Contains(RegexRange[] ranges, int codePoint) => ranges.Any(r => r.From <= codePoint && codePoint <= r.To);
}
