using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Features.Relevance;

/// <summary>
/// The plan step of the tag-scoring pipeline (<see cref="ITagPlanner"/>), once per tag of a run:
/// <list type="number">
/// <item>the lexical query (label words without filler words, morphological variants, stream variants) against the catalog index: the top N hits, their median and best BM25; the tag's own words against titles alone;</item>
/// <item>the hypothesis: the embedding of each template with the label, averaged;</item>
/// <item>the statistics sample (FNV-1a of the id) and the hits, their embeddings from the cache (computed and cached when missing);</item>
/// <item>a first pass over the sample and the hits with the hand-set fusion (<see cref="FusionModel.FirstPass"/>, whatever the plan scores with), feedback (Rocchio or self-training) from its top k;</item>
/// <item>the final mean and standard deviation of the cosine over the sample.</item>
/// </list>
/// A run plans every tag here once and stores the plans; each chunk then needs only the plan and its documents' embeddings.
/// </summary>
public sealed partial class TagPlanner(ICatalogIndex index, IEmbeddingCache cache, IOptions<RelevanceOptions> options, ILogger<TagPlanner> logger) : ITagPlanner
{
    public async Task<TagPlanBatch> PlanAsync(TagPlanRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var o = request.Options ?? options.Value;
        var fusion = request.Fusion ?? FusionModel.FromOptions(o);
        var firstPass = FusionModel.FirstPass(o);
        var vectors = new DocumentVectors(index, cache, request.Scorer);
        var sample = PlanMath.Sample(request.DocumentIds, o.SampleEvery, o.MinimumSample);
        var evidence = !fusion.ModelCalibration || o.Feedback != FeedbackMethod.Off;
        if (evidence)
        {
            await vectors.LoadAsync(sample, cancellationToken);
        }

        var plans = new List<TagPlan>(request.Tags.Count);
        foreach (var tag in request.Tags)
        {
            var tagStarted = Stopwatch.GetTimestamp();
            var context = new PlanContext(request, o, fusion, firstPass, vectors, sample);
            var plan = evidence
                ? await PlanWithEvidenceAsync(context, tag, cancellationToken)
                : await HypothesisOnlyAsync(context, tag, cancellationToken);
            plans.Add(plan);
            var milliseconds = Stopwatch.GetElapsedTime(tagStarted).TotalMilliseconds;
            LogPlanned(logger, tag.Tag, plan.Lexical.Count, plan.LexicalMatches, plan.FeedbackDocuments.Count, plan.Mean, plan.Std, milliseconds);
        }

        return new TagPlanBatch(plans, vectors.Embedded, vectors.CacheHits, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>One tag's planning inputs: <c>Fusion</c> scores the plan's documents, <c>FirstPass</c> (<see cref="FusionModel.FirstPass"/>) ranks the feedback's first pass.</summary>
    private sealed record PlanContext(TagPlanRequest Request, RelevanceOptions Options, FusionModel Fusion, FusionModel FirstPass, DocumentVectors Vectors, IReadOnlyList<string> Sample);

    /// <summary>Fusion off and no feedback: the hypothesis is all a chunk needs (today's cosine score).</summary>
    private static async Task<TagPlan> HypothesisOnlyAsync(PlanContext c, TagToPlan tag, CancellationToken ct)
    {
        var (texts, h0) = await HypothesisAsync(c, tag, ct);
        return new TagPlan
        {
            Tag = tag.Tag, Label = tag.Label, Field = tag.Field, Fusion = c.Fusion, Hypothesis = h0, Hypotheses = texts,
            CatalogSize = c.Request.DocumentIds.Count,
        };
    }

    private async Task<TagPlan> PlanWithEvidenceAsync(PlanContext c, TagToPlan tag, CancellationToken ct)
    {
        var o = c.Options;
        var (texts, h0) = await HypothesisAsync(c, tag, ct);
        var (core, allCore, checks) = await CheckedCoreAsync(tag, o, ct);

        // Stream variants are told every core stem, the left-out ones too, so the stream cannot bring a left-out variant back.
        var stream = o.StreamVariants ? LabelExpansion.StreamTexts(tag.StreamVariants, allCore, (float)o.StreamVariantWeight) : [];
        var coreHits = core.Count == 0 ? new LexicalResult([], 0) : await index.LexicalSearchAsync(core, o.LexicalTopN, LexicalFields.All, ct);
        var allHits = stream.Count == 0 ? coreHits : await index.LexicalSearchAsync([.. core, .. stream], o.LexicalTopN, LexicalFields.All, ct);
        var titleHits = core.Count == 0 ? new LexicalResult([], 0) : await index.LexicalSearchAsync(core, o.LexicalTopN, LexicalFields.Title, ct);
        var lexical = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var hit in allHits.Hits)
        {
            lexical.TryAdd(hit.Id, hit.Score);
        }

        IReadOnlyList<string>? coreMatches = stream.Count == 0 ? null : [.. coreHits.Hits.Select(h => h.Id)];
        await c.Vectors.LoadAsync([.. lexical.Keys, .. coreMatches ?? []], ct);
        var scores = lexical.Values;
        var draft = new TagPlan
        {
            Tag = tag.Tag, Label = tag.Label, Field = tag.Field, Fusion = c.FirstPass, Hypothesis = h0, Hypotheses = texts,
            Lexical = lexical, CoreMatches = coreMatches, TitleMatches = [.. titleHits.Hits.Select(h => h.Id)], LexicalMatches = coreHits.Total,
            Bm25Median = PlanMath.Median(scores), Bm25Max = scores.Count == 0 ? 0f : scores.Max(),
            CatalogSize = c.Request.DocumentIds.Count, LexicalQuery = [.. core, .. stream], VariantChecks = checks, Feedback = o.Feedback,
        };
        draft = WithStatistics(c, draft, h0);
        if (o.Feedback == FeedbackMethod.Off)
        {
            return draft with { Fusion = c.Fusion };
        }

        var (h, top) = Feedback(c, draft, coreMatches);
        return WithStatistics(c, draft with { FeedbackDocuments = top, Fusion = c.Fusion }, h);
    }

    /// <summary>
    /// The tag's core texts (its words and morphological variants, less the derived ones the catalog says
    /// match too much), the core texts before the check, and every check made (<see cref="LabelExpansion.WithinFrequency"/>):
    /// each derived variant is counted, and so is the word it was derived from, alone; inflections are not counted.
    /// </summary>
    private async Task<(IReadOnlyList<WeightedText> Core, IReadOnlyList<WeightedText> AllCore, IReadOnlyList<VariantCheck> Checks)> CheckedCoreAsync(
        TagToPlan tag, RelevanceOptions o, CancellationToken ct)
    {
        var words = LabelExpansion.Words(tag.Label, o.SplitWords);
        var core = LabelExpansion.CoreTexts(words, o.MorphologicalVariants);
        var derived = LabelExpansion.DerivedFrom(words, core);
        if (o.VariantFrequencyRatio <= 0 || derived.Count == 0)
        {
            return (core, core, []);
        }

        // One count per distinct text, in parallel (on Elasticsearch each is a round trip).
        var texts = derived.Keys.Concat(derived.Values).Distinct(StringComparer.Ordinal).ToList();
        var totals = await Task.WhenAll(texts.Select(t => index.LexicalSearchAsync([new WeightedText(t, 1f)], 1, LexicalFields.All, ct)));
        var documents = texts.Zip(totals).ToDictionary(x => x.First, x => x.Second.Total, StringComparer.Ordinal);
        var counts = derived.ToDictionary(x => x.Key, x => (documents[x.Key], documents[x.Value]), StringComparer.Ordinal);
        var (kept, checks) = LabelExpansion.WithinFrequency(core, counts, o.VariantFrequencyRatio);
        foreach (var variant in checks.Where(v => !v.Kept))
        {
            LogVariantRejected(logger, tag.Tag, variant.Text, variant.Documents, variant.WordDocuments, o.VariantFrequencyRatio);
        }

        return (kept, core, checks);
    }

    /// <summary>Each template filled with the label (the model's query prefix included), embedded in one batch, averaged.</summary>
    private static async Task<(IReadOnlyList<string> Texts, float[] Hypothesis)> HypothesisAsync(PlanContext c, TagToPlan tag, CancellationToken ct)
    {
        IEnumerable<string?> templates = c.Options.Templates.Length > 0 ? c.Options.Templates.Select(t => (string?)t) : [c.Request.HypothesisTemplate];
        var texts = templates.Select(t => c.Request.Scorer.Hypothesis(tag.Label, t)).Distinct(StringComparer.Ordinal).ToList();
        var vectors = await c.Request.Scorer.EmbedAsync(texts, ct);
        return (texts, PlanMath.Centroid(vectors));
    }

    /// <summary>The plan with hypothesis <paramref name="h"/> and the mean and standard deviation of its cosine over the sample.</summary>
    private static TagPlan WithStatistics(PlanContext c, TagPlan plan, float[] h)
    {
        var cosines = c.Vectors.Of(c.Sample).Select(x => TensorPrimitives.Dot(x.Vector, h)).ToList();
        var (mean, std) = PlanMath.MeanStd(cosines);
        return plan with { Hypothesis = h, Mean = mean, Std = std, SampleSize = cosines.Count };
    }

    /// <summary>The first pass over what the plan can see (sample and hits), its top k, and the hypothesis they teach.</summary>
    private static (float[] Hypothesis, IReadOnlyList<string> Top) Feedback(PlanContext c, TagPlan draft, IReadOnlyList<string>? coreMatches)
    {
        var o = c.Options;
        var candidates = c.Sample.Concat(draft.Lexical.Keys).Concat(coreMatches ?? []).Distinct(StringComparer.Ordinal);
        var first = c.Vectors.Of(candidates).ToDictionary(x => x.Id, x => TagScoring.Fused(draft, x.Id, x.Vector), StringComparer.Ordinal);
        var top = PlanMath.TopK(first, o.FeedbackDocuments);
        var positives = c.Vectors.Of(top).Select(x => x.Vector).ToList();
        if (o.Feedback == FeedbackMethod.Rocchio)
        {
            return (PlanMath.Rocchio(draft.Hypothesis, positives, (float)o.FeedbackWeight), top);
        }

        var exclude = top.ToHashSet(StringComparer.Ordinal);
        var negatives = c.Vectors.Of(c.Sample.Where(id => !exclude.Contains(id))).Select(x => x.Vector).ToList();
        if (negatives.Count < 2)
        {
            // A catalog no larger than k has nothing to contrast the top documents with: Rocchio instead.
            return (PlanMath.Rocchio(draft.Hypothesis, positives, (float)o.FeedbackWeight), top);
        }

        return (PlanMath.SelfTraining(draft.Hypothesis, positives, negatives, o.SelfTrainingShrinkage, (float)o.FeedbackWeight), top);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information,
        Message = "Planned tag {Tag}: {Hits} lexical hits kept of {Matches} matches, feedback from {Feedback} documents, cosine mean {Mean:F4} sd {Std:F4}, in {Milliseconds:F1} ms")]
    private static partial void LogPlanned(ILogger logger, string tag, int hits, long matches, int feedback, float mean, float std, double milliseconds);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information,
        Message = "Tag {Tag}: derived variant '{Variant}' left out of the lexical query; it matches {Documents} documents, the word it comes from {WordDocuments} (ratio limit {Ratio})")]
    private static partial void LogVariantRejected(ILogger logger, string tag, string variant, long documents, long wordDocuments, double ratio);
}
