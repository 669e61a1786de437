using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Classification;

/// <summary>Zero-shot request, as the Hugging Face pipeline takes it.</summary>
public sealed record ClassifyRequest(
    [property: JsonPropertyName("sequence")] string? Sequence,
    [property: JsonPropertyName("labels")] IReadOnlyList<string>? Labels,
    [property: JsonPropertyName("multi_label")] bool MultiLabel = false,
    [property: JsonPropertyName("hypothesis_template")] string? HypothesisTemplate = null,
    [property: JsonPropertyName("model")] string? Model = null);

/// <summary>Many sequences against one label set.</summary>
public sealed record ClassifyBatchRequest(
    [property: JsonPropertyName("sequences")] IReadOnlyList<string>? Sequences,
    [property: JsonPropertyName("labels")] IReadOnlyList<string>? Labels,
    [property: JsonPropertyName("multi_label")] bool MultiLabel = false,
    [property: JsonPropertyName("hypothesis_template")] string? HypothesisTemplate = null,
    [property: JsonPropertyName("model")] string? Model = null);

/// <summary>The Hugging Face pipeline's answer: labels sorted by score, descending.</summary>
public sealed record ClassifyResponse(
    [property: JsonPropertyName("sequence")] string Sequence,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("scores")] IReadOnlyList<float> Scores,
    [property: JsonPropertyName("model")] string Model);

public sealed record ClassifyBatchResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("results")] IReadOnlyList<ClassifyResponse> Results);

/// <summary><c>POST /api/classify</c> and <c>/api/classify/batch</c>.</summary>
public static class ClassificationEndpoints
{
    public static IHostApplicationBuilder AddClassification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClassificationOptions>()
            .BindConfiguration(ClassificationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return builder;
    }

    public static WebApplication MapClassificationEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/api/classify").WithTags("Classification");
        group.MapPost("", ClassifyAsync)
            .WithName("Classify")
            .WithSummary("Zero-shot classification of one sequence (Hugging Face pipeline shape): labels sorted by score, descending. Hashtags are valid labels.")
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

    private static async Task<Results<Ok<ClassifyResponse>, ValidationProblem>> ClassifyAsync(
        ClassifyRequest request, IScorerProvider scorers, IOptions<ClassificationOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ValidateSequence(request.Sequence, "sequence", options.Value, errors);
        ValidateLabels(request.Labels, request.HypothesisTemplate, options.Value, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        using var lease = await scorers.AcquireAsync(string.IsNullOrWhiteSpace(request.Model) ? null : request.Model, cancellationToken);
        var scores = await lease.Scorer.ScoreAsync([request.Sequence!], request.Labels!, new ZeroShotOptions(request.MultiLabel, request.HypothesisTemplate), cancellationToken);
        return TypedResults.Ok(Sorted(request.Sequence!, request.Labels!, scores[0], lease.Scorer.Model.Id));
    }

    private static async Task<Results<Ok<ClassifyBatchResponse>, ValidationProblem>> ClassifyBatchAsync(
        ClassifyBatchRequest request, IScorerProvider scorers, IOptions<ClassificationOptions> options, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var errors = new Dictionary<string, string[]>();
        if (request.Sequences is not { Count: > 0 })
        {
            errors["sequences"] = ["At least one sequence is required."];
        }
        else if (request.Sequences.Count > limits.MaxBatchSequences)
        {
            errors["sequences"] = [$"At most {limits.MaxBatchSequences} sequences per request."];
        }
        else
        {
            for (var i = 0; i < request.Sequences.Count; i++)
            {
                ValidateSequence(request.Sequences[i], $"sequences[{i}]", limits, errors);
            }
        }

        ValidateLabels(request.Labels, request.HypothesisTemplate, limits, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        using var lease = await scorers.AcquireAsync(string.IsNullOrWhiteSpace(request.Model) ? null : request.Model, cancellationToken);
        var scores = await lease.Scorer.ScoreAsync(request.Sequences!, request.Labels!, new ZeroShotOptions(request.MultiLabel, request.HypothesisTemplate), cancellationToken);
        var results = new ClassifyResponse[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            results[i] = Sorted(request.Sequences![i], request.Labels!, scores[i], lease.Scorer.Model.Id);
        }

        return TypedResults.Ok(new ClassifyBatchResponse(lease.Scorer.Model.Id, results));
    }

    private static ClassifyResponse Sorted(string sequence, IReadOnlyList<string> labels, float[] scores, string model)
    {
        var order = Enumerable.Range(0, labels.Count).OrderByDescending(i => scores[i]).ToArray();
        return new ClassifyResponse(sequence, [.. order.Select(i => labels[i])], [.. order.Select(i => scores[i])], model);
    }

    private static void ValidateSequence(string? sequence, string field, ClassificationOptions limits, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(sequence))
        {
            errors[field] = ["The sequence must not be empty."];
        }
        else if (sequence.Length > limits.MaxSequenceChars)
        {
            errors[field] = [$"The sequence has {sequence.Length} characters; at most {limits.MaxSequenceChars} are accepted."];
        }
    }

    private static void ValidateLabels(IReadOnlyList<string>? labels, string? template, ClassificationOptions limits, Dictionary<string, string[]> errors)
    {
        LabelNaming.ValidateLabels(labels, limits.MaxLabels, limits.MaxLabelChars, requireFieldName: false, errors);

        if (template is not null && !template.Contains("{}", StringComparison.Ordinal))
        {
            errors["hypothesis_template"] = ["The template must contain {} where the label goes, e.g. \"This example is {}.\"."];
        }
    }
}
