using Lucene.Net.Search;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>Every document id in id order, a page at a time (<c>SearchAfter</c> on the id doc values), so a scan never holds a searcher between pages.</summary>
internal static class LuceneIdScan
{
    /// <summary>The page after <paramref name="after"/> (null: the first), and where the next one starts (null: none).</summary>
    public static (List<string> Ids, FieldDoc? Last) Page(IndexSearcher s, FieldDoc? after, int size)
    {
        var byId = new Sort(new SortField(LuceneDocuments.IdSortField, SortFieldType.STRING));
        var top = after is null
            ? s.Search(new MatchAllDocsQuery(), null, size, byId)
            : s.SearchAfter(after, new MatchAllDocsQuery(), null, size, byId);
        var page = new List<string>(top.ScoreDocs.Length);
        foreach (var sd in top.ScoreDocs)
        {
            page.Add(s.Doc(sd.Doc).Get(LuceneDocuments.IdField));
        }

        return (page, top.ScoreDocs.Length > 0 ? (FieldDoc)top.ScoreDocs[^1] : null);
    }
}
