using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Classification;

/// <summary>The app on its defaults with the active model loaded (waits for start-up to finish).</summary>
public sealed class ClassifierApp : IAsyncLifetime
{
    public MLOpsFactory Factory { get; } = new(null);

    public ModelRegistry Registry => Factory.Services.GetRequiredService<ModelRegistry>();

    public async Task InitializeAsync() => await WaitForModelsAsync(Factory);

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>Starts the host and waits until the registry has loaded (or failed to load) its active model.</summary>
    public static async Task<ModelRegistry> WaitForModelsAsync(MLOpsFactory factory)
    {
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        await registry.Initialization.WaitAsync(TimeSpan.FromMinutes(2));
        return registry;
    }
}
