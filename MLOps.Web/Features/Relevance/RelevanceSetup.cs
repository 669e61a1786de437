using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Features.Relevance;

/// <summary>Registers the tag-scoring pipeline: the <c>Relevance</c> options (validated on start) and the planner.</summary>
public static class RelevanceSetup
{
    public static IHostApplicationBuilder AddRelevance(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelevanceOptions>().BindConfiguration(RelevanceOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RelevanceOptions>, RelevanceOptionsValidation>();
        builder.Services.AddSingleton<ITagPlanner, TagPlanner>();

        // Planning reads cached embeddings; without the reclassification feature's cache (registered before or after, it wins) nothing is cached.
        builder.Services.TryAddSingleton<IEmbeddingCache, NoEmbeddingCache>();
        return builder;
    }
}

/// <summary>Every bad <c>Relevance</c> value fails the start, each message naming its key.</summary>
internal sealed class RelevanceOptionsValidation : IValidateOptions<RelevanceOptions>
{
    public ValidateOptionsResult Validate(string? name, RelevanceOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
