using MLOps.Web.Features.Reclassification;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Health;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;

var builder = WebApplication.CreateBuilder(args);

builder.AddPlatform();
builder.AddRedis();
builder.AddHangfireInfrastructure();
builder.AddReclassification();

var app = builder.Build();
if (ReclassificationBenchmark.IsVerb(args))
{
    await ReclassificationBenchmark.RunHostAsync(app, args);
    return;
}

app.UsePlatform();
app.MapHealthEndpoints();
app.MapHangfireDashboard();
app.MapReclassificationEndpoints();

await app.RunAsync();

/// <summary>Entry point; public so that WebApplicationFactory can host it in tests.</summary>
public partial class Program;
