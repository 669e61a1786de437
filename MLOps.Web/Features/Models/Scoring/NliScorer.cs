using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models.Scoring;

/// <summary>How an NLI cross-encoder is read.</summary>
/// <param name="MaxTokens">Token window of a (premise, hypothesis) pair, special tokens included.</param>
/// <param name="DefaultTemplate">Hypothesis template when a request gives none.</param>
/// <param name="EntailmentId">Logit index of entailment (from label2id).</param>
/// <param name="ContradictionId">Logit index of contradiction.</param>
public sealed record NliScorerSettings(int MaxTokens, string DefaultTemplate, int EntailmentId, int ContradictionId);

/// <summary>
/// Cross-encoder zero-shot with the Hugging Face pipeline's math. Each (sequence, hypothesis) pair is
/// one model input <c>[CLS] premise [SEP] hypothesis [SEP]</c>, only the premise truncated.
/// Multi-label: per label, softmax over [contradiction, entailment] logits, score = P(entailment).
/// Single-label: softmax of the entailment logits across the labels. With one label the pipeline scores
/// multi-label whatever is asked (a softmax over one label is always 1).
/// </summary>
public sealed class NliScorer(
    ModelDescriptor model,
    ModelTokenizer tokenizer,
    NliScorerSettings settings,
    Func<IReadOnlyList<EncodedText>, CancellationToken, Task<float[][]>> infer) : IZeroShotScorer
{
    public ModelDescriptor Model { get; } = model;

    public NliScorerSettings Settings { get; } = settings;

    public async Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken)
    {
        var template = options.HypothesisTemplate ?? Settings.DefaultTemplate;
        // Each sequence and each hypothesis is tokenised once, then paired.
        var hypotheses = labels.Select(l => tokenizer.EncodeWithoutSpecialTokens(ZeroShotMath.Hypothesis(template, l))).ToList();
        var pairs = new EncodedText[sequences.Count * labels.Count];
        for (var s = 0; s < sequences.Count; s++)
        {
            var premise = tokenizer.EncodeWithoutSpecialTokens(sequences[s], Settings.MaxTokens);
            for (var l = 0; l < labels.Count; l++)
            {
                pairs[(s * labels.Count) + l] = tokenizer.EncodePair(premise, hypotheses[l], Settings.MaxTokens);
            }
        }

        var logits = await infer(pairs, cancellationToken);
        var multiLabel = options.MultiLabelFor(labels.Count);
        var result = new float[sequences.Count][];
        for (var s = 0; s < sequences.Count; s++)
        {
            var row = new float[labels.Count];
            if (multiLabel)
            {
                for (var l = 0; l < labels.Count; l++)
                {
                    var x = logits[(s * labels.Count) + l];
                    row[l] = ZeroShotMath.EntailmentVersusContradiction(x[Settings.EntailmentId], x[Settings.ContradictionId]);
                }
            }
            else
            {
                var entail = new float[labels.Count];
                for (var l = 0; l < labels.Count; l++)
                {
                    entail[l] = logits[(s * labels.Count) + l][Settings.EntailmentId];
                }

                row = ZeroShotMath.Softmax(entail);
            }

            result[s] = row;
        }

        return result;
    }
}
