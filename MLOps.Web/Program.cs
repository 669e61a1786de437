using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Health;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;

// `dotnet MLOps.Web.dll healthcheck`: the container HEALTHCHECK; probes /healthz and exits, no host.
if (HealthcheckCommand.IsRequested(args))
{
    return await HealthcheckCommand.RunAsync(args, Console.Out, CancellationToken.None);
}

var builder = WebApplication.CreateBuilder(CatalogCommands.HostArguments(args));

builder.AddPlatform();
builder.AddRedis();
builder.AddHangfireInfrastructure();
builder.AddEvaluation();
builder.AddTrending();
builder.AddCatalog();

if (CatalogCommands.IsCommand(args))
{
    return await CatalogCommands.RunAsync(builder, args);
}

var app = builder.Build();

app.UsePlatform();
app.MapHealthEndpoints();
app.MapHangfireDashboard();
app.MapEvaluationEndpoints();
app.MapTrendingEndpoints();
app.MapCatalogEndpoints();

await app.RunAsync();
return 0;

/// <summary>Entry point; public so that WebApplicationFactory can host it in tests.</summary>
public partial class Program;
