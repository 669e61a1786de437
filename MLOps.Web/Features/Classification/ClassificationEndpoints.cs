using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Models;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Features.Classification;

/// <summary><c>POST /api/classify</c> and <c>/api/classify/batch</c>.</summary>
public static class ClassificationEndpoints
{
    public static IHostApplicationBuilder AddClassification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClassificationOptions>()
            .BindConfiguration(ClassificationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddKServeErrorField();
        return builder;
    }

    public static WebApplication MapClassificationEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/api/classify").WithTags("Classification")
            .RequireReader() // stateless: scores text, changes nothing
            .RequireRateLimit(RateLimits.Classify);
        group.MapPost("", ClassifyAsync)
            .WithName("Classify")
            .WithSummary("Zero-shot classification of one sequence (Hugging Face pipeline shape): labels sorted by score, descending. Hashtags are valid labels. One label is always scored multi-label, as in the pipeline; multi_label in the answer says which mode was used.")
            .WithRequestExample("""
                {"sequence": "A father hunts for a sold-out toy for his son on Christmas Eve.", "labels": ["christmas", "basketball", "#ChristmasMovies"], "multi_label": true, "hypothesis_template": "This example is {}."}
                """);
        group.MapPost("/batch", ClassifyBatchAsync)
            .WithName("ClassifyBatch")
            .WithSummary("Zero-shot classification of many sequences against one label set.")
            .WithRequestExample("""
                {"sequences": ["A clownfish is lost in the ocean.", "Cartoon characters play basketball against aliens."], "labels": ["ocean", "basketball", "space"], "multi_label": true}
                """);
        return app;
    }

    /// <summary>One sequence; also serves the reference service's <c>POST /classify</c>.</summary>
    internal static async Task<Results<Ok<ClassifyResponse>, ValidationProblem>> ClassifyAsync(
        ClassifyRequest request, IScorerProvider scorers, IOptions<ClassificationOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ClassifyInput.Sequence(request.Sequence, "sequence", options.Value, errors);
        ClassifyInput.Labels(request.Labels, request.HypothesisTemplate, options.Value, errors);
        var multiLabel = ClassifyInput.Mode(request.MultiLabel, request.MultiClass, request.Labels, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        using var lease = await scorers.AcquireAsync(string.IsNullOrWhiteSpace(request.Model) ? null : request.Model, cancellationToken);
        var results = await ClassifyScoring.ScoreAsync(lease.Scorer, [request.Sequence!], request.Labels!, multiLabel, request.HypothesisTemplate, cancellationToken);
        return TypedResults.Ok(results[0]);
    }

    private static async Task<Results<Ok<ClassifyBatchResponse>, ValidationProblem>> ClassifyBatchAsync(
        ClassifyBatchRequest request, IScorerProvider scorers, IOptions<ClassificationOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ClassifyInput.Sequences(request.Sequences, "sequences", options.Value, errors);
        ClassifyInput.Labels(request.Labels, request.HypothesisTemplate, options.Value, errors);
        var multiLabel = ClassifyInput.Mode(request.MultiLabel, request.MultiClass, request.Labels, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        using var lease = await scorers.AcquireAsync(string.IsNullOrWhiteSpace(request.Model) ? null : request.Model, cancellationToken);
        var results = await ClassifyScoring.ScoreAsync(lease.Scorer, request.Sequences!, request.Labels!, multiLabel, request.HypothesisTemplate, cancellationToken);
        return TypedResults.Ok(new ClassifyBatchResponse(lease.Scorer.Model.Id, results));
    }
}
