using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Models;

public static class ModelsSetup
{
    /// <summary>
    /// The three rooms of the model layer: the folder store, the loaded-model cache (the scorer
    /// provider: leases, hot swap) and the lifecycle (the registry: register, promote, rollback,
    /// calibrate); start-up loading in the background and the <c>model</c> readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddModels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelsOptions>()
            .BindConfiguration(ModelsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ModelStore>();
        builder.Services.AddSingleton<ModelImportDirectory>();
        builder.Services.AddSingleton(sp => new ModelReadiness(sp.GetRequiredService<IOptions<ModelsOptions>>()));
        builder.Services.AddSingleton<IModelLoader, ModelLoader>();
        builder.Services.AddSingleton<LoadedModelCache>();
        builder.Services.AddSingleton<IScorerProvider>(sp => sp.GetRequiredService<LoadedModelCache>());
        builder.Services.AddSingleton<ModelLifecycle>();
        builder.Services.AddSingleton<IModelRegistry>(sp => sp.GetRequiredService<ModelLifecycle>());
        builder.Services.AddSingleton<TrainedVersions>();
        builder.Services.AddSingleton<ITrainedVersions>(sp => sp.GetRequiredService<TrainedVersions>());
        builder.Services.AddSingleton<IRegistryHistory>(sp => sp.GetRequiredService<TrainedVersions>());
        builder.Services.AddSingleton<ModelStartup>();
        builder.Services.AddHostedService<ModelStartupService>();
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model", tags: ["ready"]);
        return builder;
    }
}
