using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Search;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// The lexical evidence of relevance scoring (<see cref="ICatalogIndex.LexicalSearchAsync"/>): for each
/// weighted text, each analysed word becomes SHOULD(title:w, overview:w, tagline:w) (title not boosted; or title:w alone),
/// the words of a text are OR-ed and boosted by the text's weight, and the texts are OR-ed. With BM25
/// (no coord, no query norm) a document's score is the sum over texts, words and fields, which is what
/// Elasticsearch's <c>multi_match</c> of type <c>most_fields</c> computes. Kept apart from
/// <see cref="LuceneSearch"/>: it reads no user query syntax and no filter.
/// </summary>
internal static class LuceneLexicalSearch
{
    private static readonly HashSet<string> IdOnly = [LuceneDocuments.IdField];

    public static LexicalResult Search(IndexSearcher searcher, Analyzer analyzer, IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var query = BuildQuery(analyzer, texts, fields);
        if (query.Clauses.Count == 0)
        {
            return new LexicalResult([], 0);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var sort = new Sort(SortField.FIELD_SCORE, new SortField(LuceneDocuments.IdSortField, SortFieldType.STRING));
        var found = searcher.Search(query, null, top, sort, doDocScores: true, doMaxScore: false);
        var hits = new List<LexicalHit>(found.ScoreDocs.Length);
        foreach (var sd in found.ScoreDocs)
        {
            hits.Add(new LexicalHit(searcher.Doc(sd.Doc, IdOnly).Get(LuceneDocuments.IdField), sd.Score));
        }

        return new LexicalResult(hits, found.TotalHits);
    }

    /// <summary>The query: texts OR-ed, each its words OR-ed over the three text fields (or the title alone), boosted by the weight.</summary>
    public static BooleanQuery BuildQuery(Analyzer analyzer, IReadOnlyList<WeightedText> texts, LexicalFields scope)
    {
        var searched = LexicalFieldNames.Of(scope);
        var outer = new BooleanQuery();
        foreach (var text in texts)
        {
            if (text.Weight <= 0f || string.IsNullOrWhiteSpace(text.Text))
            {
                continue;
            }

            var words = new BooleanQuery();
            foreach (var word in Analyze(analyzer, text.Text))
            {
                var fields = new BooleanQuery();
                foreach (var field in searched)
                {
                    fields.Add(new TermQuery(new Term(field, word)), Occur.SHOULD);
                }

                words.Add(fields, Occur.SHOULD);
            }

            if (words.Clauses.Count > 0)
            {
                words.Boost = text.Weight;
                outer.Add(words, Occur.SHOULD);
            }
        }

        return outer;
    }

    private static List<string> Analyze(Analyzer analyzer, string text)
    {
        var words = new List<string>();
        using var stream = analyzer.GetTokenStream(CatalogJson.Overview, text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            words.Add(term.ToString());
        }

        stream.End();
        return words;
    }
}
