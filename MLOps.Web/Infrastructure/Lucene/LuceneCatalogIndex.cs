using System.Runtime.CompilerServices;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using MLOps.Web.Shared.Catalog;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// The catalog on an embedded Lucene.Net 4.8 index. One <see cref="IndexWriter"/> (writes are
/// serialised), a <see cref="SearcherManager"/> for concurrent readers that is refreshed after every
/// write, a commit per batch so the index survives restarts. Each document keeps its full JSON in a
/// stored field; Lucene has no partial update, so an update reads that JSON, merges and replaces the
/// document.
/// </summary>
public sealed partial class LuceneCatalogIndex : ICatalogIndex, IDisposable
{
    internal const LuceneVersion Version = CatalogQuerySyntax.Version;
    internal const string IdField = "id";
    internal const string IdSortField = "_id_sort";
    internal const string SourceField = "_source";
    internal const string GenreField = "genre";
    internal static readonly string[] TextFields = CatalogQuerySyntax.TextFields;

    private const int ScanPageSize = 1000;

    /// <summary>BM25 (k1 1.2, b 0.75), as Elasticsearch scores; Lucene 4.8's default is classic TF-IDF.</summary>
    internal static readonly BM25Similarity Similarity = new();

    private readonly LuceneDirectory _directory;
    private readonly Analyzer _analyzer;
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ILogger _logger;
    private bool _disposed;

    public LuceneCatalogIndex(string path, ILogger<LuceneCatalogIndex> logger)
    {
        _logger = logger;
        System.IO.Directory.CreateDirectory(path);
        Path = path;
        _directory = FSDirectory.Open(path);
        _analyzer = new EnglishAnalyzer(Version);
        try
        {
            _writer = new IndexWriter(_directory, new IndexWriterConfig(Version, _analyzer)
            {
                OpenMode = OpenMode.CREATE_OR_APPEND,
                Similarity = Similarity,
            });
        }
        catch (LockObtainFailedException ex)
        {
            _analyzer.Dispose();
            _directory.Dispose();
            throw new InvalidOperationException(
                $"The Lucene index at '{path}' is locked by another process (is the service running?). Stop it or use another Storage:DataDirectory.", ex);
        }

        _searchers = new SearcherManager(_writer, applyAllDeletes: true, searcherFactory: new Bm25SearcherFactory());
        LuceneLog.Opened(_logger, path, _writer.NumDocs);
    }

    /// <summary>The index folder.</summary>
    public string Path { get; }

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // A fresh folder has no commit yet; commit so that readers opened from disk see an index.
            _writer.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task IndexAsync(IReadOnlyList<CatalogDocument> documents, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var merged = new Dictionary<string, CatalogDocument>(documents.Count, StringComparer.Ordinal);
            var searcher = _searchers.Acquire();
            try
            {
                foreach (var doc in documents)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var existing = merged.TryGetValue(doc.Id, out var pending) ? pending : Load(searcher, doc.Id);
                    merged[doc.Id] = CatalogJson.MergeKeepingClassifications(existing, doc);
                }
            }
            finally
            {
                _searchers.Release(searcher);
            }

