using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace MLOps.Web.Shared.Models;

/// <summary>
/// Document embeddings by (model sha256, text hash): a night with unchanged documents runs no
/// document inference. Implemented by the reclassification feature (a file per model, or a Redis hash);
/// read by reclassification chunks, the relevance planner and in-memory evaluation.
/// </summary>
public interface IEmbeddingCache
{
    /// <summary>The cached vector of each key, or null where missing.</summary>
    Task<float[]?[]> GetManyAsync(string modelSha256, IReadOnlyList<string> textKeys, CancellationToken cancellationToken);

    Task PutManyAsync(string modelSha256, IReadOnlyList<string> textKeys, IReadOnlyList<float[]> vectors, CancellationToken cancellationToken);

    /// <summary>Forgets every vector of one model (benchmarks measure a cold run).</summary>
    Task ClearAsync(string modelSha256, CancellationToken cancellationToken);
}

/// <summary>Text hashing shared by every cache implementation.</summary>
public static class EmbeddingCacheKey
{
    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string ForText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A model sha256 made safe for a file or key name (hex kept; anything else hashed).</summary>
    public static string ForModel(string modelSha256)
    {
        var trimmed = modelSha256.Trim().ToLowerInvariant();
        return trimmed.Length is > 0 and <= 128 && trimmed.All(char.IsAsciiHexDigit) ? trimmed : ForText(modelSha256);
    }
}

/// <summary>No cache.</summary>
public sealed class NoEmbeddingCache : IEmbeddingCache
{
    public Task<float[]?[]> GetManyAsync(string modelSha256, IReadOnlyList<string> textKeys, CancellationToken cancellationToken) =>
        Task.FromResult(new float[]?[textKeys.Count]);

    public Task PutManyAsync(string modelSha256, IReadOnlyList<string> textKeys, IReadOnlyList<float[]> vectors, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public Task ClearAsync(string modelSha256, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Vectors of some texts, and how many needed inference (distinct texts) or came from the cache.</summary>
public sealed record CachedVectors(float[][] Vectors, int Embedded, int CacheHits)
{
    /// <summary>Time in the model's inference (the missing texts), in ms.</summary>
    public double EmbedMilliseconds { get; init; }

    /// <summary>Time reading and writing the cache (keys hashed, vectors looked up and stored), in ms.</summary>
    public double CacheMilliseconds { get; init; }
}

/// <summary>Embeddings read from the cache, the missing ones computed through the model's batched inference and cached.</summary>
public static class CachedEmbeddings
{
    /// <summary>One vector per text, in order; identical texts are embedded once.</summary>
    public static async Task<CachedVectors> GetAsync(IEmbeddingScorer scorer, IEmbeddingCache cache, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0)
        {
            return new CachedVectors([], 0, 0);
        }

        var started = Stopwatch.GetTimestamp();
        var embedMs = 0.0;
        var sha = scorer.Model.Sha256;
        var keys = texts.Select(EmbeddingCacheKey.ForText).ToArray();
        var vectors = await cache.GetManyAsync(sha, keys, cancellationToken);
        var hits = vectors.Count(v => v is not null);
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
            var embedding = Stopwatch.GetTimestamp();
            var computed = await scorer.EmbedAsync([.. missing.Values.Select(i => texts[i])], cancellationToken);
            embedMs = Stopwatch.GetElapsedTime(embedding).TotalMilliseconds;
            await cache.PutManyAsync(sha, missingKeys, computed, cancellationToken);
            var byKey = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var j = 0; j < missingKeys.Length; j++)
            {
                byKey[missingKeys[j]] = computed[j];
            }

            for (var i = 0; i < keys.Length; i++)
            {
                vectors[i] ??= byKey[keys[i]];
            }
        }

        var totalMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return new CachedVectors(vectors!, missing.Count, hits) { EmbedMilliseconds = embedMs, CacheMilliseconds = totalMs - embedMs };
    }
}
