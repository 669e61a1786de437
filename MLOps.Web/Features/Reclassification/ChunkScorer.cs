using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Reclassification;

/// <summary>Scores of one chunk: <c>Scores[document][tag]</c>, and how many documents needed inference.</summary>
public sealed record ChunkScores(float[][] Scores, int Embedded, int CacheHits);

/// <summary>
/// Scores documents against tags. With an embedding model each document is embedded once (or taken
/// from the cache) and reused for every tag; the hypotheses are embedded once per chunk.
/// </summary>
public sealed class ChunkScorer(IEmbeddingCache cache)
{
    public async Task<ChunkScores> ScoreAsync(
        IZeroShotScorer scorer,
        IReadOnlyList<CatalogDocument> documents,
        IReadOnlyList<RunTag> tags,
        string? hypothesisTemplate,
        CancellationToken cancellationToken)
    {
        if (documents.Count == 0 || tags.Count == 0)
        {
            return new ChunkScores([.. documents.Select(_ => new float[tags.Count])], 0, 0);
        }

        var texts = documents.Select(d => d.ClassificationText).ToArray();
        var labels = tags.Select(t => t.Label).ToArray();
        if (scorer is not IEmbeddingScorer embedding)
        {
            var scores = await scorer.ScoreAsync(texts, labels, new ZeroShotOptions(MultiLabel: true, hypothesisTemplate), cancellationToken);
            return new ChunkScores(scores, documents.Count, 0);
        }

        var sha = scorer.Model.Sha256;
        var keys = texts.Select(EmbeddingCacheKey.ForText).ToArray();
        var vectors = await cache.GetManyAsync(sha, keys, cancellationToken);
        var hits = vectors.Count(v => v is not null);

        // Unique missing texts: identical overviews are embedded once.
        var missing = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++)
        {
            if (vectors[i] is null)
            {
                missing.TryAdd(keys[i], i);
            }
        }

        if (missing.Count > 0)
        {
            var missingKeys = missing.Keys.ToArray();
            var computed = await embedding.EmbedAsync([.. missing.Values.Select(i => texts[i])], cancellationToken);
            await cache.PutManyAsync(sha, missingKeys, computed, cancellationToken);
            var byKey = missingKeys.Select((k, j) => (k, v: computed[j])).ToDictionary(x => x.k, x => x.v, StringComparer.Ordinal);
            for (var i = 0; i < keys.Length; i++)
            {
                vectors[i] ??= byKey[keys[i]];
            }
        }

        var hypotheses = await embedding.EmbedAsync([.. labels.Select(l => embedding.Hypothesis(l, hypothesisTemplate))], cancellationToken);
        var result = new float[documents.Count][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = embedding.ScoreEmbeddings(vectors[i], hypotheses);
        }

        return new ChunkScores(result, missing.Count, hits);
    }
}
