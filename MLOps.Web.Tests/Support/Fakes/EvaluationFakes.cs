using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>
/// In-test catalog index for evaluation tests: genre filter (case-insensitive), text filter (every
/// word must occur), relevance order = insertion order, field sort descending with missing fields last.
/// Records every search and refuses writes after <see cref="Freeze"/>, so tests can prove that an
/// in-memory evaluation never touches the live index.
/// </summary>
public sealed class EvaluationFakeCatalogIndex : ICatalogIndex
{
    private readonly List<CatalogDocument> _docs = [];
    private bool _frozen;

    public ConcurrentQueue<SearchQuery> Searches { get; } = new();

    public int Writes { get; private set; }

    public EvaluationFakeCatalogIndex Add(string id, string title, string overview, string[] genres, IDictionary<string, float>? fields = null, string? model = null)
    {
        _docs.Add(new CatalogDocument
        {
            Id = id,
            Title = title,
            Overview = overview,
            Genres = genres,
            Classifications = new Dictionary<string, float>(fields ?? new Dictionary<string, float>(), StringComparer.Ordinal),
            ClassificationModel = model,
        });
        return this;
    }

    /// <summary>From now on any write throws.</summary>
    public void Freeze() => _frozen = true;

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task IndexAsync(IReadOnlyList<CatalogDocument> documents, CancellationToken cancellationToken)
    {
        Write();
        _docs.AddRange(documents);
        return Task.CompletedTask;
    }

    public Task<CatalogDocument?> GetAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(_docs.FirstOrDefault(d => d.Id == id));

    public Task<IReadOnlyList<CatalogDocument>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var set = ids.ToHashSet(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyList<CatalogDocument>>(_docs.Where(d => set.Contains(d.Id)).ToList());
    }

    public Task UpdateClassificationsAsync(IReadOnlyList<ClassificationUpdate> updates, CancellationToken cancellationToken)
    {
        Write();
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ScanIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var d in _docs.ToList())
        {
            await Task.Yield();
            yield return d.Id;
        }
    }

    public Task<long> CountAsync(CancellationToken cancellationToken) => Task.FromResult((long)_docs.Count);

    public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        Searches.Enqueue(query);
        IEnumerable<CatalogDocument> hits = _docs;
        if (query.Genre is { } genre)
        {
            hits = hits.Where(d => d.Genres.Any(g => string.Equals(g, genre, StringComparison.OrdinalIgnoreCase)));
        }

        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            var words = query.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            hits = hits.Where(d => words.All(w => d.ClassificationText.Contains(w, StringComparison.OrdinalIgnoreCase)));
        }

        var matched = hits.ToList();
        if (query.Sort == SearchSortKind.Field)
        {
            var field = query.SortField!;
            matched = matched
                .OrderByDescending(d => d.Classifications.TryGetValue(field, out var v) ? v : float.NegativeInfinity)
                .ThenBy(d => d.Id, StringComparer.Ordinal)
                .ToList();
        }

        var page = matched.Skip(query.From).Take(query.Size)
            .Select(d => new SearchHit(d, query.Sort == SearchSortKind.Field && d.Classifications.TryGetValue(query.SortField!, out var s) ? s : 1f, null))
            .ToList();
        return Task.FromResult(new SearchResult(matched.Count, page));
    }

    public Task<LexicalResult> LexicalSearchAsync(IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken) =>
        Task.FromResult(FakeLexicalSearch.Search(_docs, texts, top, fields));

    private void Write()
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The live index must not be written by an evaluation.");
        }

        Writes++;
    }
}

/// <summary>
/// An embedding scorer whose "embedding" of a text is 2-D: the cosine to the hypothesis is
/// <c>cosine(text, label)</c> given by the test; scores are <c>sigmoid(A * cosine + B)</c>.
/// </summary>
public sealed class EvaluationFakeScorer(ModelDescriptor model, Func<string, string, double> cosine, double a = 1, double b = 0) : IEmbeddingScorer
{
    private static readonly float[] HypothesisAxis = [1f, 0f];

    public ModelDescriptor Model { get; } = model;

    public Func<string, string, double> Cosine { get; } = cosine;

    public double A { get; } = a;

    public double B { get; } = b;

    /// <summary>The label the next <see cref="EmbedAsync"/> calls embed documents against (set by <see cref="Hypothesis"/>).</summary>
    private string _label = "";

    public Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken) =>
        Task.FromResult(sequences.Select(s => labels.Select(l => (float)Sigmoid(A * Cosine(s, l) + B)).ToArray()).ToArray());

    public Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        Task.FromResult(texts.Select(t =>
        {
            if (t.StartsWith("hypothesis:", StringComparison.Ordinal))
            {
                return HypothesisAxis;
            }

            var c = Math.Clamp(Cosine(t, _label), -1, 1);
            return new[] { (float)c, (float)Math.Sqrt(1 - (c * c)) };
        }).ToArray());

    public string Hypothesis(string label, string? template)
    {
        _label = label;
        return "hypothesis:" + label;
    }

    public float[] ScoreEmbeddings(ReadOnlySpan<float> document, IReadOnlyList<float[]> hypotheses)
    {
        var result = new float[hypotheses.Count];
        for (var i = 0; i < hypotheses.Count; i++)
        {
            var dot = 0.0;
            for (var j = 0; j < document.Length; j++)
            {
                dot += document[j] * hypotheses[i][j];
            }

            result[i] = (float)Sigmoid(A * dot + B);
        }

        return result;
    }

    public EvaluationFakeScorer WithCalibration(ModelDescriptor model, double a, double b) => new(model, Cosine, a, b);

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}

