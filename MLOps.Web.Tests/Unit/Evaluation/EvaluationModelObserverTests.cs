using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>A registration enqueues one champion/challenger job, except for a challenger the nightly job trained (it evaluates that one itself).</summary>
public sealed class EvaluationModelObserverTests
{
    private sealed class RecordingJobs : IBackgroundJobClient
    {
        public List<Job> Created { get; } = [];

        public string Create(Job job, IState state)
        {
            Created.Add(job);
            return Created.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => true;
    }

    private sealed class Versions(Dictionary<string, string> triggers) : ITrainedVersions
    {
        public LearnedParameters? Find(string modelId) => triggers.TryGetValue(modelId, out var trigger)
            ? new LearnedParameters(new FusionModel(), new TrainingLineage("m@1", "sha", [], [], new TrainingHyperparameters("test", [], 1, [1], "test", 0, 0, 0),
                17, DateTimeOffset.UnixEpoch, 0, new Dictionary<string, double>(), new Dictionary<string, double>(), trigger))
            : null;

        public Task<ModelDescriptor> CreateAsync(string baseModelId, FusionModel fusion, TrainingLineage lineage, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }

    private static ModelDescriptor Model(string id) => new(id, id.Split('@')[0], id.Split('@')[1], ModelKind.Embedding, "sha-" + id, "/nowhere");

    [Fact]
    public async Task Only_versions_the_nightly_job_did_not_train_itself_get_an_evaluation_job()
    {
        var jobs = new RecordingJobs();
        var versions = new Versions(new() { ["m@2"] = ChallengerTraining.Trigger, ["m@3"] = "POST /api/models/m@1/train" });
        var observer = new EvaluationModelObserver(jobs, Options.Create(new EvaluationOptions()), NullLogger<EvaluationModelObserver>.Instance, versions);

        await observer.OnRegisteredAsync(Model("m@2"), CancellationToken.None); // the nightly job's own challenger
        await observer.OnRegisteredAsync(Model("m@3"), CancellationToken.None); // trained through the API
        await observer.OnRegisteredAsync(Model("other@1"), CancellationToken.None); // not trained

        Assert.Equal(2, jobs.Created.Count);
        Assert.All(jobs.Created, j => Assert.Equal(typeof(ChampionChallengerJob), j.Type));
        Assert.Equal(["registered m@3", "registered other@1"], jobs.Created.Select(j => (string)j.Args[0]));
    }
}
