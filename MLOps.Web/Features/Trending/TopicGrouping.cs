using System.Globalization;
using System.Numerics.Tensors;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Trending;

/// <summary>One topic: indexes into the candidate list (most frequent first) and why each joined.</summary>
public sealed record TopicGroup(IReadOnlyList<int> Members, IReadOnlyDictionary<int, TopicMerge> Reasons);

/// <summary>
/// Groups the window's candidate tags into topics, pure. The rules run in this order, each one
/// attaching a whole topic to another (never splitting one), and each attachment is recorded:
/// <list type="number">
/// <item><c>accents</c>: the same key without diacritics ("noël", "noel"); case is folded in the key already.</item>
/// <item><c>words</c>: a tag whose CamelCase words contain another tag's words, contiguously, joins the one
/// with the most words ("ChristmasMovies" = "christmas movies" joins "christmas").</item>
/// <item><c>co_occurrence</c>: two tags in the same posts: at least <c>CoOccurrenceShare</c> of the rarer
/// tag's posts carry the other one, at least <c>CoOccurrenceMinPosts</c> posts carry both, and that many
/// would come by chance with probability at most <c>CoOccurrenceMaxPValue</c> (binomial tail, the chance
/// being the other tag's share of all posts: a tag in most posts absorbs nothing); the smaller topic joins.</item>
/// <item><c>embedding</c>: the cosine of the two topics' head labels' hypothesis embeddings (active model)
/// is at least the model's <c>EmbeddingThresholds</c> entry; compared head to head only, so A ~ B and B ~ C never chain A to C
/// through B's variants; the smaller topic joins.</item>
/// </list>
/// </summary>
public static class TopicGrouping
{
    /// <summary>The words rule ignores tags shorter than this ("#i" is not the topic of "#ILoveNY").</summary>
    public const int MinWordsLength = 3;

    public static IReadOnlyList<TopicGroup> Group(
        IReadOnlyList<CandidateTag> tags, IReadOnlyList<TagPair> pairs, TopicVectors? vectors, TopicOptions options, long posts = 0)
    {
        var state = new State(tags);
        ByAccents(state);
        if (options.Words)
        {
            ByWords(state);
        }

        ByCoOccurrence(state, pairs, options, posts);
        if (vectors is { Vectors: { } byKey, Threshold: > 0 })
        {
            ByEmbedding(state, byKey, vectors.Threshold);
        }

        return state.Groups();
    }

