using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Security;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

/// <summary>The models API: list, register (folder path or zip upload), promote, rollback, and evaluate/calibrate one version.</summary>
public static class ModelsEndpoints
{
    public static WebApplication MapModelsEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/api/models").WithTags("Models");

        group.MapGet("", List)
            .WithName("ListModels")
            .WithSummary("Every registered model version, with the active one flagged, its kind, sha256 and source.");

        var maxUpload = (long)app.Services.GetRequiredService<IOptions<ModelsOptions>>().Value.MaxUploadMegabytes << 20;
        group.MapPost("", RegisterAsync)
            .WithName("RegisterModel")
            .WithSummary("Registers a model: JSON {\"path\": \"my-model\"} naming a folder in the model import directory (Models:ImportDirectory, default <data>/incoming), or a multipart upload (field 'file') of a zip with model.onnx, tokenizer files and mlops-model.json or a Hugging Face config.json. The package is loaded and smoke-tested first; a broken one is refused with the reason and nothing active changes.")
            .Accepts<RegisterModelRequest>("application/json", "multipart/form-data")
            .WithRequestExample("""{"path": "my-mnli-model"}""")
            .WithMetadata(new RequestSizeLimitAttribute(maxUpload))
            .WithFormOptions(multipartBodyLengthLimit: maxUpload)
            .DisableAntiforgery()
            .RequireOperator();

        group.MapPost("/{id}/promote", PromoteAsync)
            .WithName("PromoteModel")
            .WithSummary("Makes a version the active one, atomically and without a restart; requests in flight finish on the old version.")
            .WithRequestExample("""{"reason": "beats the champion on NDCG@10"}""")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireOperator();

        group.MapPost("/rollback", RollbackAsync)
            .WithName("RollbackModel")
            .WithSummary("Re-activates the previously active version.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireOperator();

        MapDerivedVersionRoutes(group);
        return app;
    }

    /// <summary>Routes that make a new version from an existing one (quantize, train) or measure one (evaluate, calibrate): each an operator's job, rate-limited as a job.</summary>
    private static void MapDerivedVersionRoutes(RouteGroupBuilder group)
    {
        group.MapPost("/{id}/quantize", QuantizeAsync)
            .WithName("QuantizeModel")
            .WithSummary("Writes the int8 copy of a version (dynamic quantization of its MatMul/Gemm weights: int8 per output channel, activations uint8 at run time) as a new version of '<name>-int8'. It is loaded, smoke-tested and its embeddings checked against the source's (cosine >= 0.98) before it is registered; it does not become active, and champion/challenger evaluates it like any new version.")
            .Produces<ModelInfo>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireOperator()
            .RequireRateLimit(RateLimits.Jobs);

        group.MapPost("/{id}/train", TrainAsync)
            .WithName("TrainModel")
            .WithSummary("Enqueues the 'train-model' job: learns the fusion weights of the version's tag scores from the judgment sets (coordinate ascent on NDCG@10 from the hand-set weights or a pairwise ranker, whichever wins leave-one-tag-out over the training sets; a given l2 fits the pairwise ranker; Platt calibration) and registers them as a new version '{name}@{n+1}' (model.onnx untouched, fusion.json added, lineage in its manifest). Body optional: {\"train\": [sets], \"hold_back\": [sets], \"seed\": 17, \"l2\": 1}. Answers 202 with the job id and its dashboard link; the new version is not activated.")
            .WithRequestExample("""{"hold_back": ["dev-heist"], "seed": 17}""")
            .Produces<TrainingEnqueued>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireOperator()
            .RequireRateLimit(RateLimits.Jobs);

        group.MapPost("/{id}/evaluate", EvaluateModelAsync)
            .WithName("EvaluateModel")
            .WithSummary("Evaluates a model version on every judgment set (the active one on the live index, others in memory).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireOperator()
            .RequireRateLimit(RateLimits.Jobs);
        group.MapPost("/{id}/calibrate", CalibrateModelAsync)
            .WithName("CalibrateModel")
            .WithSummary("Fits an embedding model's logistic cosine-to-[0,1] calibration from the judgments and registers it as a new version.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireOperator()
            .RequireRateLimit(RateLimits.Jobs);
    }

    private static Ok<ModelInfo[]> List(ModelStore store, LoadedModelCache cache) => TypedResults.Ok(ModelInfos.Describe(store, cache.ActiveModelId));

    private static async Task<Results<Created<ModelInfo>, ValidationProblem>> RegisterAsync(
        HttpRequest request, ModelLifecycle lifecycle, ModelStore store, LoadedModelCache cache, ModelImportDirectory imports,
        DataDirectory data, IOptions<ModelsOptions> options, CancellationToken cancellationToken)
    {
        ModelDescriptor registered;
        if (request.HasFormContentType)
        {
            var (file, problem) = await ModelUpload.ReadFileAsync(request, cancellationToken);
            if (problem is not null)
            {
                return Invalid("file", problem);
            }

            registered = await ModelUpload.RegisterAsync(file!, lifecycle, (long)options.Value.MaxUploadMegabytes << 20, data.Resolve("tmp"), cancellationToken);
        }
        else
        {
            var (body, invalid) = await ReadRegisterRequestAsync(request, cancellationToken);
            if (invalid is not null)
            {
                return invalid;
            }

            var (folder, display) = imports.Resolve(body!);
            registered = await lifecycle.RegisterAsync(folder, display, [imports.Root], cancellationToken);
        }

        var info = ModelInfos.Describe(store, cache.ActiveModelId).First(m => m.Id == registered.Id);
        return TypedResults.Created($"/api/models/{Uri.EscapeDataString(info.Id)}", info);
    }

    /// <summary>The folder path of a JSON registration, or the validation problem of a body that names none.</summary>
    private static async Task<(string? Path, ValidationProblem? Invalid)> ReadRegisterRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        RegisterModelRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<RegisterModelRequest>(cancellationToken);
        }
        catch (System.Text.Json.JsonException e)
        {
            return (null, Invalid("body", $"Invalid JSON: {e.Message}"));
        }
        catch (InvalidOperationException)
        {
            return (null, Invalid("body", "Send JSON {\"path\": ...} or a multipart zip upload."));
        }

        return string.IsNullOrWhiteSpace(body?.Path)
            ? (null, Invalid("path", "The model folder path is required."))
            : (body.Path, null);
    }

