using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MLOps.Web.Infrastructure.Health;

/// <summary>One health check's outcome.</summary>
public sealed record HealthCheckEntry(string Status, string? Description, IReadOnlyDictionary<string, object>? Data);

/// <summary>The JSON body of <c>/healthz</c> and <c>/readyz</c>: overall status and each check by name.</summary>
public sealed record HealthBody(string Status, double DurationMs, IReadOnlyDictionary<string, HealthCheckEntry> Checks);

/// <summary><c>/healthz</c>: the process is alive. <c>/readyz</c>: every check tagged "ready" passes.</summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        // Probes (kubelet, load balancers) come from other machines and carry no key.
        var group = app.MapGroup("").WithTags("Health").AllowAnonymous();
        group.MapGet("/healthz", (HealthCheckService health, CancellationToken ct) => RunAsync(health, _ => false, ct))
            .WithName("Liveness")
            .WithSummary("Liveness: the process is up. Runs no dependency check.");
        group.MapGet("/readyz", (HealthCheckService health, CancellationToken ct) => RunAsync(health, c => c.Tags.Contains("ready"), ct))
            .WithName("Readiness")
            .WithSummary("Readiness: the active model is loaded and every configured backend is reachable; the body names any failing check.");
        return app;
    }

    private static async Task<Results<Ok<HealthBody>, JsonHttpResult<HealthBody>>> RunAsync(
        HealthCheckService health, Func<HealthCheckRegistration, bool> predicate, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(predicate, ct);
        var body = new HealthBody(
            report.Status.ToString(),
            report.TotalDuration.TotalMilliseconds,
            report.Entries.ToDictionary(
                e => e.Key,
                e => new HealthCheckEntry(
                    e.Value.Status.ToString(),
                    e.Value.Description ?? e.Value.Exception?.Message,
                    e.Value.Data.Count == 0 ? null : e.Value.Data)));
        return report.Status == HealthStatus.Unhealthy
            ? TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(body);
    }
}
