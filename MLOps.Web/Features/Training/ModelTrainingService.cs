using System.Diagnostics;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Features.Training;

/// <summary>
/// Training a version (<see cref="IModelTraining"/>): the sets split into trained-on and held back
/// (<see cref="TrainingSelection"/>), their features built by <see cref="TrainingData"/>, the fusion
/// fitted by <see cref="FusionTrainer"/>, measured on the held-back sets against the untrained default,
/// and written as a new version through <see cref="ITrainedVersions.CreateAsync"/>. The active version
/// is never touched: a failure leaves nothing; a new version is promoted only by champion/challenger or an operator.
/// </summary>
public sealed class ModelTrainingService(
    IJudgedSets judged,
    IScorerProvider scorers,
    IModelRegistry registry,
    ITrainedVersions versions,
    TrainingData data,
    TimeProvider time,
    ILogger<ModelTrainingService> logger,
    IBackgroundJobClient? jobs = null) : IModelTraining
{
    public async Task<TrainingEnqueued> EnqueueAsync(string baseModelId, TrainRequest request, CancellationToken cancellationToken)
    {
        var model = registry.List().FirstOrDefault(m => m.Id == baseModelId) ?? throw new ModelNotFoundException(baseModelId);
        CheckTrainable(model);
        CheckValues(request);
        TrainingSelection.Split(await judged.ListAsync(cancellationToken), request);
        var client = jobs ?? throw new InvalidOperationException("Hangfire is not registered in this host; training cannot be enqueued.");
        string[]? train = request.Train?.ToArray(), hold = request.HoldBack?.ToArray();
        var id = client.Create(
            Job.FromExpression<TrainModelJob>(j => j.RunAsync(baseModelId, train, hold, request.Seed, request.L2, "api", null, CancellationToken.None)),
            new EnqueuedState(TrainModelJob.Queue));
        TrainingLog.Enqueued(logger, id, baseModelId);
        return new TrainingEnqueued(id, baseModelId, "/hangfire/jobs/details/" + Uri.EscapeDataString(id));
    }

    public async Task<ModelDescriptor> TrainAsync(string baseModelId, TrainRequest request, string trigger, Action<string>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        void Say(string text)
        {
            TrainingLog.Progress(logger, baseModelId, text);
            progress?.Invoke(text);
        }

        CheckValues(request);
        var seed = request.Seed ?? TrainingSelection.DefaultSeed;
        var (train, held) = TrainingSelection.Split(await judged.ListAsync(cancellationToken), request);
        Say($"training on {train.Count} set(s) ({string.Join(", ", train.Select(s => s.Name))}), holding back {held.Count} ({string.Join(", ", held.Select(s => s.Name))})");
        using var lease = await scorers.AcquireAsync(baseModelId, cancellationToken);
        CheckTrainable(lease.Scorer.Model);
        var features = await data.BuildAsync((IEmbeddingScorer)lease.Scorer, [.. train, .. held], seed, Say, cancellationToken);
        var trainFeatures = features.Take(train.Count).ToList();
        var fitted = FusionTrainer.Train(trainFeatures, request.L2, seed, data.Prior(), cancellationToken);
        Say($"fitted: {FusionTrainer.CandidateName(fitted.Candidate)} ({fitted.ChosenBy}), weights [{string.Join(", ", fitted.Weights.Select(w => w.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}], alpha {fitted.Alpha:F3}, beta {fitted.Beta:F3}");
        var heldFeatures = features.Skip(train.Count).ToList();
        var lineage = new TrainingLineage(
            baseModelId,
            lease.Scorer.Model.Sha256,
            [.. train.Select((s, i) => TrainingData.Record(s, trainFeatures[i]))],
            [.. held.Select((s, i) => TrainingData.Record(s, null) with { Rows = 0 })],
            Hyperparameters(fitted),
            seed,
            time.GetUtcNow(),
            Stopwatch.GetElapsedTime(started).TotalSeconds,
            heldFeatures.ToDictionary(f => f.Set, f => FusionTrainer.Ndcg(f, fitted.Weights), StringComparer.Ordinal),
            heldFeatures.ToDictionary(f => f.Set, f => TrainingNdcg.At(f.Ids, f.Baseline ?? [], f.Grades, 10), StringComparer.Ordinal),
            trigger);
        var created = await versions.CreateAsync(baseModelId, fitted.ToFusion("trained"), lineage, cancellationToken);
        TrainingLog.Trained(logger, created.Id, baseModelId, train.Count, held.Count, lineage.Seconds);
        Say($"registered {created.Id}");
        return created;
    }

    private static TrainingHyperparameters Hyperparameters(FittedFusion fitted) => new(
        fitted.Learner, FusionTrainer.Features, fitted.L2, FusionTrainer.L2Grid, fitted.ChosenBy,
        TrainingRows.HardNegatives, TrainingRows.RandomNegatives, PairwiseRanker.DefaultMaxPairsPerGroup)
    {
        MinGain = fitted.MinGain,
        MinGainGrid = FusionTrainer.MinGainGrid,
        Candidates = fitted.InnerNdcg,
    };

    private static void CheckTrainable(ModelDescriptor model)
    {
        if (model.Kind != ModelKind.Embedding)
        {
            throw new InvalidModelRequestException("id", $"{model.Id} is an {model.Kind} model; training learns the fusion of an embedding model's tag scores.");
        }
    }

    private static void CheckValues(TrainRequest request)
    {
        if (request.L2 is { } l2 && !(double.IsFinite(l2) && l2 > 0))
        {
            throw new TrainingDataException("l2", "l2 must be a positive finite number.");
        }
    }
}
