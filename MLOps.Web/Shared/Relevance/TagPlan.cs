using System.Text.Json.Serialization;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Shared.Relevance;

/// <summary>
/// What the plan step computes once per tag and every chunk scores from (stored with the run, so a
/// chunk on any replica scores the same way): the final hypothesis and its cosine statistics over the
/// sample, the lexical hits (id -> BM25) and their median, which hits match the tag's own words, the
/// fusion model, and, for the record, what was searched and which documents the feedback used.
/// </summary>
public sealed record TagPlan
{
    public required string Tag { get; init; }
    public required string Label { get; init; }
    public required string Field { get; init; }

    public required FusionModel Fusion { get; init; }

    /// <summary>The hypothesis every document's cosine is taken with (L2-normalised; after feedback).</summary>
    public required float[] Hypothesis { get; init; }

    /// <summary>The hypothesis texts (one per template) embedded for it.</summary>
    public IReadOnlyList<string> Hypotheses { get; init; } = [];

    /// <summary>Mean and population standard deviation of the cosine with <see cref="Hypothesis"/> over the sample.</summary>
    public float Mean { get; init; }
    public float Std { get; init; } = 1f;

    /// <summary>Lexical hits: document id -> BM25 of the lexical query (the top <see cref="RelevanceOptions.LexicalTopN"/>).</summary>
    public IReadOnlyDictionary<string, float> Lexical { get; init; } = new Dictionary<string, float>(StringComparer.Ordinal);

    /// <summary>Hits of the core query (the tag's own words); null: the same as <see cref="Lexical"/> (no stream variants).</summary>
    public IReadOnlyList<string>? CoreMatches { get; init; }

    /// <summary>Documents whose title matches the core query (the top <see cref="RelevanceOptions.LexicalTopN"/>); null: not searched (a plan stored before title matches).</summary>
    public IReadOnlyList<string>? TitleMatches { get; init; }

    /// <summary>How many documents the core query matched in all (may exceed the hits kept).</summary>
    public long LexicalMatches { get; init; }

    public float Bm25Median { get; init; }
    public float Bm25Max { get; init; }

    /// <summary>Documents in the catalog when planned (for match_idf).</summary>
    public long CatalogSize { get; init; }

    public IReadOnlyList<WeightedText> LexicalQuery { get; init; } = [];

    /// <summary>The derived variants checked against the catalog, kept or left out (<see cref="RelevanceOptions.VariantFrequencyRatio"/>).</summary>
    public IReadOnlyList<VariantCheck> VariantChecks { get; init; } = [];

    public FeedbackMethod Feedback { get; init; }

    /// <summary>The first-pass documents the feedback learned from, best first.</summary>
    public IReadOnlyList<string> FeedbackDocuments { get; init; } = [];

    public int SampleSize { get; init; }

    /// <summary>True when the document matches the tag's own words.</summary>
    public bool IsMatch(string id) => CoreMatches is null ? Lexical.ContainsKey(id) : (_core ??= [.. CoreMatches]).Contains(id);

    /// <summary>True when the document's title matches the tag's own words.</summary>
    public bool IsTitleMatch(string id) => TitleMatches is not null && (_title ??= [.. TitleMatches]).Contains(id);

    [JsonIgnore]
    private HashSet<string>? _core;

    [JsonIgnore]
    private HashSet<string>? _title;
}

/// <summary>A tag to plan: the trending key, the label the model sees, the field written, and the variants seen with it in the stream.</summary>
public sealed record TagToPlan(string Tag, string Label, string Field, IReadOnlyList<string>? StreamVariants = null);

/// <summary>One run's (or one evaluation's) planning input.</summary>
/// <param name="Scorer">The embedding model version every document is scored with.</param>
/// <param name="Tags">The tags to plan.</param>
/// <param name="DocumentIds">Every document id of the catalog (the statistics sample is drawn from them).</param>
/// <param name="HypothesisTemplate">The run's template when <see cref="RelevanceOptions.Templates"/> is empty; null: the model's.</param>
public sealed record TagPlanRequest(IEmbeddingScorer Scorer, IReadOnlyList<TagToPlan> Tags, IReadOnlyList<string> DocumentIds, string? HypothesisTemplate)
{
    /// <summary>The switches; null: the configured <c>Relevance</c> section.</summary>
    public RelevanceOptions? Options { get; init; }

    /// <summary>The fusion the plan scores with; null: the one the options describe (<see cref="FusionModel.FromOptions"/>). A trained version passes its own. The first pass of feedback ranks by <see cref="FusionModel.FirstPass"/> either way.</summary>
    public FusionModel? Fusion { get; init; }
}

/// <summary>The plans of a request, and what planning cost (documents embedded because they were not cached, cache hits, wall time).</summary>
public sealed record TagPlanBatch(IReadOnlyList<TagPlan> Plans, int Embedded, int CacheHits, double Milliseconds);

/// <summary>
/// The plan step: per tag, the lexical query against the catalog index, the hypothesis embedding, the
/// statistics sample's cached embeddings, the first pass, feedback and the final statistics. Implemented
/// by Features/Relevance; used by reclassification runs and in-memory evaluation.
/// </summary>
public interface ITagPlanner
{
    Task<TagPlanBatch> PlanAsync(TagPlanRequest request, CancellationToken cancellationToken);
}

/// <summary>A plan as the runs API shows it: what was searched, what the plan found, how it fuses.</summary>
public sealed record TagPlanSummary(
    string Tag,
    string Field,
    IReadOnlyList<string> Hypotheses,
    IReadOnlyList<WeightedText> LexicalQuery,
    int LexicalHits,
    long LexicalMatches,
    float Bm25Median,
    string Feedback,
    IReadOnlyList<string> FeedbackDocuments,
    float Mean,
    float Std,
    int SampleSize,
    IReadOnlyDictionary<string, double> FusionWeights,
    double Alpha,
    double Beta,
    bool ModelCalibration)
{
    /// <summary>The derived variants checked against the catalog: kept in <see cref="LexicalQuery"/>, or left out because they match too many documents.</summary>
    public IReadOnlyList<VariantCheck> VariantChecks { get; init; } = [];

    public static TagPlanSummary Of(TagPlan p) => new(
        p.Tag, p.Field, p.Hypotheses, p.LexicalQuery, p.Lexical.Count, p.LexicalMatches, p.Bm25Median, p.Feedback.ToString(),
        p.FeedbackDocuments, p.Mean, p.Std, p.SampleSize, p.Fusion.Weights, p.Fusion.Alpha, p.Fusion.Beta, p.Fusion.ModelCalibration)
    {
        VariantChecks = p.VariantChecks,
    };
}
