using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>
/// An in-memory <see cref="ICatalogIndex"/> for unit and reclassification tests (the real Lucene and
/// Elasticsearch engines live in the catalog feature). Applies partial updates as the engines do, and
/// records every bulk update so tests can count writes per document.
/// </summary>
public sealed class InMemoryCatalogIndex : ICatalogIndex
{
    private readonly ConcurrentDictionary<string, CatalogDocument> _docs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _writes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<IReadOnlyList<ClassificationUpdate>> _updates = new();
    private readonly Lock _gate = new();

    public InMemoryCatalogIndex(IEnumerable<CatalogDocument>? documents = null)
    {
        foreach (var d in documents ?? [])
        {
            _docs[d.Id] = d;
        }
    }

    /// <summary>Runs before every <see cref="GetManyAsync"/>: throw to fail a chunk, or wait to hold it.</summary>
    public Func<IReadOnlyList<string>, CancellationToken, Task>? BeforeGetMany { get; set; }

    /// <summary>Every bulk update, in order.</summary>
    public IReadOnlyCollection<IReadOnlyList<ClassificationUpdate>> Updates => _updates;

    /// <summary>How many times each document's classification fields were written.</summary>
    public IReadOnlyDictionary<string, int> Writes => _writes;

    public IReadOnlyCollection<CatalogDocument> Documents => [.. _docs.Values];

    public CatalogDocument this[string id] => _docs[id];

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task IndexAsync(IReadOnlyList<CatalogDocument> documents, CancellationToken cancellationToken)
    {
        foreach (var d in documents)
        {
            _docs[d.Id] = d;
        }

        return Task.CompletedTask;
    }

    public Task<CatalogDocument?> GetAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(_docs.TryGetValue(id, out var d) ? Copy(d) : null);

    public async Task<IReadOnlyList<CatalogDocument>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (BeforeGetMany is { } hook)
        {
            await hook(ids, cancellationToken);
        }

        return [.. ids.Select(id => _docs.TryGetValue(id, out var d) ? Copy(d) : null).OfType<CatalogDocument>()];
    }

    public Task UpdateClassificationsAsync(IReadOnlyList<ClassificationUpdate> updates, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var u in updates)
            {
                if (!_docs.TryGetValue(u.Id, out var d))
                {
                    continue;
                }

                CatalogJson.Apply(d, u);
                _writes.AddOrUpdate(u.Id, 1, (_, n) => n + 1);
            }

            _updates.Enqueue(updates);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ScanIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var id in _docs.Keys.Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return id;
        }

        await Task.CompletedTask;
    }

    public Task<long> CountAsync(CancellationToken cancellationToken) => Task.FromResult((long)_docs.Count);

    public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        IEnumerable<CatalogDocument> hits = _docs.Values;
        if (query.Genre is { } genre)
        {
            hits = hits.Where(d => d.Genres.Contains(genre, StringComparer.OrdinalIgnoreCase));
        }

        if (query.Sort == SearchSortKind.Field && query.SortField is { } field)
        {
            hits = hits.OrderByDescending(d => d.Classifications.GetValueOrDefault(field));
        }

        var list = hits.ToList();
        return Task.FromResult(new SearchResult(list.Count, [.. list.Skip(query.From).Take(query.Size).Select(d => new SearchHit(Copy(d), 1f, null))]));
    }

    public Task<LexicalResult> LexicalSearchAsync(IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken) =>
        Task.FromResult(FakeLexicalSearch.Search(_docs.Values, texts, top, fields));

    private CatalogDocument Copy(CatalogDocument d)
    {
        lock (_gate)
        {
            return new CatalogDocument
            {
                Id = d.Id,
                Title = d.Title,
                Overview = d.Overview,
                Tagline = d.Tagline,
                Genres = d.Genres,
                ReleaseDate = d.ReleaseDate,
                Classifications = new Dictionary<string, float>(d.Classifications, StringComparer.Ordinal),
                ClassificationParts = new Dictionary<string, IReadOnlyDictionary<string, float>>(d.ClassificationParts, StringComparer.Ordinal),
                ClassificationModel = d.ClassificationModel,
                ClassifiedAt = d.ClassifiedAt,
            };
        }
    }
}
