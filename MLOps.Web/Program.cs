using MLOps.Web.Features.Classification;
using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Health;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;

if (args is ["bench", ..])
{
    Environment.ExitCode = await ClassificationBench.RunAsync(args[1..]);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddPlatform();
builder.AddRedis();
builder.AddHangfireInfrastructure();
builder.AddModels();
builder.AddClassification();

var app = builder.Build();

app.UsePlatform();
app.MapHealthEndpoints();
app.MapHangfireDashboard();
app.MapClassificationEndpoints();
app.MapModelsEndpoints();

await app.RunAsync();

/// <summary>Entry point; public so that WebApplicationFactory can host it in tests.</summary>
public partial class Program;
