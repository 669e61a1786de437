using System.ComponentModel.DataAnnotations;

namespace MLOps.Web.Features.Classification;

/// <summary>Limits of the classify API (section <c>Classification</c>).</summary>
public sealed class ClassificationOptions
{
    public const string SectionName = "Classification";

    /// <summary>Longest sequence accepted, in characters (the model reads only its first max_tokens tokens).</summary>
    [Range(1, 1_000_000)]
    public int MaxSequenceChars { get; set; } = 20_000;

    [Range(1, 1000)]
    public int MaxLabels { get; set; } = 100;

    [Range(1, 1000)]
    public int MaxLabelChars { get; set; } = 100;

    /// <summary>Most sequences in one <c>/api/classify/batch</c> request.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSequences { get; set; } = 256;
}
