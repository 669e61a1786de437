using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Health;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;

// `dotnet MLOps.Web.dll healthcheck`: the container HEALTHCHECK; probes /healthz and exits, no host.
if (HealthcheckCommand.IsRequested(args))
{
    Environment.ExitCode = await HealthcheckCommand.RunAsync(args, Console.Out, CancellationToken.None);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddPlatform();
builder.AddRedis();
builder.AddHangfireInfrastructure();
builder.AddEvaluation();
builder.AddTrending();

var app = builder.Build();

app.UsePlatform();
app.MapHealthEndpoints();
app.MapHangfireDashboard();
app.MapEvaluationEndpoints();
app.MapTrendingEndpoints();

await app.RunAsync();

/// <summary>Entry point; public so that WebApplicationFactory can host it in tests.</summary>
public partial class Program;
