using Microsoft.AspNetCore.Http.HttpResults;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Reclassification;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Features.Reclassification;

/// <summary><c>/api/reclassify</c>: start a run, read the run history.</summary>
public static class ReclassificationEndpoints
{
    public static IEndpointRouteBuilder MapReclassificationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/reclassify").WithTags("Reclassification");

        group.MapPost("/", StartAsync)
            .WithName("StartReclassification")
            .RequireOperator()
            .RequireRateLimit(RateLimits.Jobs)
            .WithSummary("Starts a reclassification run (the top trending tags, or the given labels); returns the Hangfire job id.")
            .WithRequestExample("""{"labels": ["christmas", "#WorldCup"], "reason": "manual"}""");

        group.MapGet("/runs", async (RunHistory history, CancellationToken cancellationToken) => TypedResults.Ok(await history.ListAsync(cancellationToken)))
            .WithName("ListReclassificationRuns")
            .WithSummary("Run history, newest first: tags, model version, documents, duration, docs/s, failed chunks, status.");

        group.MapGet("/runs/{id}", async Task<Results<Ok<ReclassificationRun>, ProblemHttpResult>> (string id, RunHistory history, CancellationToken cancellationToken) =>
                await history.GetAsync(id, cancellationToken) is { } run
                    ? TypedResults.Ok(run)
                    : TypedResults.Problem(detail: $"No reclassification run '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found"))
            .WithName("GetReclassificationRun")
            .WithSummary("One run, with its progress (percent, ETA) while it runs.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    private static async Task<Results<Accepted<ReclassifyAccepted>, ValidationProblem>> StartAsync(
        ReclassifyRequest? request, IReclassificationTrigger trigger, CancellationToken cancellationToken)
    {
        if (ReclassificationLabels.Validate(request?.Labels) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "api" : request.Reason.Trim();
        var jobId = await trigger.EnqueueAsync(request?.Labels, reason, cancellationToken);
        return TypedResults.Accepted($"/api/reclassify/runs/{Uri.EscapeDataString(jobId)}",
            new ReclassifyAccepted(jobId, ReclassificationTrigger.DashboardUrl(jobId)));
    }
}
