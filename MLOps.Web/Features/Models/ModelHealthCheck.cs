using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MLOps.Web.Features.Models;

/// <summary><c>model</c> readiness: healthy once the active version is loaded; the description says why not.</summary>
internal sealed class ModelHealthCheck(ModelRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = registry.Status;
        var data = new Dictionary<string, object> { ["registry"] = registry.Root };
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

/// <summary>Materialises the built-in models and loads the active one in the background, so the host starts at once.</summary>
internal sealed class ModelStartupService(ModelRegistry registry) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await registry.InitializeAsync(stoppingToken);
    }
}
