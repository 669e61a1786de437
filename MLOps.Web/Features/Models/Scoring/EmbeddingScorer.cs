using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models.Scoring;

/// <summary>How an embedding model turns text into scores.</summary>
/// <param name="MaxTokens">Token window, special tokens included (256 for all-MiniLM-L6-v2).</param>
/// <param name="DefaultTemplate">Hypothesis template when a request gives none.</param>
/// <param name="QueryPrefix">Instruction put before each hypothesis (arctic-embed's query prefix), or null.</param>
/// <param name="Calibration">Logistic map of cosine to [0,1].</param>
public sealed record EmbeddingScorerSettings(int MaxTokens, string DefaultTemplate, string? QueryPrefix, Calibration Calibration);

/// <summary>
/// Bi-encoder zero-shot: the document and each hypothesis are embedded (pooled, L2-normalised), their
/// cosine is mapped to [0,1] by the logistic calibration. Multi-label: each label's calibrated score.
/// Single-label: softmax of the calibrated logits (A * cosine + B) across labels, so scores sum to 1;
/// with one label it scores multi-label whatever is asked, as the pipeline does (a softmax over one
/// label is always 1).
/// Each document is embedded once per call, in one batched inference with the hypotheses not yet
/// known; hypothesis embeddings are cached per model (labels repeat across requests), so a warm
/// request embeds only its documents.
/// </summary>
public sealed class EmbeddingScorer(
    ModelDescriptor model,
    ModelTokenizer tokenizer,
    EmbeddingScorerSettings settings,
    Func<IReadOnlyList<EncodedText>, CancellationToken, Task<float[][]>> infer) : IEmbeddingScorer
{
    private const int MaxCachedHypotheses = 4096;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> _hypotheses = new(StringComparer.Ordinal);

    public ModelDescriptor Model { get; } = model;

    public EmbeddingScorerSettings Settings { get; } = settings;

    public Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var encoded = new EncodedText[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            encoded[i] = tokenizer.Encode(texts[i], Settings.MaxTokens);
        }

        return infer(encoded, cancellationToken);
    }

    public string Hypothesis(string label, string? template) =>
        Settings.QueryPrefix + ZeroShotMath.Hypothesis(template ?? Settings.DefaultTemplate, label);

    public float[] ScoreEmbeddings(ReadOnlySpan<float> document, IReadOnlyList<float[]> hypotheses)
    {
        var scores = new float[hypotheses.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = ZeroShotMath.Sigmoid(Logit(document, hypotheses[i]));
        }

        return scores;
    }

    public async Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken)
    {
        var hypotheses = labels.Select(l => Hypothesis(l, options.HypothesisTemplate)).ToList();
        var missing = hypotheses.Where(h => !_hypotheses.ContainsKey(h)).Distinct(StringComparer.Ordinal).ToList();
        var vectors = await EmbedAsync([.. sequences, .. missing], cancellationToken);
        var byText = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = 0; i < missing.Count; i++)
        {
            byText[missing[i]] = vectors[sequences.Count + i];
        }

        if (_hypotheses.Count + missing.Count > MaxCachedHypotheses)
        {
            _hypotheses.Clear();
        }

        foreach (var (text, vector) in byText)
        {
            _hypotheses.TryAdd(text, vector);
        }

        var hypothesisVectors = hypotheses.ConvertAll(h => byText.TryGetValue(h, out var v) ? v : _hypotheses[h]);
        var multiLabel = options.MultiLabelFor(labels.Count);
        var result = new float[sequences.Count][];
        for (var s = 0; s < sequences.Count; s++)
        {
            if (multiLabel)
            {
                result[s] = ScoreEmbeddings(vectors[s], hypothesisVectors);
            }
            else
            {
                var logits = new float[labels.Count];
                for (var l = 0; l < logits.Length; l++)
                {
                    logits[l] = (float)Logit(vectors[s], hypothesisVectors[l]);
                }

                result[s] = ZeroShotMath.Softmax(logits);
            }
        }

        return result;
    }

    private double Logit(ReadOnlySpan<float> document, ReadOnlySpan<float> hypothesis)
    {
        var cosine = System.Numerics.Tensors.TensorPrimitives.Dot(document, hypothesis);
        return (Settings.Calibration.A * cosine) + Settings.Calibration.B;
    }
}
