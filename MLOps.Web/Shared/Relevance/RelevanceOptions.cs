namespace MLOps.Web.Shared.Relevance;

/// <summary>How the lexical evidence (BM25) is brought to a scale the fusion can add.</summary>
public enum LexicalNormalisation
{
    /// <summary>bm25 / (bm25 + median BM25 of the tag's hits): 0.5 at the median hit, saturating.</summary>
    Saturate,

    /// <summary>bm25 / best BM25 of the tag's hits.</summary>
    Max,
}

/// <summary>Pseudo-relevance feedback: how the hypothesis learns from the documents the first pass ranks most confidently.</summary>
public enum FeedbackMethod
{
    /// <summary>No feedback: the hypothesis is the template embedding(s).</summary>
    Off,

    /// <summary>Rocchio: h = normalise(h0 + weight × centroid of the top documents).</summary>
    Rocchio,

    /// <summary>Self-training: h = normalise(h0 + weight × w), w the shrinkage-LDA direction of the top documents against the statistics sample.</summary>
    SelfTraining,
}

/// <summary>
/// The tag-scoring pipeline's switches (section <c>Relevance</c>), read by the reclassification
/// planner and by in-memory evaluation, so both score the same way. The defaults are the measured
/// best configuration (README, "Relevance"; docs/benchmarks.md). Validated on start (<see cref="Validate"/>).
/// </summary>
public sealed class RelevanceOptions
{
    public const string SectionName = "Relevance";

    /// <summary>Fuse semantic and lexical evidence (false: the model's calibrated cosine, as before the pipeline).</summary>
    public bool Fusion { get; set; } = true;

    /// <summary>Added (in cosine standard deviations) when the document matches the tag's own words.</summary>
    public double MatchBonus { get; set; } = 2;

    /// <summary>Weight of the normalised BM25.</summary>
    public double LexicalWeight { get; set; } = 2;

    public LexicalNormalisation LexicalNormalisation { get; set; } = LexicalNormalisation.Max;

    /// <summary>Weight of match × ln(documents / lexical matches): a match bonus that grows as the tag word gets rarer (0 = off).</summary>
    public double MatchIdfWeight { get; set; }

    /// <summary>
    /// Weight of title_match (the tag's own words in the title), hand-set fusion only; negative discounts a
    /// BM25 earned by the title alone (0 = off, the default: −1 won on the 8 dev tags and lost on the 10
    /// held-out ones, docs/benchmarks.md). A trained version weighs title_match itself.
    /// </summary>
    public double TitleMatchWeight { get; set; }

    public FeedbackMethod Feedback { get; set; } = FeedbackMethod.Rocchio;

    /// <summary>First-pass documents the feedback learns from (k).</summary>
    public int FeedbackDocuments { get; set; } = 10;

    /// <summary>Weight of the feedback term against the template hypothesis (Rocchio's b; a is 1).</summary>
    public double FeedbackWeight { get; set; } = 1;

    /// <summary>Self-training only: shrinkage of the sample covariance towards its mean variance (1 = Rocchio with a negative centroid).</summary>
    public double SelfTrainingShrinkage { get; set; } = 0.5;

    /// <summary>Hypothesis templates (each with <c>{}</c>) averaged into one hypothesis; empty: the run's one template (<c>Reclassification:HypothesisTemplate</c> or the model's).</summary>
    public string[] Templates { get; set; } = [];

    /// <summary>Split the hashtag into words for the lexical query (#HeistMovies -> heist; filler words such as "movies" dropped).</summary>
    public bool SplitWords { get; set; } = true;

    /// <summary>Add morphological variants whose stem is new (boxing -> boxer) to the lexical query.</summary>
    public bool MorphologicalVariants { get; set; } = true;

