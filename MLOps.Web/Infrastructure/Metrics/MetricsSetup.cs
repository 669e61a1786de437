using OpenTelemetry.Metrics;

namespace MLOps.Web.Infrastructure.Metrics;

/// <summary>
/// <c>/metrics</c>: every meter named <c>MLOps.Web.*</c> (trending ingest, inference, ...), ASP.NET
/// Core request metrics (the rate limiter's included) and .NET runtime metrics, in Prometheus text format.
/// </summary>
public static class MetricsSetup
{
    /// <summary>The prefix of the service's own meters.</summary>
    public const string MeterPrefix = "MLOps.Web.";

    public static IHostApplicationBuilder AddMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(MeterPrefix + "*")
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapMetricsEndpoint(this WebApplication app)
    {
        // The exporter maps every method; it only reads, so GET (and HEAD) only.
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
        return app;
    }
}
