using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Relevance;

/// <summary>
/// The embeddings a plan reads, by document id: loaded a page of documents at a time from the index,
/// taken from the embedding cache, the missing ones embedded through the model's batched inference and
/// cached (so the run's chunks then hit the cache). Ids the index no longer has are skipped.
/// </summary>
internal sealed class DocumentVectors(ICatalogIndex index, IEmbeddingCache cache, IEmbeddingScorer scorer)
{
    private const int Page = 1000;
    private readonly Dictionary<string, float[]> _vectors = new(StringComparer.Ordinal);

    public int Embedded { get; private set; }

    public int CacheHits { get; private set; }

    public bool TryGet(string id, out float[] vector) => _vectors.TryGetValue(id, out vector!);

    /// <summary>The vectors of <paramref name="ids"/> that are in the index, in the given order.</summary>
    public IEnumerable<(string Id, float[] Vector)> Of(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            if (_vectors.TryGetValue(id, out var v))
            {
                yield return (id, v);
            }
        }
    }

    public async Task LoadAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Where(id => !_vectors.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        for (var offset = 0; offset < wanted.Count; offset += Page)
        {
            var documents = await index.GetManyAsync(wanted.GetRange(offset, Math.Min(Page, wanted.Count - offset)), cancellationToken);
            var got = await CachedEmbeddings.GetAsync(scorer, cache, [.. documents.Select(d => d.ClassificationText)], cancellationToken);
            Embedded += got.Embedded;
            CacheHits += got.CacheHits;
            for (var i = 0; i < documents.Count; i++)
            {
                _vectors[documents[i].Id] = got.Vectors[i];
            }
        }
    }
}