            WriteAndCommit(merged.Values);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task UpdateClassificationsAsync(IReadOnlyList<ClassificationUpdate> updates, CancellationToken cancellationToken)
    {
        if (updates.Count == 0)
        {
            return;
        }

        foreach (var update in updates)
        {
            CatalogJson.Validate(update);
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var changed = new Dictionary<string, CatalogDocument>(updates.Count, StringComparer.Ordinal);
            var missing = 0;
            var searcher = _searchers.Acquire();
            try
            {
                foreach (var update in updates)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var doc = changed.TryGetValue(update.Id, out var pending) ? pending : Load(searcher, update.Id);
                    if (doc is null)
                    {
                        missing++;
                        continue;
                    }

                    CatalogJson.Apply(doc, update);
                    changed[update.Id] = doc;
                }
            }
            finally
            {
                _searchers.Release(searcher);
            }

            if (missing > 0)
            {
                LuceneLog.UpdatesForMissingDocuments(_logger, missing);
            }

            WriteAndCommit(changed.Values);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<CatalogDocument?> GetAsync(string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(WithSearcher(s => Load(s, id)));
    }

    public Task<IReadOnlyList<CatalogDocument>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        IReadOnlyList<CatalogDocument> found = WithSearcher(s =>
        {
            var list = new List<CatalogDocument>(ids.Count);
            foreach (var id in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Load(s, id) is { } doc)
                {
                    list.Add(doc);
                }
            }

            return list;
        });
        return Task.FromResult(found);
    }

    public async IAsyncEnumerable<string> ScanIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sort = new Sort(new SortField(IdSortField, SortFieldType.STRING));
        FieldDoc? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (ids, last) = WithSearcher(s =>
            {
                var top = after is null
                    ? s.Search(new MatchAllDocsQuery(), null, ScanPageSize, sort)
                    : s.SearchAfter(after, new MatchAllDocsQuery(), null, ScanPageSize, sort);
                var page = new List<string>(top.ScoreDocs.Length);
                foreach (var sd in top.ScoreDocs)
                {
                    page.Add(s.Doc(sd.Doc).Get(IdField));
                }

                return (page, top.ScoreDocs.Length > 0 ? (FieldDoc)top.ScoreDocs[^1] : null);
            });
            foreach (var id in ids)
            {
                yield return id;
            }

            if (last is null || ids.Count < ScanPageSize)
            {
                yield break;
            }

            after = last;
            await Task.Yield();
        }
    }

    public Task<long> CountAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult((long)WithSearcher(s => s.IndexReader.NumDocs));
    }

    public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var textQuery = CatalogQuerySyntax.Parse(query.Text);
        Filter? filter = string.IsNullOrWhiteSpace(query.Genre)
            ? null
            : new QueryWrapperFilter(new TermQuery(new Term(GenreField, NormalizeGenre(query.Genre))));
        var result = WithSearcher(s => query.Sort switch
        {
            SearchSortKind.Trending => SearchTrending(s, textQuery, filter, query, cancellationToken),
            SearchSortKind.Field => SearchSorted(s, textQuery, filter, query),
            _ => SearchRelevance(s, textQuery, filter, query),
        });
        return Task.FromResult(result);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _writeLock.Wait();
        try
        {
            _disposed = true;
            _searchers.Dispose();
            _writer.Dispose();
            _analyzer.Dispose();
            _directory.Dispose();
            LuceneLog.Closed(_logger, Path);
        }
        finally
        {
            _writeLock.Release();
            _writeLock.Dispose();
        }
    }

    internal static string NormalizeGenre(string genre) => genre.Trim().ToLowerInvariant();

    private T WithSearcher<T>(Func<IndexSearcher, T> read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var searcher = _searchers.Acquire();
        try
        {
            return read(searcher);
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    private void WriteAndCommit(IEnumerable<CatalogDocument> documents)
    {
        foreach (var doc in documents)
        {
            _writer.UpdateDocument(new Term(IdField, doc.Id), ToLucene(doc));
        }

        _writer.Commit();
        _searchers.MaybeRefreshBlocking();
    }

    /// <summary>The live document with this id: a term lookup per segment, no scoring.</summary>
    private static CatalogDocument? Load(IndexSearcher searcher, string id)
    {
        var term = new Term(IdField, id);
        foreach (var leaf in searcher.IndexReader.Leaves)
        {
            var docs = leaf.AtomicReader.GetTermDocsEnum(term);
            if (docs is not null && docs.NextDoc() is var doc && doc != DocIdSetIterator.NO_MORE_DOCS)
            {
                return FromLucene(leaf.AtomicReader.Document(doc));
            }
        }

        return null;
    }

    private static CatalogDocument FromLucene(Document stored) => CatalogJson.Parse(stored.Get(SourceField));

    private static Document ToLucene(CatalogDocument doc)
    {
        var d = new Document
        {
            new StringField(IdField, doc.Id, Field.Store.YES),
            new SortedDocValuesField(IdSortField, new BytesRef(doc.Id)),
            new TextField(CatalogJson.Title, doc.Title, Field.Store.NO),
        };
        if (!string.IsNullOrEmpty(doc.Overview))
        {
            d.Add(new TextField(CatalogJson.Overview, doc.Overview, Field.Store.NO));
        }

        if (!string.IsNullOrEmpty(doc.Tagline))
        {
            d.Add(new TextField(CatalogJson.Tagline, doc.Tagline, Field.Store.NO));
        }

        foreach (var genre in doc.Genres.Select(NormalizeGenre).Distinct(StringComparer.Ordinal))
        {
            d.Add(new StringField(GenreField, genre, Field.Store.NO));
        }

        foreach (var (field, score) in doc.Classifications)
        {
            d.Add(new SingleDocValuesField(field, score));
        }

        d.Add(new StoredField(SourceField, CatalogJson.Serialize(doc)));
        return d;
    }

    private static SearchResult SearchRelevance(IndexSearcher s, Query text, Filter? filter, SearchQuery q)
    {
        var top = s.Search(text, filter, Math.Max(1, q.From + q.Size));
        return ToResult(s, text, top, q, explain: (doc, _) => s.Explain(text, doc).ToString().TrimEnd());
    }

    private static SearchResult SearchSorted(IndexSearcher s, Query text, Filter? filter, SearchQuery q)
    {
        var field = q.SortField ?? throw new ArgumentException("SortField is required for a field sort.", nameof(q));
        var byField = new SortField(field, SortFieldType.SINGLE, reverse: true);
        byField.SetMissingValue(0f);
        var sort = new Sort(
            byField,
            SortField.FIELD_SCORE,
            new SortField(IdSortField, SortFieldType.STRING));
        var top = s.Search(text, filter, Math.Max(1, q.From + q.Size), sort, doDocScores: true, doMaxScore: false);
        return ToResult(s, text, top, q, explain: (_, doc) => SearchExplanations.FieldSort(field, doc));
    }

    private static SearchResult ToResult(IndexSearcher s, Query text, TopDocs top, SearchQuery q, Func<int, CatalogDocument, string> explain)
    {
        var hits = new List<SearchHit>(Math.Min(q.Size, top.ScoreDocs.Length));
        for (var i = q.From; i < top.ScoreDocs.Length && hits.Count < q.Size; i++)
        {
            var sd = top.ScoreDocs[i];
            var doc = FromLucene(s.Doc(sd.Doc));
            var score = float.IsNaN(sd.Score) ? 0f : sd.Score;
            hits.Add(new SearchHit(doc, score, q.Explain ? explain(sd.Doc, doc) : null));
        }

        _ = text;
        return new SearchResult(top.TotalHits, hits);
    }

    private static SearchResult SearchTrending(IndexSearcher s, Query text, Filter? filter, SearchQuery q, CancellationToken ct)
    {
        var matchAll = text is MatchAllDocsQuery;
        var maxScore = 1f;
        if (!matchAll)
        {
            var best = s.Search(text, filter, 1);
            maxScore = best.TotalHits == 0 || float.IsNaN(best.MaxScore) ? 1f : best.MaxScore;
        }

        var fields = (q.FieldWeights ?? new Dictionary<string, float>())
            .Where(kv => CatalogJson.IsScoreField(kv.Key) && kv.Value != 0f)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToArray();
        var collector = new BlendCollector(Math.Max(1, q.From + q.Size), fields, q.TextWeight, matchAll ? 0f : maxScore, ct);
        s.Search(text, filter, collector);
        var ranked = collector.Ranked();
        var hits = new List<SearchHit>();
        foreach (var r in ranked.Skip(q.From).Take(q.Size))
        {
            var doc = FromLucene(s.Doc(r.Doc));
            hits.Add(new SearchHit(doc, r.Blended, q.Explain
                ? SearchExplanations.Blend(r.Blended, q.TextWeight, r.Text, matchAll ? null : r.Raw, matchAll ? null : maxScore, fields, doc)
                : null));
        }

        return new SearchResult(collector.Total, hits);
    }

    private sealed class Bm25SearcherFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = Similarity };
    }

    /// <summary>Collects the top hits by textWeight × (score / best score) + Σ weight × classification score.</summary>
    private sealed class BlendCollector(int size, KeyValuePair<string, float>[] fields, float textWeight, float maxScore, CancellationToken ct) : ICollector
    {
        private readonly PriorityQueue<Entry, (float Blended, int NegDoc)> _queue = new();
        private readonly FieldCache.Singles[] _values = new FieldCache.Singles[fields.Length];
        private Scorer? _scorer;
        private int _docBase;

        public readonly record struct Entry(int Doc, float Blended, float Text, float Raw);

        public long Total { get; private set; }

        public bool AcceptsDocsOutOfOrder => false;

        public void SetScorer(Scorer scorer) => _scorer = scorer;

        public void SetNextReader(AtomicReaderContext context)
        {
            ct.ThrowIfCancellationRequested();
            _docBase = context.DocBase;
            for (var i = 0; i < fields.Length; i++)
            {
                _values[i] = FieldCache.DEFAULT.GetSingles(context.AtomicReader, fields[i].Key, setDocsWithField: false);
            }
        }

        public void Collect(int doc)
        {
            Total++;
            var raw = maxScore > 0f ? _scorer!.GetScore() : 1f;
            var text = maxScore > 0f ? raw / maxScore : 1f;
            var blended = textWeight * text;
            for (var i = 0; i < fields.Length; i++)
            {
                blended += fields[i].Value * _values[i].Get(doc);
            }

            var global = _docBase + doc;
            var priority = (blended, -global);
            if (_queue.Count < size)
            {
                _queue.Enqueue(new Entry(global, blended, text, raw), priority);
            }
            else if (_queue.TryPeek(out _, out var lowest) && Comparer<(float, int)>.Default.Compare(priority, lowest) > 0)
            {
                _queue.DequeueEnqueue(new Entry(global, blended, text, raw), priority);
            }
        }

        /// <summary>Best first; ties by document order.</summary>
        public List<Entry> Ranked()
        {
            var list = new List<Entry>(_queue.Count);
            while (_queue.TryDequeue(out var e, out _))
            {
                list.Add(e);
            }

            list.Reverse();
            return list;
        }
    }
}

internal static partial class LuceneLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Lucene catalog index opened at {Path} with {Documents} documents")]
    public static partial void Opened(ILogger logger, string path, int documents);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Lucene catalog index at {Path} closed")]
    public static partial void Closed(ILogger logger, string path);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "{Count} classification updates named documents that are not in the index; skipped")]
    public static partial void UpdatesForMissingDocuments(ILogger logger, int count);
}
