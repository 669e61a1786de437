using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// How a <see cref="CatalogDocument"/> is laid out in Lucene: the id as a term (and sorted doc
/// values for stable order), title/overview/tagline analysed, genres as lower-cased terms (the
/// filter is case-insensitive), each <c>classification_*</c> score as a float doc value (sortable,
/// missing = 0), and the full JSON as a stored field, read back as the document.
/// </summary>
internal static class LuceneDocuments
{
    public const string IdField = "id";
    public const string IdSortField = "_id_sort";
    public const string SourceField = "_source";
    public const string GenreField = "genre";

    public static string NormalizeGenre(string genre) => genre.Trim().ToLowerInvariant();

    /// <summary>The live document with this id: a term lookup per segment, no scoring.</summary>
    public static CatalogDocument? Load(IndexSearcher searcher, string id)
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

    public static CatalogDocument FromLucene(Document stored) => CatalogJson.Parse(stored.Get(SourceField));

    public static Document ToLucene(CatalogDocument doc)
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

    /// <summary>A term of <paramref name="id"/>, for <c>UpdateDocument</c>.</summary>
    public static Term IdTerm(string id) => new(IdField, id);
}
