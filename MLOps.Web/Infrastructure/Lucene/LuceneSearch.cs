using Lucene.Net.Index;
using Lucene.Net.Search;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// The search path, all of it: the <c>q=</c> text parsed (<see cref="CatalogQuerySyntax"/>), the genre
/// filter, then one of relevance (BM25), a classification field sort (missing = 0, ties by score then
/// id) or the trending blend (a probe for the best score, then <see cref="LuceneBlendCollector"/>), and
/// the page of hits read back from the stored JSON, with explanations when asked. The query is parsed
/// within the budget's limits and every pass over the index runs on a <see cref="LuceneSearchClock"/>
/// (time budget and the request's cancellation).
/// </summary>
internal static class LuceneSearch
{
    public static SearchResult Search(IndexSearcher searcher, SearchQuery query, CatalogSearchBudget budget, CancellationToken cancellationToken)
    {
        var clock = LuceneSearchClock.Start(budget, cancellationToken);
        var text = CatalogQuerySyntax.Parse(query.Text, limits: budget.Limits);
        Filter? filter = string.IsNullOrWhiteSpace(query.Genre)
            ? null
            : new QueryWrapperFilter(new TermQuery(new Term(LuceneDocuments.GenreField, LuceneDocuments.NormalizeGenre(query.Genre))));
        return query.Sort switch
        {
            SearchSortKind.Trending => SearchTrending(searcher, text, filter, query, clock, cancellationToken),
            SearchSortKind.Field => SearchSorted(searcher, text, filter, query, clock),
            _ => SearchRelevance(searcher, text, filter, query, clock),
        };
    }

    private static SearchResult SearchRelevance(IndexSearcher s, Query text, Filter? filter, SearchQuery q, LuceneSearchClock clock)
    {
        var collector = TopScoreDocCollector.Create(Math.Max(1, q.From + q.Size), docsScoredInOrder: true);
        clock.Search(s, text, filter, collector);
        var top = collector.GetTopDocs();
        return ToResult(s, top, q, explain: (doc, _) => s.Explain(text, doc).ToString().TrimEnd());
    }

    private static SearchResult SearchSorted(IndexSearcher s, Query text, Filter? filter, SearchQuery q, LuceneSearchClock clock)
    {
        var field = q.SortField ?? throw new ArgumentException("SortField is required for a field sort.", nameof(q));
        var byField = new SortField(field, SortFieldType.SINGLE, reverse: true);
        byField.SetMissingValue(0f);
        var sort = new Sort(
            byField,
            SortField.FIELD_SCORE,
            new SortField(LuceneDocuments.IdSortField, SortFieldType.STRING));
        var collector = TopFieldCollector.Create(sort, Math.Max(1, q.From + q.Size), fillFields: true, trackDocScores: true, trackMaxScore: false, docsScoredInOrder: true);
        clock.Search(s, text, filter, collector);
        var top = collector.GetTopDocs();
        return ToResult(s, top, q, explain: (_, doc) => SearchExplanations.FieldSort(field, doc));
    }

    private static SearchResult ToResult(IndexSearcher s, TopDocs top, SearchQuery q, Func<int, CatalogDocument, string> explain)
    {
        var hits = new List<SearchHit>(Math.Min(q.Size, top.ScoreDocs.Length));
        for (var i = q.From; i < top.ScoreDocs.Length && hits.Count < q.Size; i++)
        {
            var sd = top.ScoreDocs[i];
            var doc = LuceneDocuments.FromLucene(s.Doc(sd.Doc));
            var score = float.IsNaN(sd.Score) ? 0f : sd.Score;
            hits.Add(new SearchHit(doc, score, q.Explain ? explain(sd.Doc, doc) : null));
        }

        return new SearchResult(top.TotalHits, hits);
    }

    /// <summary>textWeight × BM25 / best BM25 of the query (1 with no text) + Σ weight × classification score.</summary>
    private static SearchResult SearchTrending(IndexSearcher s, Query text, Filter? filter, SearchQuery q, LuceneSearchClock clock, CancellationToken ct)
    {
        var matchAll = text is MatchAllDocsQuery;
        var maxScore = 1f;
        if (!matchAll)
        {
            var probe = TopScoreDocCollector.Create(1, docsScoredInOrder: true);
            clock.Search(s, text, filter, probe);
            var best = probe.GetTopDocs();
            maxScore = best.TotalHits == 0 || float.IsNaN(best.MaxScore) ? 1f : best.MaxScore;
        }

        var fields = (q.FieldWeights ?? new Dictionary<string, float>())
            .Where(kv => CatalogJson.IsScoreField(kv.Key) && kv.Value != 0f)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToArray();
        var collector = new LuceneBlendCollector(Math.Max(1, q.From + q.Size), fields, q.TextWeight, matchAll ? 0f : maxScore, ct);
        clock.Search(s, text, filter, collector);
        var hits = new List<SearchHit>();
        foreach (var r in collector.Ranked().Skip(q.From).Take(q.Size))
        {
            var doc = LuceneDocuments.FromLucene(s.Doc(r.Doc));
            hits.Add(new SearchHit(doc, r.Blended, q.Explain
                ? SearchExplanations.Blend(r.Blended, q.TextWeight, r.Text, matchAll ? null : r.Raw, matchAll ? null : maxScore, fields, doc)
                : null));
        }

        return new SearchResult(collector.Total, hits);
    }
}