    /// <summary>
    /// A derived variant (<see cref="LabelExpansion.Derivations"/>: -ing / -er / -ers; inflections are never
    /// checked) joins the lexical query only when it matches at most this many times the documents its
    /// word matches alone (0 = no check). It keeps a variant whose stem means something else out:
    /// "lovers" -> "loving" is analysed to "love" and matches 7.5 times what "lovers" does on TMDB.
    /// </summary>
    public double VariantFrequencyRatio { get; set; } = 4;

    /// <summary>Add the variants seen with the tag in the stream to the lexical query (kept out of the match test).</summary>
    public bool StreamVariants { get; set; } = true;

    /// <summary>Weight of each stream variant in the lexical query.</summary>
    public double StreamVariantWeight { get; set; } = 0.5;

    /// <summary>1 in this many documents (FNV-1a of the id) form the statistics sample.</summary>
    public int SampleEvery { get; set; } = 5;

    /// <summary>A catalog whose sample would hold fewer documents uses every document instead.</summary>
    public int MinimumSample { get; set; } = 200;

    /// <summary>BM25 hits kept in a tag's plan (a document beyond them counts as no lexical evidence).</summary>
    public int LexicalTopN { get; set; } = 1000;

    /// <summary>
    /// Calibration of the fused evidence: score = sigmoid(Alpha × fused + Beta) ≈ P(judged relevance ≥ 2),
    /// fitted by <c>bench relevance</c> on the dev and held-out judgments (18 tags) for the default switches
    /// (leave-one-tag-out 1.64..1.68 / −8.66..−8.44). Changing other switches changes the fused scale: refit it then.
    /// </summary>
    public double Alpha { get; set; } = 1.65;

    public double Beta { get; set; } = -8.51;

    /// <summary>Every bad value, each message naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Range(string key, double value, double min, double max)
        {
            if (!double.IsFinite(value) || value < min || value > max)
            {
                errors.Add($"{SectionName}:{key} must be between {min} and {max}; it is {value}.");
            }
        }

        Range(nameof(MatchBonus), MatchBonus, 0, 100);
        Range(nameof(LexicalWeight), LexicalWeight, 0, 100);
        Range(nameof(MatchIdfWeight), MatchIdfWeight, 0, 100);
        Range(nameof(TitleMatchWeight), TitleMatchWeight, -100, 100);
        Range(nameof(FeedbackDocuments), FeedbackDocuments, 1, 1000);
        Range(nameof(FeedbackWeight), FeedbackWeight, 0, 100);
        Range(nameof(SelfTrainingShrinkage), SelfTrainingShrinkage, 0.001, 1);
        Range(nameof(StreamVariantWeight), StreamVariantWeight, 0, 10);
        Range(nameof(VariantFrequencyRatio), VariantFrequencyRatio, 0, 1000);
        Range(nameof(SampleEvery), SampleEvery, 1, 1000);
        Range(nameof(MinimumSample), MinimumSample, 1, 1_000_000);
        Range(nameof(LexicalTopN), LexicalTopN, 1, 10_000);
        Range(nameof(Alpha), Alpha, 1e-6, 1000);
        Range(nameof(Beta), Beta, -1000, 1000);
        if (!Enum.IsDefined(LexicalNormalisation))
        {
            errors.Add($"{SectionName}:{nameof(LexicalNormalisation)} must be Saturate or Max.");
        }

        if (!Enum.IsDefined(Feedback))
        {
            errors.Add($"{SectionName}:{nameof(Feedback)} must be Off, Rocchio or SelfTraining.");
        }

        for (var i = 0; i < Templates.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(Templates[i]) || !Templates[i].Contains("{}", StringComparison.Ordinal))
            {
                errors.Add($"{SectionName}:{nameof(Templates)}:{i} must contain {{}} where the label goes; it is '{Templates[i]}'.");
            }
        }

        return errors;
    }

    /// <summary>A copy (the bench and tests change one switch at a time).</summary>
    public RelevanceOptions Clone()
    {
        var copy = (RelevanceOptions)MemberwiseClone();
        copy.Templates = [.. Templates];
        return copy;
    }
}
