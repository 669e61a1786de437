using System.Runtime.CompilerServices;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using MLOps.Web.Shared.Catalog;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// The catalog on an embedded Lucene.Net 4.8 index. This class owns the index's lifetime and its
/// writes: one <see cref="IndexWriter"/> (writes are serialised), a <see cref="SearcherManager"/> for
/// concurrent readers that is refreshed after every write, a commit per batch so the index survives
/// restarts. Lucene has no partial update, so an update reads the stored JSON, merges and replaces
/// the document. The layout of a document is <see cref="LuceneDocuments"/>, the search path
/// <see cref="LuceneSearch"/>, the id scan <see cref="LuceneIdScan"/>.
/// </summary>
public sealed class LuceneCatalogIndex : ICatalogIndex, IDisposable
{
    internal const LuceneVersion Version = CatalogQuerySyntax.Version;

    private const int ScanPageSize = 1000;

    /// <summary>BM25 (k1 1.2, b 0.75), as Elasticsearch scores; Lucene 4.8's default is classic TF-IDF.</summary>
    internal static readonly BM25Similarity Similarity = new();

    private readonly LuceneDirectory _directory;
    private readonly Analyzer _analyzer;
    private IndexWriter _writer;
    private SearcherManager _searchers;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ILogger _logger;
    private readonly CatalogSearchBudget _budget;
    private bool _disposed;

    public LuceneCatalogIndex(string path, ILogger<LuceneCatalogIndex> logger, CatalogSearchBudget? budget = null)
    {
        _logger = logger;
        _budget = budget ?? CatalogSearchBudget.Default;
        System.IO.Directory.CreateDirectory(path);
        Path = path;
        _directory = FSDirectory.Open(path);
        _analyzer = new EnglishAnalyzer(Version);
        try
        {
            _writer = OpenWriter();
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

    /// <summary>What one search may cost (query limits, time budget); every search method runs within it.</summary>
    internal CatalogSearchBudget Budget => _budget;

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
                    var existing = merged.TryGetValue(doc.Id, out var pending) ? pending : LuceneDocuments.Load(searcher, doc.Id);
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
                    var doc = changed.TryGetValue(update.Id, out var pending) ? pending : LuceneDocuments.Load(searcher, update.Id);
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
        return Task.FromResult(WithSearcher(s => LuceneDocuments.Load(s, id)));
    }

    public Task<IReadOnlyList<CatalogDocument>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        IReadOnlyList<CatalogDocument> found = WithSearcher(s =>
        {
            var list = new List<CatalogDocument>(ids.Count);
            foreach (var id in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (LuceneDocuments.Load(s, id) is { } doc)
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
        FieldDoc? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (ids, last) = WithSearcher(s => LuceneIdScan.Page(s, after, ScanPageSize));
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
        return Task.FromResult(WithSearcher(s => LuceneSearch.Search(s, query, _budget, cancellationToken)));
    }

    public Task<LexicalResult> LexicalSearchAsync(IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(WithSearcher(s => LuceneLexicalSearch.Search(s, _analyzer, texts, top, fields, cancellationToken)));
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

    private IndexWriter OpenWriter() => new(_directory, new IndexWriterConfig(Version, _analyzer)
    {
        OpenMode = OpenMode.CREATE_OR_APPEND,
        Similarity = Similarity,
    });

    /// <summary>
    /// One batch, all or nothing: every Lucene document is built first (a document that cannot be
    /// written fails before the writer is touched), then updated and committed. If the writer fails
    /// half-way, its uncommitted changes are rolled back (which closes it) and a fresh writer and
    /// searcher manager are opened on the last commit, so no pending write of a failed batch is ever
    /// committed by the next, unrelated one.
    /// </summary>
    private void WriteAndCommit(IEnumerable<CatalogDocument> documents)
    {
        var prepared = documents.Select(d => (Term: LuceneDocuments.IdTerm(d.Id), Document: LuceneDocuments.ToLucene(d))).ToList();
        try
        {
            foreach (var (term, document) in prepared)
            {
                _writer.UpdateDocument(term, document);
            }

            _writer.Commit();
        }
        catch
        {
            RollBackAndReopen();
            throw;
        }

        _searchers.MaybeRefreshBlocking();
    }

    private void RollBackAndReopen()
    {
        LuceneLog.RolledBack(_logger, Path);
        _searchers.Dispose();
        _writer.Rollback();
        _writer = OpenWriter();
        _searchers = new SearcherManager(_writer, applyAllDeletes: true, searcherFactory: new Bm25SearcherFactory());
    }

    private sealed class Bm25SearcherFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = Similarity };
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

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "A write to the Lucene catalog index at {Path} failed; its uncommitted changes were rolled back and the writer reopened")]
    public static partial void RolledBack(ILogger logger, string path);
}
