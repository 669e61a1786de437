using MLOps.Web.Features.Models.Scoring;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// One model version in memory: its ONNX session, tokenizer, micro-batcher and scorer. Reference
/// counted: the cache slot that holds it owns one reference, each lease another; the session is
/// disposed when the last one is released, so a swap never pulls it from under a request.
/// </summary>
public sealed class LoadedModel
{
    private readonly OnnxModelSession _session;
    private readonly InferenceBatcher _batcher;
    private int _references = 1;

    private LoadedModel(ModelDescriptor descriptor, ModelManifest manifest, OnnxModelSession session, InferenceBatcher batcher, IZeroShotScorer scorer)
    {
        Descriptor = descriptor;
        Manifest = manifest;
        _session = session;
        _batcher = batcher;
        Scorer = scorer;
    }

    public ModelDescriptor Descriptor { get; }

    public ModelManifest Manifest { get; }

    public IZeroShotScorer Scorer { get; }

    public InferenceTimings Timings => _session.Timings;

    public bool IsDisposed => Volatile.Read(ref _references) <= 0;

    /// <summary>Takes a reference unless the model is already released for good.</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _ = DisposeCoreAsync();
        }
    }

    /// <summary>Releases the owner's reference and waits until the session is gone when that was the last one.</summary>
    public Task ReleaseAndWaitAsync()
    {
        return Interlocked.Decrement(ref _references) == 0 ? DisposeCoreAsync() : Task.CompletedTask;
    }

    private async Task DisposeCoreAsync()
    {
        await _batcher.DisposeAsync();
        _session.Dispose();
    }

    /// <summary>
    /// Loads a model folder: tokenizer (missing files named), ONNX session (inputs checked), output
    /// chosen and checked, scorer built. Throws <see cref="ModelPackageException"/> with the reason.
    /// </summary>
    public static LoadedModel Load(ModelDescriptor descriptor, ModelManifest manifest, OnnxSessionSettings onnx, BatchingSettings batching)
    {
        var directory = descriptor.Directory;
        var tokenizer = ModelTokenizer.Load(directory, manifest.Tokenizer, manifest.Lowercase);
        if (manifest.MaxTokens is < 8 or > 8192)
        {
            throw new ModelPackageException($"max_tokens {manifest.MaxTokens} is out of range (8..8192).");
        }

        var session = new OnnxModelSession(Path.Combine(directory, "model.onnx"), onnx);
        try
        {
            var (batcher, scorer) = manifest.Kind == ModelKind.Embedding
                ? BuildEmbedding(descriptor, manifest, tokenizer, session, batching)
                : BuildNli(descriptor, manifest, tokenizer, session, batching);
            return new LoadedModel(descriptor, manifest, session, batcher, scorer);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static (InferenceBatcher, IZeroShotScorer) BuildEmbedding(
        ModelDescriptor descriptor, ModelManifest manifest, ModelTokenizer tokenizer, OnnxModelSession session, BatchingSettings batching)
    {
        var output = PickOutput(manifest, session, "last_hidden_state", "token_embeddings", "sentence_embedding", "embeddings");
        var pooling = manifest.Pooling;
        var batcher = new InferenceBatcher(batch => session.RunEmbeddings(batch, output, pooling), batching);
        var scorer = new EmbeddingScorer(descriptor, tokenizer, new EmbeddingScorerSettings(
            manifest.MaxTokens,
            manifest.HypothesisTemplate,
            manifest.QueryPrefix,
            manifest.Calibration ?? new Calibration(10, -3, FittedFrom: "default")),
            batcher.RunAsync);
        return (batcher, scorer);
    }

    private static (InferenceBatcher, IZeroShotScorer) BuildNli(
        ModelDescriptor descriptor, ModelManifest manifest, ModelTokenizer tokenizer, OnnxModelSession session, BatchingSettings batching)
    {
        var output = PickOutput(manifest, session, "logits");
        var (entail, contra) = manifest.NliLabelIds();
        var classes = manifest.Label2Id!.Values.Max() + 1;
        if (entail >= classes || contra >= classes || entail == contra)
        {
            throw new ModelPackageException("label2id: entailment and contradiction must be distinct logit indexes.");
        }

        var batcher = new InferenceBatcher(
            batch =>
            {
                var rows = session.RunRows(batch, output);
                if (rows.Length > 0 && rows[0].Length != classes)
                {
                    throw new ModelPackageException(
                        $"Output '{output}' has {rows[0].Length} classes but label2id names {classes}.");
                }

                return rows;
            },
            batching);
        var scorer = new NliScorer(descriptor, tokenizer, new NliScorerSettings(manifest.MaxTokens, manifest.HypothesisTemplate, entail, contra), batcher.RunAsync);
        return (batcher, scorer);
    }

    /// <summary>The manifest's output when it names one (it must exist), else the first of <paramref name="preferred"/> the model has.</summary>
    private static string PickOutput(ModelManifest manifest, OnnxModelSession session, params string[] preferred)
    {
        if (manifest.Output is { } configured)
        {
            return session.Outputs.ContainsKey(configured) ? configured
                : throw new ModelPackageException($"model.onnx has no output '{configured}' (outputs: {string.Join(", ", session.Outputs.Keys)}).");
        }

        return preferred.FirstOrDefault(session.Outputs.ContainsKey)
            ?? throw new ModelPackageException(
                $"model.onnx has none of the outputs {string.Join(", ", preferred)} (outputs: {string.Join(", ", session.Outputs.Keys)}).");
    }

    /// <summary>A smoke classification: one sequence, two labels; the scores must be finite and in [0,1].</summary>
    public async Task SmokeTestAsync(CancellationToken cancellationToken)
    {
        float[][] scores;
        try
        {
            scores = await Scorer.ScoreAsync(
                ["A small clownfish is lost in the ocean and his father crosses the sea to find him."],
                ["ocean", "basketball"],
                new ZeroShotOptions(MultiLabel: true),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ModelPackageException)
        {
            throw new ModelPackageException($"Smoke classification failed: {e.Message}", e);
        }

        if (scores.Length != 1 || scores[0].Length != 2 || scores[0].Any(s => !float.IsFinite(s) || s < 0 || s > 1))
        {
            throw new ModelPackageException("Smoke classification returned scores outside [0,1].");
        }
    }
}
