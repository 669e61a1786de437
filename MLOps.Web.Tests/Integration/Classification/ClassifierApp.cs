using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Classification;

/// <summary>The app on its defaults with the active model loaded (waits for start-up to finish).</summary>
public sealed class ClassifierApp : IAsyncLifetime
{
    public MLOpsFactory Factory { get; } = new(null);

    public ModelRooms Models => ModelRooms.Of(Factory.Services);

    public async Task InitializeAsync() => await WaitForModelsAsync(Factory);

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>Starts the host and waits until start-up has loaded (or failed to load) the active model.</summary>
    public static async Task<ModelRooms> WaitForModelsAsync(MLOpsFactory factory)
    {
        var models = ModelRooms.Of(factory.Services);
        await models.Startup.Initialization.WaitAsync(TimeSpan.FromMinutes(2));
        return models;
    }
}

/// <summary>The model layer of a host: the folder store, the loaded-model cache, the lifecycle and start-up.</summary>
public sealed record ModelRooms(ModelStore Store, LoadedModelCache Cache, ModelLifecycle Lifecycle, ModelStartup Startup)
{
    public static ModelRooms Of(IServiceProvider services) => new(
        services.GetRequiredService<ModelStore>(),
        services.GetRequiredService<LoadedModelCache>(),
        services.GetRequiredService<ModelLifecycle>(),
        services.GetRequiredService<ModelStartup>());
}