    private static void ByAccents(State s)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < s.Tags.Count; i++)
        {
            var folded = LabelNaming.FoldAccents(s.Tags[i].Key);
            if (first.TryGetValue(folded, out var head))
            {
                s.Attach(i, head, "accents", null, $"'{s.Tags[i].Key}' and '{s.Tags[head].Key}' are the same tag without accents ('{folded}').");
            }
            else
            {
                first[folded] = i;
            }
        }
    }

    private static void ByWords(State s)
    {
        var words = s.Tags.Select(t => LabelNaming.ToLabel(t.Display.Length > 0 ? t.Display : t.Key).Split(' ')).ToArray();
        var order = Enumerable.Range(0, s.Tags.Count).Where(i => words[i].Length >= 2).OrderBy(i => words[i].Length).ThenBy(i => i);
        foreach (var i in order)
        {
            if (s.Find(i) != i)
            {
                continue;
            }

            var best = -1;
            for (var j = 0; j < s.Tags.Count; j++)
            {
                if (j != i && words[j].Length < words[i].Length && words[j].Sum(w => w.Length) >= MinWordsLength && ContainsRun(words[i], words[j])
                    && (best < 0 || words[j].Length > words[best].Length))
                {
                    best = j;
                }
            }

            if (best >= 0)
            {
                s.Attach(i, best, "words", null, $"'{string.Join(' ', words[i])}' contains the words of '{string.Join(' ', words[best])}'.");
            }
        }
    }

    private static void ByCoOccurrence(State s, IReadOnlyList<TagPair> pairs, TopicOptions o, long posts)
    {
        var found = new List<(double Share, long Posts, int Rare, int Other, double PValue)>();
        foreach (var pair in pairs)
        {
            if (pair.Count < o.CoOccurrenceMinPosts || !s.Index.TryGetValue(pair.A, out var a) || !s.Index.TryGetValue(pair.B, out var b))
            {
                continue;
            }

            var (rare, other) = s.Tags[a].Count <= s.Tags[b].Count ? (a, b) : (b, a);
            var n = s.Tags[rare].Count;
            var share = Math.Min(1, pair.Count / (double)Math.Max(1, n));
            // Chance: the other tag's share of all posts. A tag in most posts (a stream filtered on it) absorbs nothing.
            var chance = posts > 0 ? Math.Min(1, s.Tags[other].Count / (double)posts) : 0;
            var pValue = BinomialUpperTail(Math.Min(pair.Count, n), n, chance);
            if (share >= o.CoOccurrenceShare && pValue <= o.CoOccurrenceMaxPValue)
            {
                found.Add((share, pair.Count, rare, other, pValue));
            }
        }

        foreach (var (share, count, rare, other, pValue) in found.OrderByDescending(f => f.Share).ThenByDescending(f => f.Posts))
        {
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{share:P0} of the {s.Tags[rare].Count} posts with '{s.Tags[rare].Key}' also carry '{s.Tags[other].Key}' ({count} posts; by chance p = {pValue:G2}).");
            s.Attach(rare, other, "co_occurrence", Math.Round(share, 4), detail);
        }
    }

    /// <summary>P(X ≥ <paramref name="k"/>) for X ~ Binomial(<paramref name="n"/>, <paramref name="p"/>), summed in log space (normal approximation past 5000 trials).</summary>
    public static double BinomialUpperTail(long k, long n, double p)
    {
        if (k <= 0 || p >= 1)
        {
            return 1;
        }

        if (p <= 0)
        {
            return 0;
        }

        if (n > 5000)
        {
            var sd = Math.Sqrt(n * p * (1 - p));
            return 0.5 * Erfc((k - 0.5 - (n * p)) / (sd * Math.Sqrt(2)));
        }

        // log C(n, k) p^k (1-p)^(n-k), then each next term by the ratio (n-i)/(i+1) * p/(1-p).
        var log = LogChoose(n, k) + (k * Math.Log(p)) + ((n - k) * Math.Log(1 - p));
        var ratio = Math.Log(p / (1 - p));
        double sum = 0;
        for (var i = k; i <= n; i++)
        {
            sum += Math.Exp(log);
            log += Math.Log((n - i) / (double)(i + 1)) + ratio;
        }

        return Math.Min(1, sum);
    }

    private static double LogChoose(long n, long k)
    {
        double result = 0;
        for (long i = 1; i <= k; i++)
        {
            result += Math.Log((n - k + i) / (double)i);
        }

        return result;
    }

    /// <summary>Complementary error function (Abramowitz and Stegun 7.1.26, error below 1.5e-7).</summary>
    private static double Erfc(double x)
    {
        var t = 1 / (1 + (0.3275911 * Math.Abs(x)));
        var y = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        var erfc = y * Math.Exp(-x * x);
        return x >= 0 ? erfc : 2 - erfc;
    }

    private static void ByEmbedding(State s, IReadOnlyDictionary<string, float[]> vectors, double threshold)
    {
        var heads = Enumerable.Range(0, s.Tags.Count).Where(i => s.Find(i) == i && vectors.ContainsKey(s.Tags[i].Key)).ToList();
        var found = new List<(double Cosine, int A, int B)>();
        for (var x = 0; x < heads.Count; x++)
        {
            for (var y = x + 1; y < heads.Count; y++)
            {
                var cosine = TensorPrimitives.CosineSimilarity(vectors[s.Tags[heads[x]].Key], vectors[s.Tags[heads[y]].Key]);
                if (cosine >= threshold)
                {
                    found.Add((cosine, heads[x], heads[y]));
                }
            }
        }

        foreach (var (cosine, a, b) in found.OrderByDescending(f => f.Cosine))
        {
            // Head to head only: after an earlier merge, a or b may no longer lead its topic.
            if (s.Find(a) != a || s.Find(b) != b)
            {
                continue;
            }

            var detail = string.Create(CultureInfo.InvariantCulture,
                $"The hypotheses of '{s.Tags[a].Key}' and '{s.Tags[b].Key}' have cosine {cosine:F3} (threshold {threshold:F2}).");
            s.Attach(a, b, "embedding", Math.Round(cosine, 4), detail);
        }
    }

    /// <summary>True when <paramref name="part"/> occurs in <paramref name="whole"/> as consecutive words.</summary>
    private static bool ContainsRun(string[] whole, string[] part)
    {
        for (var start = 0; start + part.Length <= whole.Length; start++)
        {
            if (whole.AsSpan(start, part.Length).SequenceEqual(part))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The topics as a forest: each root is its topic's head (the member with the highest count), and
    /// each merge is an edge between the two tags that matched. A member's reason is the edge by which
    /// it is reached from the head, so every variant but the head has exactly one.
    /// </summary>
    private sealed class State
    {
        private readonly int[] _parent;
        private readonly List<(int A, int B, string Rule, double? Value, string Detail)> _edges = [];

        public State(IReadOnlyList<CandidateTag> tags)
        {
            Tags = tags;
            _parent = [.. Enumerable.Range(0, tags.Count)];
            Index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < tags.Count; i++)
            {
                Index.TryAdd(tags[i].Key, i);
            }
        }

        public IReadOnlyList<CandidateTag> Tags { get; }

        public Dictionary<string, int> Index { get; }

        public int Find(int i)
        {
            while (_parent[i] != i)
            {
                _parent[i] = _parent[_parent[i]];
                i = _parent[i];
            }

            return i;
        }

        /// <summary>Merges the topics of <paramref name="a"/> and <paramref name="b"/>; the head with the higher count leads.</summary>
        public void Attach(int a, int b, string rule, double? value, string detail)
        {
            var (ra, rb) = (Find(a), Find(b));
            if (ra == rb)
            {
                return;
            }

            _edges.Add((a, b, rule, value, detail));
            var keepA = Tags[ra].Count > Tags[rb].Count || (Tags[ra].Count == Tags[rb].Count && ra < rb);
            _parent[keepA ? rb : ra] = keepA ? ra : rb;
        }

        public List<TopicGroup> Groups()
        {
            var adjacency = new Dictionary<int, List<(int Other, int Edge)>>();
            for (var e = 0; e < _edges.Count; e++)
            {
                var (a, b, _, _, _) = _edges[e];
                (adjacency.TryGetValue(a, out var la) ? la : adjacency[a] = []).Add((b, e));
                (adjacency.TryGetValue(b, out var lb) ? lb : adjacency[b] = []).Add((a, e));
            }

            var groups = new List<TopicGroup>();
            foreach (var members in Enumerable.Range(0, Tags.Count).GroupBy(Find))
            {
                var reasons = new Dictionary<int, TopicMerge>();
                var queue = new Queue<int>([members.Key]);
                var seen = new HashSet<int> { members.Key };
                while (queue.TryDequeue(out var node))
                {
                    foreach (var (other, e) in adjacency.GetValueOrDefault(node) ?? [])
                    {
                        if (seen.Add(other))
                        {
                            var edge = _edges[e];
                            reasons[other] = new TopicMerge(edge.Rule, Tags[node].Key, edge.Value, edge.Detail);
                            queue.Enqueue(other);
                        }
                    }
                }

                groups.Add(new TopicGroup([.. members.OrderByDescending(i => Tags[i].Count).ThenBy(i => i)], reasons));
            }

            return groups;
        }
    }
}