    private static async Task<Ok<ModelInfo>> PromoteAsync(
        string id, ModelLifecycle lifecycle, ModelStore store, LoadedModelCache cache, CancellationToken cancellationToken, PromoteModelRequest? body = null)
    {
        await lifecycle.PromoteAsync(id, body?.Reason ?? "promoted through the API", cancellationToken);
        return TypedResults.Ok(ModelInfos.Describe(store, cache.ActiveModelId).First(m => m.Id == id));
    }

    private static async Task<Created<ModelInfo>> QuantizeAsync(
        string id, ModelLifecycle lifecycle, ModelStore store, LoadedModelCache cache, CancellationToken cancellationToken)
    {
        var created = await lifecycle.QuantizeAsync(id, cancellationToken);
        var info = ModelInfos.Describe(store, cache.ActiveModelId).First(m => m.Id == created.Id);
        return TypedResults.Created($"/api/models/{Uri.EscapeDataString(info.Id)}", info);
    }

    private static async Task<Accepted<TrainingEnqueued>> TrainAsync(
        string id, [FromServices] IModelTraining training, CancellationToken cancellationToken, TrainRequest? body = null)
    {
        var enqueued = await training.EnqueueAsync(id, body ?? new TrainRequest(), cancellationToken);
        return TypedResults.Accepted(enqueued.Dashboard, enqueued);
    }

    private static async Task<Ok<RollbackResponse>> RollbackAsync(ModelLifecycle lifecycle, ModelStore store, CancellationToken cancellationToken)
    {
        var active = await lifecycle.RollbackAsync(cancellationToken);
        return TypedResults.Ok(new RollbackResponse(active, store.ReadState().Previous));
    }

    private static async Task<Results<Ok<ModelEvaluationResponse>, ValidationProblem, ProblemHttpResult>> EvaluateModelAsync(
        string id,
        int? k,
        string? mode,
        IModelRegistry registry,
        IModelEvaluations evaluations,
        CancellationToken cancellationToken)
    {
        if (k is < 1 or > 1000)
        {
            return Invalid("k", "k must be between 1 and 1000.");
        }

        EvaluationMode? parsedMode = null;
        if (!string.IsNullOrWhiteSpace(mode))
        {
            parsedMode = ParseMode(mode);
            if (parsedMode is null)
            {
                return Invalid("mode", "mode is 'index' or 'in_memory'.");
            }
        }

        if (!registry.List().Any(m => m.Id == id))
        {
            return NotRegistered(id);
        }

        return TypedResults.Ok(await evaluations.EvaluateAsync(id, k, parsedMode, cancellationToken));
    }

    private static async Task<Results<Ok<CalibrationResult>, ProblemHttpResult>> CalibrateModelAsync(
        string id, IModelRegistry registry, IModelEvaluations evaluations, CancellationToken cancellationToken)
    {
        if (!registry.List().Any(m => m.Id == id))
        {
            return NotRegistered(id);
        }

        return TypedResults.Ok(await evaluations.CalibrateAsync(id, cancellationToken));
    }

    private static EvaluationMode? ParseMode(string mode) => mode.Replace("-", "_", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "index" => EvaluationMode.Index,
        "in_memory" => EvaluationMode.InMemory,
        _ => null,
    };

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static ProblemHttpResult NotRegistered(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No model version '{id}' is registered.");
}
