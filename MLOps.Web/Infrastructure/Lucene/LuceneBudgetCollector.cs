using System.Diagnostics;
using Lucene.Net.Index;
using Lucene.Net.Search;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// A search's clock and the request's cancellation, checked while Lucene collects hits (every 256
/// documents and at every segment), so that work stops when the budget is spent or the client is
/// gone; the equivalent of Lucene's <c>TimeLimitingCollector</c> without its process-wide timer thread.
/// </summary>
internal sealed class LuceneSearchClock(TimeSpan budget, CancellationToken cancellationToken)
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public static LuceneSearchClock Start(CatalogSearchBudget budget, CancellationToken cancellationToken) => new(budget.Timeout, cancellationToken);

    /// <summary>Throws when the request was cancelled or the budget is spent.</summary>
    public void Check()
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Stopwatch.GetElapsedTime(_started) > budget)
        {
            throw new SearchTimeoutException(budget);
        }
    }

    /// <summary><paramref name="inner"/> with this clock checked as it collects.</summary>
    public ICollector Wrap(ICollector inner) => new Checked(inner, this);

    /// <summary>Searches <paramref name="query"/> into <paramref name="collector"/> on this clock.</summary>
    public void Search(IndexSearcher searcher, Query query, Filter? filter, ICollector collector)
    {
        Check();
        searcher.Search(query, filter, Wrap(collector));
    }

    private sealed class Checked(ICollector inner, LuceneSearchClock clock) : ICollector
    {
        private int _count;

        public bool AcceptsDocsOutOfOrder => inner.AcceptsDocsOutOfOrder;

        public void SetScorer(Scorer scorer) => inner.SetScorer(scorer);

        public void SetNextReader(AtomicReaderContext context)
        {
            clock.Check();
            inner.SetNextReader(context);
        }

        public void Collect(int doc)
        {
            if ((++_count & 0xFF) == 0)
            {
                clock.Check();
            }

            inner.Collect(doc);
        }
    }
}
