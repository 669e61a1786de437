using System.Diagnostics;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Scores of one chunk: <c>Scores[document][tag]</c>, their parts when planned, and how many documents needed inference.</summary>
public sealed record ChunkScores(float[][] Scores, int Embedded, int CacheHits)
{
    /// <summary><c>Parts[document][tag]</c>: what each score was made of; null without tag plans.</summary>
    public IReadOnlyDictionary<string, float>[][]? Parts { get; init; }

    /// <summary>Time in the model (document inference; a cross-encoder's whole scoring), in ms.</summary>
    public double EmbedMilliseconds { get; init; }

    /// <summary>Time in the embedding cache (lookups and writes), in ms.</summary>
    public double CacheMilliseconds { get; init; }
}

/// <summary>
/// Scores documents against tags. With an embedding model and the run's tag plans, each document's
/// embedding (cached, or computed once and cached) is scored against every tag's plan by
/// <see cref="TagScoring"/>, the same function evaluation uses. Without plans (a cross-encoder, or a
/// run planned before plans existed) hypotheses are embedded once per chunk and the model's cosine
/// score is written, as before.
/// </summary>
public sealed class ChunkScorer(IEmbeddingCache cache)
{
    public async Task<ChunkScores> ScoreAsync(
        IZeroShotScorer scorer,
        IReadOnlyList<CatalogDocument> documents,
        IReadOnlyList<RunTag> tags,
        string? hypothesisTemplate,
        IReadOnlyList<TagPlan>? plans,
        CancellationToken cancellationToken)
    {
        if (documents.Count == 0 || tags.Count == 0)
        {
            return new ChunkScores([.. documents.Select(_ => new float[tags.Count])], 0, 0);
        }

        var texts = documents.Select(d => d.ClassificationText).ToArray();
        if (scorer is not IEmbeddingScorer embedding)
        {
            var started = Stopwatch.GetTimestamp();
            var scores = await scorer.ScoreAsync(texts, [.. tags.Select(t => t.Label)], new ZeroShotOptions(MultiLabel: true, hypothesisTemplate), cancellationToken);
            return new ChunkScores(scores, documents.Count, 0) { EmbedMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds };
        }

        var vectors = await CachedEmbeddings.GetAsync(embedding, cache, texts, cancellationToken);
        if (plans is { } planned && planned.Count == tags.Count)
        {
            return Planned(embedding, documents, planned, vectors) with { EmbedMilliseconds = vectors.EmbedMilliseconds, CacheMilliseconds = vectors.CacheMilliseconds };
        }

        var hypotheses = await embedding.EmbedAsync([.. tags.Select(t => embedding.Hypothesis(t.Label, hypothesisTemplate))], cancellationToken);
        var result = new float[documents.Count][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = embedding.ScoreEmbeddings(vectors.Vectors[i], hypotheses);
        }

        return new ChunkScores(result, vectors.Embedded, vectors.CacheHits) { EmbedMilliseconds = vectors.EmbedMilliseconds, CacheMilliseconds = vectors.CacheMilliseconds };
    }

    private static ChunkScores Planned(IEmbeddingScorer scorer, IReadOnlyList<CatalogDocument> documents, IReadOnlyList<TagPlan> plans, CachedVectors vectors)
    {
        var scores = new float[documents.Count][];
        var parts = new IReadOnlyDictionary<string, float>[documents.Count][];
        for (var i = 0; i < documents.Count; i++)
        {
            scores[i] = new float[plans.Count];
            parts[i] = new IReadOnlyDictionary<string, float>[plans.Count];
            for (var t = 0; t < plans.Count; t++)
            {
                var scored = TagScoring.Score(plans[t], documents[i].Id, vectors.Vectors[i], scorer);
                scores[i][t] = scored.Score;
                parts[i][t] = scored.Parts;
            }
        }

        return new ChunkScores(scores, vectors.Embedded, vectors.CacheHits) { Parts = parts };
    }
}
