using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MLOps.Web.Features.Models;

/// <summary><c>model</c> readiness: healthy once the active version is loaded; the description says why not.</summary>
internal sealed class ModelHealthCheck(ModelReadiness readiness, ModelStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = readiness.Status;
        var data = new Dictionary<string, object> { ["registry"] = store.Root };
        if (status.ActiveModelId is { } id)
        {
            data["active_model"] = id;
        }

        return Task.FromResult(status.Kind switch
        {
            ModelStatusKind.Ready => HealthCheckResult.Healthy(status.Message, data),
            ModelStatusKind.Degraded => HealthCheckResult.Degraded(status.Message, data: data),
            _ => HealthCheckResult.Unhealthy(status.Message, data: data),
        });
    }
}
