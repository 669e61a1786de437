namespace MLOps.Web.Shared.Models;

/// <summary>The two scorer kinds the registry knows.</summary>
public enum ModelKind
{
    /// <summary>Bi-encoder: cosine of document and hypothesis embeddings, calibrated to [0,1].</summary>
    Embedding,

    /// <summary>Cross-encoder fine-tuned on MNLI: P(entailment) of (document, hypothesis).</summary>
    Nli,
}

/// <summary>One model version in the registry. <see cref="Id"/> is <c>name@version</c>.</summary>
public sealed record ModelDescriptor(string Id, string Name, string Version, ModelKind Kind, string Sha256, string Directory);

/// <summary>Zero-shot options, as in the Hugging Face pipeline.</summary>
/// <param name="MultiLabel">true: each label scored independently; false: scores sum to 1 across labels. With one label a scorer scores multi-label either way (the pipeline's rule).</param>
/// <param name="HypothesisTemplate">Template with <c>{}</c>; null takes the model manifest's default.</param>
public sealed record ZeroShotOptions(bool MultiLabel = true, string? HypothesisTemplate = null)
{
    /// <summary>
    /// The mode a scorer uses for <paramref name="labelCount"/> labels: <see cref="MultiLabel"/>, except
    /// that one label is always multi-label (a softmax over one label is always 1; the pipeline scores a
    /// lone label as entailment against contradiction). The one place the rule lives.
    /// </summary>
    public bool MultiLabelFor(int labelCount) => IsMultiLabel(MultiLabel, labelCount);

    /// <summary>The rule itself: <paramref name="requested"/>, or one label.</summary>
    public static bool IsMultiLabel(bool requested, int labelCount) => requested || labelCount == 1;
}

/// <summary>A loaded model version that scores sequences against labels. Thread-safe.</summary>
public interface IZeroShotScorer
{
    ModelDescriptor Model { get; }

    /// <summary>Scores every sequence against every label: <c>result[sequence][label]</c>, each in [0,1].</summary>
    Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken);
}

/// <summary>
/// A bi-encoder scorer also exposes its embeddings, so that callers (reclassification) can embed a
/// document once, cache the vector, and score it against any number of labels without inference.
/// </summary>
public interface IEmbeddingScorer : IZeroShotScorer
{
    /// <summary>L2-normalised embeddings, one per text.</summary>
    Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);

    /// <summary>The hypothesis text for a label (template applied; hashtags split into words).</summary>
    string Hypothesis(string label, string? template);

    /// <summary>Calibrated [0,1] scores of one document embedding against hypothesis embeddings.</summary>
    float[] ScoreEmbeddings(ReadOnlySpan<float> document, IReadOnlyList<float[]> hypotheses);
}

/// <summary>
/// Gives out scorers by model id. A lease keeps its model version loaded until disposed, so a
/// promotion or rollback never pulls a session from under a request in flight.
/// </summary>
public interface IScorerProvider
{
    /// <summary>Id of the active version, or null when no model could be loaded.</summary>
    string? ActiveModelId { get; }

    /// <summary>
    /// Leases the active version (<paramref name="modelId"/> null) or a given one, loading it first
    /// when it is not in memory (one load per version, however many callers wait for it). Throws
    /// <see cref="ModelNotFoundException"/> for an unknown id, <see cref="ModelUnavailableException"/>
    /// when no model is ready and <see cref="ModelUnusableException"/> when the version cannot be loaded.
    /// </summary>
    ValueTask<ScorerLease> AcquireAsync(string? modelId, CancellationToken cancellationToken);
}

/// <summary>A scorer held for the duration of one unit of work.</summary>
public sealed class ScorerLease(IZeroShotScorer scorer, Action? release) : IDisposable
{
    private Action? _release = release;

    public IZeroShotScorer Scorer { get; } = scorer;

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
