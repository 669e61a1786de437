using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Classification;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Models;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Features.Training;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Hangfire;
using MLOps.Web.Infrastructure.Health;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Metrics;
using MLOps.Web.Infrastructure.Redis;

namespace MLOps.Web.Commands;

/// <summary>The app's composition: every feature's registrations and endpoint maps, in one place.</summary>
public static class AppHost
{
    /// <summary>
    /// A builder with every feature registered. <paramref name="args"/> is the host's command-line
    /// configuration; <paramref name="settings"/> (a verb's own, e.g. no startup run) override it.
    /// The storage topology is decided here, once, before any feature asks for it.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (settings is { Count: > 0 })
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddPlatform();
        builder.AddMetrics();
        builder.AddStorageTopology();
        builder.AddRedis();
        builder.AddHangfireInfrastructure();
        builder.AddEvaluation();
        builder.AddTrending();
        builder.AddCatalog();

        builder.AddModels();
        builder.AddClassification();
        builder.AddRelevance();
        builder.AddReclassification();
        builder.AddTraining();
        return builder;
    }

    /// <summary>Middleware and every feature's endpoints.</summary>
    public static WebApplication MapEndpoints(this WebApplication app)
    {
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
        return app;
    }
}

/// <summary>No verb: the service itself. Every argument is host configuration (<c>--urls</c>, <c>--Section:Key=value</c>).</summary>
public sealed record ServeCommand(string[] HostArguments) : AppCommand
{
    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        // RunAsync disposes the app when it stops (Ctrl+C, SIGTERM, or the test factory's disposal).
        var app = AppHost.CreateBuilder(HostArguments).Build();
        await app.MapEndpoints().RunAsync();
        return 0;
    }
}
