using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Features.Evaluation;

/// <summary>Body of <c>POST /api/evaluations</c>.</summary>
/// <param name="Set">Judgment set name.</param>
/// <param name="Model">Model version id; null: the active version.</param>
/// <param name="K">Cut-off; null: <c>Evaluation:DefaultK</c> (10).</param>
/// <param name="Mode"><c>index</c> (the live search path; active version only) or <c>in_memory</c>; null: index for the active version, in memory for others.</param>
public sealed record EvaluationRequest(string? Set, string? Model, int? K, EvaluationMode? Mode);

/// <summary>The champion/challenger job that will run; <paramref name="Coalesced"/> when it was already pending.</summary>
public sealed record JobEnqueued(string JobId, string Dashboard, bool Coalesced = false);

/// <summary>Judgments, evaluations and decisions (the per-model evaluate/calibrate actions are mapped with the models API).</summary>
public static class EvaluationEndpoints
{
    /// <summary>Largest judgment upload read (CSV or JSON).</summary>
    public const int MaxUploadBytes = JudgmentUploadReader.MaxUploadBytes;

    private const string CsvExample = "document_id,relevance\n10719,3\n9279,3\n13,0\n";

    private const string JsonExample = """
        {"query": {"genre": "Family", "tag": "christmas", "text": null},
         "judgments": [{"document_id": "10719", "relevance": 3}, {"document_id": "9279", "relevance": 3}, {"document_id": "13", "relevance": 0}]}
        """;

