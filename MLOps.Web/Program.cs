using MLOps.Web.Commands;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Classification;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Models;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Health;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Metrics;
using MLOps.Web.Infrastructure.Redis;

// `dotnet MLOps.Web.dll healthcheck`: the container HEALTHCHECK; probes /healthz and exits, no host.
if (HealthcheckCommand.IsRequested(args))
{
    return await HealthcheckCommand.RunAsync(args, Console.Out, CancellationToken.None);
}

// `bench embed|latency|accuracy`: classification benchmarks (docs/benchmarks.md); no host.
// (`bench catalog` and `bench reclassify` run inside the configured host, below.)
if (args is ["bench", not ("catalog" or "reclassify"), ..])
{
    return await ClassificationBench.RunAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(CatalogCommands.HostArguments(args));

builder.AddPlatform();
builder.AddMetrics();
builder.AddRedis();
builder.AddHangfireInfrastructure();
builder.AddEvaluation();
builder.AddTrending();
builder.AddCatalog();

builder.AddModels();
builder.AddClassification();
builder.AddReclassification();

// `import <file>` and `bench catalog`: run against the configured index, then exit.
if (CatalogCommands.IsCommand(args))
{
    return await CatalogCommands.RunAsync(builder, args);
}

var app = builder.Build();

// `bench reclassify`: cold and warm runs against inference-only time, then exit.
if (ReclassificationBenchmark.IsVerb(args))
{
    await ReclassificationBenchmark.RunHostAsync(app, args);
    return 0;
}

app.UsePlatform();
app.MapHealthEndpoints();
app.MapMetricsEndpoint();
app.MapHangfireDashboard();
app.MapEvaluationEndpoints();
app.MapTrendingEndpoints();
app.MapCatalogEndpoints();
app.MapClassificationEndpoints();
app.MapReferenceCompatibilityEndpoints();
app.MapModelsEndpoints();
app.MapReclassificationEndpoints();

await app.RunAsync();
return 0;

/// <summary>Entry point; public so that WebApplicationFactory can host it in tests.</summary>
public partial class Program;
