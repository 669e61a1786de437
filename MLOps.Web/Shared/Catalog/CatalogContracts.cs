using System.Text.Json;

namespace MLOps.Web.Shared.Catalog;

/// <summary>A catalog document (a movie). Unknown import fields are kept in <see cref="Extra"/>.</summary>
public sealed class CatalogDocument
{
    public required string Id { get; init; }
    public string Title { get; set; } = "";
    public string? Overview { get; set; }
    public string? Tagline { get; set; }
    public IReadOnlyList<string> Genres { get; set; } = [];
    public string? ReleaseDate { get; set; }

    /// <summary><c>classification_&lt;tag&gt;</c> -> score in [0,1].</summary>
    public Dictionary<string, float> Classifications { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Model version id that wrote the classification fields (<c>classification_model</c>).</summary>
    public string? ClassificationModel { get; set; }

    /// <summary>When the classification fields were written (<c>classified_at</c>).</summary>
    public DateTimeOffset? ClassifiedAt { get; set; }

    /// <summary>
    /// <c>classification_&lt;tag&gt;</c> -> the parts its score was made of (<see cref="ScorePartNames"/>:
    /// cosine, semantic z, BM25, match, fused...), stored with the document (<c>classified_parts</c>,
    /// not indexed) so that explanations can show them.
    /// </summary>
    public Dictionary<string, IReadOnlyDictionary<string, float>> ClassificationParts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Fields from the import that the catalog does not interpret, kept as they are.</summary>
    public Dictionary<string, JsonElement> Extra { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The text a classifier scores: title and overview (and tagline when present).</summary>
    public string ClassificationText =>
        string.Join(". ", new[] { Title, Tagline, Overview }.Where(s => !string.IsNullOrWhiteSpace(s)));
}

/// <summary>A bulk partial update of one document's classification fields.</summary>
/// <param name="Id">Document id.</param>
/// <param name="Scores">Field name (<c>classification_&lt;tag&gt;</c>) -> score to set.</param>
/// <param name="ModelId">Model version that produced the scores.</param>
/// <param name="ClassifiedAt">When.</param>
/// <param name="RemoveFields">Classification fields to remove (tags that left the trending set).</param>
/// <param name="Parts">Field -> the parts of its score (stored, not indexed); a scored field without parts loses its old ones.</param>
public sealed record ClassificationUpdate(
    string Id,
    IReadOnlyDictionary<string, float> Scores,
    string ModelId,
    DateTimeOffset ClassifiedAt,
    IReadOnlyList<string>? RemoveFields = null,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, float>>? Parts = null);

/// <summary>How to order search hits.</summary>
public enum SearchSortKind
{
    Relevance,
    Field,
    Trending,
}

/// <summary>A search against the catalog index. Field names are validated before they get here.</summary>
public sealed record SearchQuery
{
    public string? Text { get; init; }
    public string? Genre { get; init; }
    public SearchSortKind Sort { get; init; } = SearchSortKind.Relevance;

    /// <summary>For <see cref="SearchSortKind.Field"/>: a validated <c>classification_*</c> field, descending.</summary>
    public string? SortField { get; init; }

    /// <summary>For <see cref="SearchSortKind.Trending"/>: field -> weight of its classification score.</summary>
    public IReadOnlyDictionary<string, float>? FieldWeights { get; init; }

    /// <summary>For <see cref="SearchSortKind.Trending"/>: weight of the normalised text relevance.</summary>
    public float TextWeight { get; init; } = 1f;

    public int From { get; init; }
    public int Size { get; init; } = 10;
    public bool Explain { get; init; }
}

/// <summary>One hit.</summary>
public sealed record SearchHit(CatalogDocument Document, float Score, string? Explanation);

/// <summary>A page of hits and the total number of matches.</summary>
public sealed record SearchResult(long Total, IReadOnlyList<SearchHit> Hits);

/// <summary>A text searched for its words, at a weight (the score of its words is multiplied by it).</summary>
public sealed record WeightedText(string Text, float Weight);

/// <summary>A document's BM25 score for a lexical query.</summary>
public sealed record LexicalHit(string Id, float Score);

/// <summary>Which text fields a lexical query searches.</summary>
public enum LexicalFields
{
    /// <summary>Title (boost 1), overview and tagline, summed.</summary>
    All,

    /// <summary>The title alone (a document whose title names the tag).</summary>
    Title,
}

/// <summary>The catalog fields each <see cref="LexicalFields"/> scope searches, the same for every engine.</summary>
public static class LexicalFieldNames
{
    private static readonly string[] TitleOnly = [CatalogJson.Title];

    public static string[] Of(LexicalFields scope) => scope == LexicalFields.Title ? TitleOnly : CatalogQuerySyntax.TextFields;
}

/// <summary>The best hits of a lexical query (score descending, ties by id) and how many documents it matched in all.</summary>
public sealed record LexicalResult(IReadOnlyList<LexicalHit> Hits, long Total);

/// <summary>The search index behind the catalog: Lucene.Net (embedded) or Elasticsearch (NEST).</summary>
public interface ICatalogIndex
{
    /// <summary>Creates the index (mapping) when missing.</summary>
    Task EnsureCreatedAsync(CancellationToken cancellationToken);

    /// <summary>Upserts documents by id; classification fields already stored are kept.</summary>
    Task IndexAsync(IReadOnlyList<CatalogDocument> documents, CancellationToken cancellationToken);

    Task<CatalogDocument?> GetAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<CatalogDocument>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>One bulk partial update of classification fields; no per-document scripts.</summary>
    Task UpdateClassificationsAsync(IReadOnlyList<ClassificationUpdate> updates, CancellationToken cancellationToken);

    /// <summary>Every document id, in a stable order.</summary>
    IAsyncEnumerable<string> ScanIdsAsync(CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);

    Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Lexical evidence for relevance scoring: the top <paramref name="top"/> documents by BM25 of the
    /// weighted texts over title (boost 1), overview and tagline, summed over fields and over texts
    /// (each analysed word of a text is OR-ed; Elasticsearch: a <c>bool.should</c> of one
    /// <c>multi_match</c> of type <c>most_fields</c> per text, boosted by its weight). No genre filter,
    /// no user query syntax: the texts are plain words. <see cref="LexicalFields.Title"/> searches the
    /// title alone with the same words and weights.
    /// </summary>
    Task<LexicalResult> LexicalSearchAsync(IReadOnlyList<WeightedText> texts, int top, LexicalFields fields, CancellationToken cancellationToken);
}

/// <summary>A document of a bulk write the index refused (e.g. an Elasticsearch mapping error), and why.</summary>
public sealed record RejectedDocument(string Id, string Reason);

/// <summary>
/// Some documents of a bulk write were refused by the index; every other document of the batch was
/// written. Import reports each refused one against its line (or item) and goes on.
/// </summary>
public sealed class CatalogWriteRejectedException(IReadOnlyList<RejectedDocument> rejected, int batchSize)
    : Exception($"{rejected.Count} of {batchSize} documents were refused by the index; first: {rejected[0].Id}: {rejected[0].Reason}")
{
    public IReadOnlyList<RejectedDocument> Rejected { get; } = rejected;
}