    public static IEndpointRouteBuilder MapEvaluationEndpoints(this IEndpointRouteBuilder app)
    {
        var judgments = app.MapGroup("/api/judgments").WithTags("Judgments");
        judgments.MapPut("/{set}", PutJudgmentsAsync)
            .WithName("PutJudgmentSet")
            .RequireOperator()
            .WithSummary("Creates or replaces a judgment set: CSV (document_id,relevance; query in ?genre=&tag=&q=) or JSON {query, judgments}.")
            .Accepts<JudgmentSetRequest>("application/json", "text/csv")
            .WithRequestExample(JsonExample)
            .WithRequestExample(CsvExample, "text/csv")
            .ProducesValidationProblem();
        judgments.MapGet("/", ListJudgmentsAsync)
            .WithName("ListJudgmentSets")
            .WithSummary("Lists the judgment sets with their queries and sizes.");
        judgments.MapGet("/{set}", GetJudgmentsAsync)
            .WithName("GetJudgmentSet")
            .WithSummary("Reads one judgment set.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        judgments.MapDelete("/{set}", DeleteJudgmentsAsync)
            .WithName("DeleteJudgmentSet")
            .RequireOperator()
            .WithSummary("Deletes a judgment set.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var evaluations = app.MapGroup("/api/evaluations").WithTags("Evaluations");
        evaluations.MapPost("/", EvaluateAsync)
            .WithName("Evaluate")
            .RequireOperator() // writes the evaluation history
            .WithSummary("Runs a judgment set's query for a model version (default: the active one) and returns DCG@k, NDCG@k, precision@k and the ranked list.")
            .WithRequestExample("""{"set": "family-christmas", "model": null, "k": 10}""")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        evaluations.MapGet("/", ListEvaluationsAsync)
            .WithName("ListEvaluations")
            .WithSummary("Evaluation history, newest first, filtered by ?model= and ?set=.");
        evaluations.MapGet("/decisions", ListDecisionsAsync)
            .WithName("ListPromotionDecisions")
            .WithSummary("Champion/challenger decisions and their figures, newest first.");
        evaluations.MapPost("/champion-challenger", EnqueueChampionChallenger)
            .WithName("RunChampionChallenger")
            .RequireOperator()
            .RequireRateLimit(RateLimits.Jobs)
            .WithSummary("Enqueues the evaluate-models job now (it also runs nightly and when a model is registered).");

        return app;
    }

    internal static async Task<Results<Created<JudgmentSetSummary>, Ok<JudgmentSetSummary>, ValidationProblem>> PutJudgmentsAsync(
        string set,
        string? genre,
        string? tag,
        string? q,
        HttpRequest request,
        IJudgmentStore store,
        IOptions<EvaluationOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!JudgmentSetName.IsValid(set))
        {
            return Invalid("set", $"A set name has 1 to {JudgmentSetName.MaxLength} characters from [A-Za-z0-9_-].");
        }

        var upload = await JudgmentUploadReader.ReadAsync(
            request, new JudgedQueryRequest(genre, tag, q), options.Value.MaxJudgmentsPerSet, json.Value.SerializerOptions, cancellationToken);
        if (upload is JudgmentUpload.Unreadable unreadable)
        {
            return Invalid(unreadable.Field, unreadable.Message);
        }

        if (upload is JudgmentUpload.Invalid invalid)
        {
            return TypedResults.ValidationProblem(invalid.Errors, title: "The judgment set is invalid; nothing was stored.");
        }

        var (query, judgments) = (JudgmentUpload.Valid)upload;

        var judgmentSet = new JudgmentSet(set, query, judgments, time.GetUtcNow());
        var created = await store.PutAsync(judgmentSet, cancellationToken);
        var summary = Summarise(judgmentSet, options.Value.RelevanceThreshold);
        return created
            ? TypedResults.Created($"/api/judgments/{set}", summary)
            : TypedResults.Ok(summary);
    }

    internal static async Task<Ok<IReadOnlyList<JudgmentSetSummary>>> ListJudgmentsAsync(
        IJudgmentStore store, IOptions<EvaluationOptions> options, CancellationToken cancellationToken)
    {
        var sets = await store.ListAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<JudgmentSetSummary>>(sets.Select(s => Summarise(s, options.Value.RelevanceThreshold)).ToList());
    }

    internal static async Task<Results<Ok<JudgmentSet>, ValidationProblem, ProblemHttpResult>> GetJudgmentsAsync(
        string set, IJudgmentStore store, CancellationToken cancellationToken)
    {
        if (!JudgmentSetName.IsValid(set))
        {
            return Invalid("set", $"A set name has 1 to {JudgmentSetName.MaxLength} characters from [A-Za-z0-9_-].");
        }

        return await store.GetAsync(set, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : SetNotFound(set);
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteJudgmentsAsync(
        string set, IJudgmentStore store, CancellationToken cancellationToken)
    {
        if (!JudgmentSetName.IsValid(set))
        {
            return Invalid("set", $"A set name has 1 to {JudgmentSetName.MaxLength} characters from [A-Za-z0-9_-].");
        }

        return await store.DeleteAsync(set, cancellationToken) ? TypedResults.NoContent() : SetNotFound(set);
    }

    internal static async Task<Results<Ok<EvaluationResponse>, ValidationProblem, ProblemHttpResult>> EvaluateAsync(
        EvaluationRequest request,
        IJudgmentStore store,
        Evaluator evaluator,
        IOptions<EvaluationOptions> options,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Set) || !JudgmentSetName.IsValid(request.Set))
        {
            return Invalid("set", "The name of a stored judgment set is required ([A-Za-z0-9_-], 1 to 64 characters).");
        }

        var k = request.K ?? options.Value.DefaultK;
        if (k is < 1 or > 1000)
        {
            return Invalid("k", "k must be between 1 and 1000.");
        }

        var set = await store.GetAsync(request.Set, cancellationToken);
        if (set is null)
        {
            return SetNotFound(request.Set);
        }

        var model = string.IsNullOrWhiteSpace(request.Model) ? null : request.Model.Trim();
        var outcome = await evaluator.EvaluateAsync(set, model, k, request.Mode, "api", cancellationToken);
        return TypedResults.Ok(EvaluationResponse.From(outcome));
    }

    internal static async Task<Results<Ok<IReadOnlyList<EvaluationRecord>>, ValidationProblem>> ListEvaluationsAsync(
        string? model, string? set, int? limit, IEvaluationHistory history, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 10_000)
        {
            return Invalid("limit", "limit must be between 1 and 10000.");
        }

        var records = await history.ListAsync(
            string.IsNullOrWhiteSpace(model) ? null : model, string.IsNullOrWhiteSpace(set) ? null : set, limit ?? 100, cancellationToken);
        return TypedResults.Ok(records);
    }

    internal static async Task<Results<Ok<IReadOnlyList<PromotionDecision>>, ValidationProblem>> ListDecisionsAsync(
        int? limit, IEvaluationHistory history, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 10_000)
        {
            return Invalid("limit", "limit must be between 1 and 10000.");
        }

        return TypedResults.Ok(await history.ListDecisionsAsync(limit ?? 50, cancellationToken));
    }

    internal static Accepted<JobEnqueued> EnqueueChampionChallenger(ChampionChallengerRequests requests)
    {
        var (id, coalesced) = requests.Enqueue("api");
        return TypedResults.Accepted($"/hangfire/jobs/details/{id}", new JobEnqueued(id, $"/hangfire/jobs/details/{id}", coalesced));
    }

    private static JudgmentSetSummary Summarise(JudgmentSet s, int threshold) =>
        new(s.Name, s.Query, s.Judgments.Count, s.Judgments.Count(j => j.Relevance >= threshold), s.UpdatedAt);

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static ProblemHttpResult SetNotFound(string set) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No judgment set '{set}'.");
}