/// <summary>Scorer provider over in-test scorers; counts leases so tests can check they are released.</summary>
public sealed class EvaluationFakeScorerProvider : IScorerProvider
{
    private readonly ConcurrentDictionary<string, IZeroShotScorer> _scorers = new(StringComparer.Ordinal);
    private int _leases;

    public string? ActiveModelId { get; set; }

    public int OpenLeases => Volatile.Read(ref _leases);

    public ConcurrentQueue<string> Acquired { get; } = new();

    public void Add(IZeroShotScorer scorer) => _scorers[scorer.Model.Id] = scorer;

    public IZeroShotScorer Get(string id) => _scorers[id];

    public ValueTask<ScorerLease> AcquireAsync(string? modelId, CancellationToken cancellationToken)
    {
        var id = modelId ?? ActiveModelId ?? throw new ModelUnavailableException("No model is active.");
        if (!_scorers.TryGetValue(id, out var scorer))
        {
            throw new ModelNotFoundException(id);
        }

        Acquired.Enqueue(id);
        Interlocked.Increment(ref _leases);
        return ValueTask.FromResult(new ScorerLease(scorer, () => Interlocked.Decrement(ref _leases)));
    }
}

/// <summary>Registry over the fake provider: records promotions and calibrated versions.</summary>
public sealed class EvaluationFakeModelRegistry(EvaluationFakeScorerProvider provider) : IModelRegistry
{
    private readonly List<ModelDescriptor> _models = [];

    public ConcurrentQueue<(string Id, string Reason)> Promotions { get; } = new();

    public ConcurrentQueue<(string BaseId, Calibration Calibration, string NewId)> Calibrations { get; } = new();

    public static ModelDescriptor Descriptor(string id, ModelKind kind = ModelKind.Embedding)
    {
        var at = id.IndexOf('@', StringComparison.Ordinal);
        return new ModelDescriptor(id, id[..at], id[(at + 1)..], kind, new string('0', 64), "/models/" + id.Replace('@', '/'));
    }

    /// <summary>Adds a model whose cosine to a label is given by <paramref name="cosine"/>.</summary>
    public EvaluationFakeModelRegistry Add(string id, Func<string, string, double> cosine, bool active = false, double a = 1, double b = 0)
    {
        var d = Descriptor(id);
        _models.Add(d);
        provider.Add(new EvaluationFakeScorer(d, cosine, a, b));
        if (active)
        {
            provider.ActiveModelId = id;
        }

        return this;
    }

    /// <summary>Adds a model with any scorer (e.g. a cross-encoder stand-in).</summary>
    public EvaluationFakeModelRegistry AddScorer(IZeroShotScorer scorer)
    {
        _models.Add(scorer.Model);
        provider.Add(scorer);
        return this;
    }

    public IReadOnlyList<ModelDescriptor> List() => _models.ToList();

    public Task<ModelDescriptor> RegisterAsync(string directory, CancellationToken cancellationToken) =>
        throw new InvalidModelRequestException("path", "The evaluation tests register models with Add().");

    public Task PromoteAsync(string id, string reason, CancellationToken cancellationToken)
    {
        Promotions.Enqueue((id, reason));
        provider.ActiveModelId = id;
        return Task.CompletedTask;
    }

    public Task<string> RollbackAsync(CancellationToken cancellationToken) =>
        Task.FromResult(provider.ActiveModelId ?? "");

    public Task<ModelDescriptor> CreateCalibratedVersionAsync(string baseId, Calibration calibration, CancellationToken cancellationToken)
    {
        var baseModel = _models.Single(m => m.Id == baseId);
        var created = Descriptor($"{baseModel.Name}@{baseModel.Version}-cal{Calibrations.Count + 1}");
        _models.Add(created);
        provider.Add(((EvaluationFakeScorer)provider.Get(baseId)).WithCalibration(created, calibration.A, calibration.B));
        Calibrations.Enqueue((baseId, calibration, created.Id));
        return Task.FromResult(created);
    }
}

/// <summary>Records every reclassification request.</summary>
public sealed class EvaluationFakeReclassificationTrigger : IReclassificationTrigger
{
    public ConcurrentQueue<(IReadOnlyList<string>? Labels, string Reason)> Calls { get; } = new();

    /// <summary>When set, every call records itself and then throws this.</summary>
    public Exception? Failure { get; set; }

    public Task<string> EnqueueAsync(IReadOnlyList<string>? labels, string reason, CancellationToken cancellationToken)
    {
        Calls.Enqueue((labels, reason));
        if (Failure is not null)
        {
            return Task.FromException<string>(Failure);
        }

        return Task.FromResult($"reclassify-{Calls.Count}");
    }
}
