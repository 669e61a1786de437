using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

public static class TrainingSetup
{
    /// <summary>Training (the <c>train-model</c> job and <see cref="IModelTraining"/>); the route lives with the other model routes.</summary>
    public static IHostApplicationBuilder AddTraining(this IHostApplicationBuilder builder)
    {
        // Scoped, built by factories: the catalog, the models and Hangfire may be added in any order.
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<TrainingData>(sp));
        builder.Services.AddScoped<IModelTraining>(sp => ActivatorUtilities.CreateInstance<ModelTrainingService>(sp));
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<TrainModelJob>(sp));
        return builder;
    }
}
