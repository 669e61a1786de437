using System.Collections.Concurrent;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>An embedding cache in memory (the disk and Redis caches have their own tests); counts what was put.</summary>
public sealed class MemoryEmbeddingCache : IEmbeddingCache
{
    private readonly ConcurrentDictionary<string, float[]> _vectors = new(StringComparer.Ordinal);

    public int Count => _vectors.Count;

    public Task<float[]?[]> GetManyAsync(string modelSha256, IReadOnlyList<string> textKeys, CancellationToken cancellationToken) =>
        Task.FromResult(textKeys.Select(k => _vectors.GetValueOrDefault(modelSha256 + ":" + k)).ToArray());

    public Task PutManyAsync(string modelSha256, IReadOnlyList<string> textKeys, IReadOnlyList<float[]> vectors, CancellationToken cancellationToken)
    {
        for (var i = 0; i < textKeys.Count; i++)
        {
            _vectors[modelSha256 + ":" + textKeys[i]] = vectors[i];
        }

        return Task.CompletedTask;
    }

    public Task ClearAsync(string modelSha256, CancellationToken cancellationToken)
    {
        foreach (var key in _vectors.Keys.Where(k => k.StartsWith(modelSha256 + ":", StringComparison.Ordinal)))
        {
            _vectors.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }
}
