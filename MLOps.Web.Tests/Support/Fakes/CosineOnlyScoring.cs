using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>
/// The relevance pipeline switched off (fusion off, no feedback): scores are the model's calibrated
/// cosine, as before the pipeline existed. For tests whose figures are worked out by hand from given
/// cosines (the evaluation scenario), not from lexical evidence.
/// </summary>
public static class CosineOnlyScoring
{
    /// <summary>Host settings that switch the pipeline off (and the embedding cache, which the scenario's label-dependent fake embeddings must not share).</summary>
    public static Dictionary<string, string?> Settings => new()
    {
        ["Relevance:Fusion"] = "false",
        ["Relevance:Feedback"] = "Off",
        ["Reclassification:EmbeddingCache"] = "None",
    };

    public static RelevanceOptions Options => new() { Fusion = false, Feedback = FeedbackMethod.Off };

    public static PoolScorer PoolScorer(ICatalogIndex index)
    {
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        var cache = new NoEmbeddingCache();
        return new PoolScorer(new TagPlanner(index, cache, options, NullLogger<TagPlanner>.Instance), cache, options, new ConfigurationBuilder().Build());
    }
}
