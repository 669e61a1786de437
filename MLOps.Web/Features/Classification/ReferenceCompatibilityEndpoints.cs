using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Models;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Features.Classification;

/// <summary>
/// Routes of the reference Python classifier this service replaces, so its clients keep working:
/// <c>POST /classify</c> and <c>GET /status</c> (<c>data-scripts/2-classify.sh</c>), and the KServe v1
/// protocol of <c>kserving.py</c>. Same validation, limits, scoring and ProblemDetails as
/// <c>/api/classify</c> (the /v1 problems also carry KServe's <c>error</c>, see <see cref="KServeErrors"/>).
/// </summary>
public static class ReferenceCompatibilityEndpoints
{
    public const string Tag = "Reference compatibility";

    public static WebApplication MapReferenceCompatibilityEndpoints(this WebApplication app)
    {
        app.MapPost("/classify", ClassificationEndpoints.ClassifyAsync)
            .WithTags(Tag)
            .WithName("ReferenceClassify")
            .RequireReader() // stateless, as /api/classify
            .RequireRateLimit(RateLimits.Classify)
            .WithSummary("The reference service's POST /classify: {sequence, labels[, multi_label|multi_class]} -> the pipeline's {sequence, labels, scores} (plus model and multi_label). Same as /api/classify.")
            .WithRequestExample("""{"sequence": "Cartoon characters team up with a basketball star to play against aliens.", "labels": ["christmas"]}""");
        app.MapGet("/status", () => TypedResults.Text("alive", "text/plain"))
            .AllowAnonymous() // a liveness check, as /healthz
            .WithTags(Tag)
            .WithName("ReferenceStatus")
            .WithSummary("The reference service's liveness check: answers alive (plain text).")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");

        var v1 = app.MapGroup("/v1/models").WithTags(Tag);
        v1.MapGet("", (IModelRegistry registry) => TypedResults.Ok(new KServeModelList(KServeModelNames.List(registry.List()))))
            .WithName("KServeListModels")
            .WithSummary("KServe v1: the model names served (zero-shot-classifier = the active version, and every registered name).");
        v1.MapGet("/{name}", ModelReadyAsync)
            .WithName("KServeModelReady")
            .WithSummary("KServe v1: whether a model (zero-shot-classifier, a registered name or name@version) can serve now; 404 for an unknown name.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        v1.MapPost("/{name}:predict", PredictAsync)
            .WithName("KServePredict")
            .RequireReader() // stateless, as /api/classify
            .RequireRateLimit(RateLimits.Classify)
            .WithSummary("KServe v1 predict: {instances: [{sequence, labels[, multi_label|multi_class, hypothesis_template]}]} -> {predictions: [pipeline dict per instance]}.")
            .WithRequestExample("""{"instances": [{"sequence": "Cartoon characters team up with a basketball star to play against aliens.", "labels": ["christmas"]}]}""")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Ok<KServeModelReady>> ModelReadyAsync(string name, IModelRegistry registry, IScorerProvider scorers, CancellationToken cancellationToken)
    {
        var modelId = Resolve(name, registry, scorers);
        try
        {
            // a lease loads a registered version on first ask, as /api/classify's model does
            using var lease = await scorers.AcquireAsync(modelId, cancellationToken);
            return TypedResults.Ok(new KServeModelReady(name, true));
        }
        catch (Exception e) when (e is ModelUnavailableException or ModelUnusableException)
        {
            return TypedResults.Ok(new KServeModelReady(name, false));
        }
    }

    private static async Task<Results<Ok<PredictResponse>, ValidationProblem>> PredictAsync(
        string name, PredictRequest request, IModelRegistry registry, IScorerProvider scorers, IOptions<ClassificationOptions> options, CancellationToken cancellationToken)
    {
        var modelId = Resolve(name, registry, scorers);
        var errors = new Dictionary<string, string[]>();
        var modes = ValidateInstances(request.Instances, options.Value, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var instances = request.Instances!;
        var predictions = new ClassifyResponse[instances.Count];
        using var lease = await scorers.AcquireAsync(modelId, cancellationToken);
        // instances with the same labels and mode are scored in one call (one batched inference)
        foreach (var group in Enumerable.Range(0, instances.Count).GroupBy(i => GroupKey(instances[i]!, modes[i]), StringComparer.Ordinal))
        {
            var first = instances[group.First()]!;
            var sequences = group.Select(i => instances[i]!.Sequence!).ToList();
            var results = await ClassifyScoring.ScoreAsync(lease.Scorer, sequences, first.Labels!, modes[group.First()], first.HypothesisTemplate, cancellationToken);
            foreach (var (index, result) in group.Zip(results))
            {
                predictions[index] = result;
            }
        }

        return TypedResults.Ok(new PredictResponse(predictions));
    }

    private static string? Resolve(string name, IModelRegistry registry, IScorerProvider scorers) =>
        name == KServeModelNames.Default ? null // the active version, without listing the registry folder
        : KServeModelNames.TryResolve(name, registry.List(), scorers.ActiveModelId, out var modelId) ? modelId
        : throw ProblemException.NotFound($"Model '{name}' is not served here: use {KServeModelNames.Default}, a registered model name or name@version (GET /v1/models).");

    /// <summary>Each instance validated like an <c>/api/classify</c> body, fields named <c>instances[i].…</c>; returns each one's mode.</summary>
    private static bool[] ValidateInstances(IReadOnlyList<PredictInstance?>? instances, ClassificationOptions limits, Dictionary<string, string[]> errors)
    {
        if (!ClassifyInput.Count(instances?.Count, "instances", "instance", limits, errors))
        {
            return [];
        }

        var modes = new bool[instances!.Count];
        for (var i = 0; i < instances.Count; i++)
        {
            var prefix = $"instances[{i}].";
            if (instances[i] is not { } instance)
            {
                errors[$"instances[{i}]"] = ["An instance must be an object {\"sequence\": ..., \"labels\": [...]}."];
                continue;
            }

            ClassifyInput.Sequence(instance.Sequence, prefix + "sequence", limits, errors);
            ClassifyInput.Labels(instance.Labels, instance.HypothesisTemplate, limits, errors, prefix);
            modes[i] = ClassifyInput.Mode(instance.MultiLabel, instance.MultiClass, instance.Labels, errors, prefix);
        }

        return modes;
    }

    private static string GroupKey(PredictInstance instance, bool multiLabel) =>
        string.Join('\u001f', [multiLabel ? "1" : "0", instance.HypothesisTemplate ?? "\u0000", .. instance.Labels!]);
}
