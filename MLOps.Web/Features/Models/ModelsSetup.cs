using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

public static class ModelsSetup
{
    /// <summary>Registry, scorer provider (leases, hot swap), start-up loading and the <c>model</c> readiness check.</summary>
    public static IHostApplicationBuilder AddModels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelsOptions>()
            .BindConfiguration(ModelsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ModelRegistry>();
        builder.Services.AddSingleton<IModelRegistry>(sp => sp.GetRequiredService<ModelRegistry>());
        builder.Services.AddSingleton<IScorerProvider>(sp => sp.GetRequiredService<ModelRegistry>());
        builder.Services.AddHostedService<ModelStartupService>();
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model", tags: ["ready"]);
        return builder;
    }
}
