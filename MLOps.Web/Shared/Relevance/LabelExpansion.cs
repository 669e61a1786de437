using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Shared.Relevance;

/// <summary>
/// A tag's lexical query: the hashtag split into words (filler words dropped), morphological variants
/// whose English stem is new (boxing -> boxer), and the variants seen with the tag in the stream. The
/// core texts (the tag's own words and their variants) decide the match test; stream variants only
/// add BM25 evidence.
/// </summary>
public static class LabelExpansion
{
    /// <summary>Words that carry no topic in a hashtag ("#HeistMovies" is about heists). Dropped from the lexical query only, never from the hypothesis.</summary>
    public static readonly IReadOnlySet<string> FillerWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "movie", "movies", "film", "films", "cinema", "night", "tv", "show", "watch", "week", "day", "season", "the", "of", "and",
    };

    private static readonly EnglishAnalyzer Analyzer = new(CatalogQuerySyntax.Version);

    /// <summary>The tag's words for the lexical query: the label's words without filler (all of them when nothing else is left); unsplit, the label as one word.</summary>
    public static IReadOnlyList<string> Words(string label, bool splitWords)
    {
        var words = LabelNaming.ToLabel(label).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!splitWords)
        {
            return words.Length == 0 ? [] : [string.Concat(words)];
        }

        var kept = words.Where(w => !FillerWords.Contains(w)).Distinct(StringComparer.Ordinal).ToList();
        return kept.Count > 0 ? kept : [.. words.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Irregular -f / -fe plurals, which the English stemmer keeps apart ("werewolves" -> werewolv,
    /// "werewolf" -> werewolf). A table, not a suffix rule: a rule would also turn "safe" into "saves",
    /// "life" into "lives" and "leaf" into "leaves", whose stems match hundreds of unrelated overviews.
    /// </summary>
    public static readonly IReadOnlyList<(string Singular, string Plural)> FPlurals =
    [
        ("wolf", "wolves"), ("elf", "elves"), ("dwarf", "dwarves"), ("knife", "knives"), ("wife", "wives"),
        ("thief", "thieves"), ("half", "halves"), ("calf", "calves"), ("loaf", "loaves"), ("scarf", "scarves"), ("hoof", "hooves"),
    ];

    /// <summary>
    /// Rule-based variants of one English word: -ies -> -y; -sses/-xes/-ches/-shes drop "es"; -ses drops
    /// "s"; another final -s is dropped, else -s / -es / -ies is added; the irregular -f / -fe plurals of
    /// <see cref="FPlurals"/> both ways, matched as word endings ("werewolves" and "werewolf" each give the
    /// other, "housewives" -> "housewife"); -ing -> -er and -ers (and the undoubled -er: "boxing" -> "boxer",
    /// "running" -> "runner", "runer"); -ers -> -ing ("hackers" -> "hacking"); the last two are the
    /// <see cref="Derivations"/>, which the planner keeps only where the catalog allows (<see cref="WithinFrequency"/>).
    /// The word itself comes first.
    /// </summary>
    public static IReadOnlyList<string> MorphVariants(string word)
    {
        var w = word.ToLowerInvariant();
        var v = new List<string> { w };
        void Add(string s)
        {
            if (s.Length > 2 && !v.Contains(s))
            {
                v.Add(s);
            }
        }

        if (w.EndsWith("ies", StringComparison.Ordinal)) { Add(w[..^3] + "y"); }
        else if (w.EndsWith("sses", StringComparison.Ordinal) || w.EndsWith("xes", StringComparison.Ordinal) || w.EndsWith("ches", StringComparison.Ordinal) || w.EndsWith("shes", StringComparison.Ordinal)) { Add(w[..^2]); }
        else if (w.EndsWith("ses", StringComparison.Ordinal)) { Add(w[..^1]); }
        else if (w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal)) { Add(w[..^1]); }
        else { Add(Plural(w)); }

        foreach (var (singular, plural) in FPlurals)
        {
            if (w.EndsWith(plural, StringComparison.Ordinal)) { Add(w[..^plural.Length] + singular); }
            else if (w.EndsWith(singular, StringComparison.Ordinal)) { Add(w[..^singular.Length] + plural); }
        }

        foreach (var derived in Derivations(w))
        {
            Add(derived);
        }

        return v;
    }

    /// <summary>
    /// The derivational variants of one word (another word, not another form of it): -ing -> -er and -ers,
    /// and the undoubled -er ("boxing" -> "boxer", "boxers"; "running" -> "runner", "runners", "runer");
    /// -ers -> -ing ("hackers" -> "hacking"). Unlike a plural, a derived word can mean something else
    /// ("lovers" -> "loving", stemmed to "love"), so the planner checks these against the catalog (<see cref="WithinFrequency"/>).
    /// </summary>
    public static IReadOnlyList<string> Derivations(string word)
    {
        var w = word.ToLowerInvariant();
        var v = new List<string>();
        if (w.EndsWith("ing", StringComparison.Ordinal) && w.Length > 5)
        {
            var stem = w[..^3];
            v.Add(stem + "er");
            v.Add(stem + "ers");
            if (stem.Length > 2 && stem[^1] == stem[^2])
            {
                v.Add(stem[..^1] + "er");
            }
        }

        if (w.EndsWith("ers", StringComparison.Ordinal) && w.Length > 5)
        {
            v.Add(w[..^3] + "ing");
        }

        return v;
    }

    /// <summary>The derived variants among the core texts (the words' text excepted), each with the word it was derived from.</summary>
    public static IReadOnlyDictionary<string, string> DerivedFrom(IReadOnlyList<string> words, IReadOnlyList<WeightedText> core)
    {
        var derived = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in core.Skip(1))
        {
            if (words.FirstOrDefault(w => Derivations(w).Contains(text.Text, StringComparer.Ordinal)) is { } word)
            {
                derived.TryAdd(text.Text, word);
            }
        }

        return derived;
    }

    /// <summary>
    /// The core texts the catalog allows: the tag's words and every inflection always stay; a derived
    /// variant (<paramref name="counts"/>: how many documents it matches, and how many the word it was
    /// derived from matches alone) stays when it matches at most <paramref name="ratio"/> times its word's
    /// documents (at least one counted). At ratio 4, "hacking" (7) for "hackers" (8) stays and "loving"
    /// (the stem "love", 483) for "lovers" (64) does not. Ratio 0 keeps every text.
    /// </summary>
    public static (IReadOnlyList<WeightedText> Kept, IReadOnlyList<VariantCheck> Checks) WithinFrequency(
        IReadOnlyList<WeightedText> core, IReadOnlyDictionary<string, (long Documents, long WordDocuments)> counts, double ratio)
    {
        if (ratio <= 0)
        {
            return (core, []);
        }

        var kept = new List<WeightedText>();
        var checks = new List<VariantCheck>();
        for (var i = 0; i < core.Count; i++)
        {
            if (i == 0 || !counts.TryGetValue(core[i].Text, out var count))
            {
                kept.Add(core[i]);
                continue;
            }

            var within = count.Documents <= ratio * Math.Max(1, count.WordDocuments);
            checks.Add(new VariantCheck(core[i].Text, count.Documents, count.WordDocuments, within));
            if (within)
            {
                kept.Add(core[i]);
            }
        }

        return (kept, checks);
    }

    /// <summary>The core texts: the words at weight 1, then each variant whose stem neither a word nor an earlier variant has, at weight 1.</summary>
    public static IReadOnlyList<WeightedText> CoreTexts(IReadOnlyList<string> words, bool variants)
    {
        if (words.Count == 0)
        {
            return [];
        }

        var texts = new List<WeightedText> { new(string.Join(' ', words), 1f) };
        if (!variants)
        {
            return texts;
        }

        // Every word's stem first, so a variant of one word never repeats another word ("runners run": no "running").
        var seen = words.Select(w => string.Join(' ', Stems(w))).ToHashSet(StringComparer.Ordinal);
        foreach (var candidate in words.SelectMany(MorphVariants))
        {
            var stems = Stems(candidate);
            if (stems.Count == 0 || words.Contains(candidate, StringComparer.Ordinal) || !seen.Add(string.Join(' ', stems)))
            {
                continue;
            }

            texts.Add(new WeightedText(candidate, 1f));
        }

        return texts;
    }

    /// <summary>The stream variants as texts at <paramref name="weight"/> (each as its words; duplicates of the core words left out).</summary>
    public static IReadOnlyList<WeightedText> StreamTexts(IReadOnlyList<string>? variants, IReadOnlyList<WeightedText> core, float weight)
    {
        if (variants is not { Count: > 0 } || weight <= 0f)
        {
            return [];
        }

        var known = core.Select(t => string.Join(' ', Stems(t.Text))).ToHashSet(StringComparer.Ordinal);
        return [.. variants
            .Select(v => LabelNaming.ToLabel(v))
            .Where(v => v.Length > 0 && Stems(v).Count > 0 && known.Add(string.Join(' ', Stems(v))))
            .Select(v => new WeightedText(v, weight))];
    }

    /// <summary>The English-analysed stems of a text, as the catalog index analyses title, overview and tagline.</summary>
    public static IReadOnlyList<string> Stems(string text)
    {
        var stems = new List<string>();
        using var stream = Analyzer.GetTokenStream(CatalogJson.Overview, text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            stems.Add(term.ToString());
        }

        stream.End();
        return stems;
    }

    private static string Plural(string w) =>
        w.EndsWith('y') && w.Length > 3 && !"aeiou".Contains(w[^2], StringComparison.Ordinal) ? w[..^1] + "ies"
        : w.EndsWith('s') || w.EndsWith('x') || w.EndsWith("ch", StringComparison.Ordinal) ? w + "es"
        : w + "s";
}

/// <summary>A derived variant the planner checked: the documents it matches, those the word it was derived from matches alone, and whether it joined the query.</summary>
public sealed record VariantCheck(string Text, long Documents, long WordDocuments, bool Kept);
