using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>
/// Lexical search for the in-test catalog indexes (the real Lucene and Elasticsearch queries have their
/// own tests): a document's score is the weighted count of the texts' words (lower case, letters and
/// digits) in its title, overview and tagline; top hits by score, ties by id.
/// </summary>
public static class FakeLexicalSearch
{
    public static LexicalResult Search(IEnumerable<CatalogDocument> documents, IReadOnlyList<WeightedText> texts, int top, LexicalFields fields = LexicalFields.All)
    {
        var scored = new List<LexicalHit>();
        foreach (var doc in documents)
        {
            var words = Words(fields == LexicalFields.Title ? doc.Title : string.Join(' ', doc.Title, doc.Overview, doc.Tagline));
            var score = texts.Sum(t => t.Weight * Words(t.Text).Sum(w => words.Count(x => x == w)));
            if (score > 0)
            {
                scored.Add(new LexicalHit(doc.Id, score));
            }
        }

        return new LexicalResult(
            [.. scored.OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Take(top)],
            scored.Count);
    }

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        foreach (var c in text.ToLowerInvariant().Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        return words;
    }
}
