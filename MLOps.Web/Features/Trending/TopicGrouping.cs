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
/// tag's posts carry the other one, and at least <c>CoOccurrenceMinPosts</c> posts; the smaller topic joins.</item>
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
        IReadOnlyList<CandidateTag> tags, IReadOnlyList<TagPair> pairs, TopicVectors? vectors, TopicOptions options)
    {
        var state = new State(tags);
        ByAccents(state);
        if (options.Words)
        {
            ByWords(state);
        }

        ByCoOccurrence(state, pairs, options);
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

    private static void ByCoOccurrence(State s, IReadOnlyList<TagPair> pairs, TopicOptions o)
    {
        var found = new List<(double Share, long Posts, int A, int B)>();
        foreach (var pair in pairs)
        {
            if (pair.Count >= o.CoOccurrenceMinPosts && s.Index.TryGetValue(pair.A, out var a) && s.Index.TryGetValue(pair.B, out var b))
            {
                var share = pair.Count / (double)Math.Max(1, Math.Min(s.Tags[a].Count, s.Tags[b].Count));
                if (share >= o.CoOccurrenceShare)
                {
                    found.Add((Math.Min(1, share), pair.Count, a, b));
                }
            }
        }

        foreach (var (share, posts, a, b) in found.OrderByDescending(f => f.Share).ThenByDescending(f => f.Posts))
        {
            var (rare, other) = s.Tags[a].Count <= s.Tags[b].Count ? (a, b) : (b, a);
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{share:P0} of the {s.Tags[rare].Count} posts with '{s.Tags[rare].Key}' also carry '{s.Tags[other].Key}' ({posts} posts).");
            s.Attach(rare, other, "co_occurrence", Math.Round(share, 4), detail);
        }
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
