using System.Collections.Concurrent;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>
/// A deterministic bi-encoder stand-in (until the real ONNX scorer is merged in): a text's embedding is
/// its hashed bag of words, L2-normalised; the score is (cosine + 1) / 2. It counts every text it embeds,
/// so tests can tell document inference from hypothesis inference.
/// </summary>
public sealed class FakeEmbeddingScorer(string id = "fake-embed@1", string? sha256 = null) : IEmbeddingScorer
{
    public const int Dimensions = 64;
    private const string DefaultTemplate = "This example is {}.";
    private readonly ConcurrentQueue<string> _embedded = new();

    public ModelDescriptor Model { get; } = new(id, id.Split('@')[0], id.Contains('@', StringComparison.Ordinal) ? id.Split('@')[1] : "1",
        ModelKind.Embedding, sha256 ?? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id))), "/nowhere");

    /// <summary>Every text passed to <see cref="EmbedAsync"/>, in order.</summary>
    public IReadOnlyCollection<string> Embedded => _embedded;

    /// <summary>Waited at each <see cref="EmbedAsync"/> call, to make chunks take time.</summary>
    public TimeSpan DelayPerCall { get; set; }

    public int CountEmbedded(Func<string, bool> predicate) => _embedded.Count(predicate);

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (DelayPerCall > TimeSpan.Zero)
        {
            await Task.Delay(DelayPerCall, cancellationToken);
        }

        foreach (var t in texts)
        {
            _embedded.Enqueue(t);
        }

        return [.. texts.Select(Embed)];
    }

    public string Hypothesis(string label, string? template) =>
        (template ?? DefaultTemplate).Replace("{}", LabelNaming.ToLabel(label), StringComparison.Ordinal);

    public float[] ScoreEmbeddings(ReadOnlySpan<float> document, IReadOnlyList<float[]> hypotheses)
    {
        var result = new float[hypotheses.Count];
        for (var h = 0; h < hypotheses.Count; h++)
        {
            var dot = 0f;
            for (var i = 0; i < document.Length; i++)
            {
                dot += document[i] * hypotheses[h][i];
            }

            result[h] = Math.Clamp((dot + 1f) / 2f, 0f, 1f);
        }

        return result;
    }

    public async Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken)
    {
        var docs = await EmbedAsync(sequences, cancellationToken);
        var hyps = await EmbedAsync([.. labels.Select(l => Hypothesis(l, options.HypothesisTemplate))], cancellationToken);
        return [.. docs.Select(d => ScoreEmbeddings(d, hyps))];
    }

    /// <summary>The embedding, computed independently of any call counting.</summary>
    public static float[] Embed(string text)
    {
        var v = new float[Dimensions];
        foreach (var word in Words(text))
        {
            v[Bucket(word)] += 1f;
        }

        var norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm == 0)
        {
            v[0] = 1f;
            return v;
        }

        for (var i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }

        return v;
    }

    private static IEnumerable<string> Words(string text) =>
        text.ToLowerInvariant().SplitWhere(c => !char.IsLetterOrDigit(c)).Where(w => w.Length > 2);

    private static int Bucket(string word)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in word)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Dimensions);
    }
}

internal static class SplitExtensions
{
    public static string[] SplitWhere(this string s, Func<char, bool> isSeparator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= s.Length; i++)
        {
            if (i == s.Length || isSeparator(s[i]))
            {
                if (i > start)
                {
                    parts.Add(s[start..i]);
                }

                start = i + 1;
            }
        }

        return [.. parts];
    }
}

/// <summary>An in-test <see cref="IScorerProvider"/> over fake scorers; records every lease by model id.</summary>
public sealed class FakeScorerProvider : IScorerProvider
{
    private readonly ConcurrentDictionary<string, IZeroShotScorer> _scorers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _acquired = new();
    private volatile string? _active;

    public FakeScorerProvider(params IZeroShotScorer[] scorers)
    {
        foreach (var s in scorers)
        {
            _scorers[s.Model.Id] = s;
        }

        _active = scorers.FirstOrDefault()?.Model.Id;
    }

    public string? ActiveModelId
    {
        get => _active;
        set => _active = value;
    }

    /// <summary>Model ids leased, in order (null requests are recorded as the id they resolved to).</summary>
    public IReadOnlyCollection<string> Acquired => _acquired;

    /// <summary>Called after each lease with the leased id (e.g. to promote another model mid-run).</summary>
    public Action<string>? OnAcquired { get; set; }

    public ValueTask<ScorerLease> AcquireAsync(string? modelId, CancellationToken cancellationToken)
    {
        var id = modelId ?? _active ?? throw new ModelUnavailableException("No model is ready.");
        if (!_scorers.TryGetValue(id, out var scorer))
        {
            throw new ModelNotFoundException(id);
        }

        _acquired.Enqueue(id);
        OnAcquired?.Invoke(id);
        return ValueTask.FromResult(new ScorerLease(scorer, null));
    }

    public void Add(IZeroShotScorer scorer) => _scorers[scorer.Model.Id] = scorer;
}
