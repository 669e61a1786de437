using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>
/// The nightly loop over <see cref="EvaluationScenario"/>: the job trains a challenger from the champion
/// (a stand-in training registers a scenario model with a lineage), measures it only on the sets it was
/// not trained on, promotes it when it wins there, keeps the champion when it does not, and never trains
/// twice on the same base and data. m@3 is perfect on christmas and poor on ocean; trained on ocean, it
/// is compared on christmas only.
/// </summary>
public sealed class NightlyTrainingTests
{
    private sealed class FakeTraining(EvaluationScenario s, FakeVersions versions, IJudgedSets sets, string produces) : IModelTraining
    {
        public int Calls { get; private set; }

        public Task<TrainingEnqueued> EnqueueAsync(string baseModelId, TrainRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public async Task<ModelDescriptor> TrainAsync(string baseModelId, TrainRequest request, string trigger, Action<string>? progress, CancellationToken cancellationToken)
        {
            Calls++;
            s.Registry.Add(produces, s.CosineOf(produces == "m@4" ? "m@1" : produces));
            var all = await sets.ListAsync(cancellationToken);
            TrainingSetRecord Record(JudgedSet j) => new(j.Name, j.Query.Tag, j.Query.Genre, j.Grades.Count, 0, 0, JudgedSetHash.Sha256(j));
            var lineage = new TrainingLineage(baseModelId, s.Registry.List().First(m => m.Id == baseModelId).Sha256,
                [.. all.Where(j => j.Name == "ocean").Select(Record)], [.. all.Where(j => j.Name != "ocean").Select(Record)],
                new TrainingHyperparameters("test", [], 1, [1], "test", 0, 0, 0), 17, DateTimeOffset.UnixEpoch, 0,
                new Dictionary<string, double>(), new Dictionary<string, double>(), trigger);
            versions.Learned[produces] = new LearnedParameters(new FusionModel(), lineage);
            return s.Registry.List().First(m => m.Id == produces);
        }
    }

    private sealed class FakeVersions : ITrainedVersions
    {
        public Dictionary<string, LearnedParameters> Learned { get; } = new(StringComparer.Ordinal);

        public LearnedParameters? Find(string modelId) => Learned.GetValueOrDefault(modelId);

        public Task<ModelDescriptor> CreateAsync(string baseModelId, FusionModel fusion, TrainingLineage lineage, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }

    private static async Task<(ChampionChallengerJob Job, FakeTraining Training, FileJudgmentStore Judgments)> JobAsync(EvaluationScenario s, string produces)
    {
        var dir = TempDirectory.Create("nightly");
        var judgments = new FileJudgmentStore(Path.Combine(dir, "judgments"));
        await judgments.PutAsync(EvaluationScenario.ChristmasSet, CancellationToken.None);
        await judgments.PutAsync(EvaluationScenario.OceanSet, CancellationToken.None);
        var history = new FileEvaluationHistory(Path.Combine(dir, "evaluations"), 1000);
        var o = Options.Create(new EvaluationOptions());
        var versions = new FakeVersions();
        var sets = new JudgedSetsFromStore(judgments);
        var training = new FakeTraining(s, versions, sets, produces);
        var challengers = new ChallengerTraining(sets, s.Registry, history, NullLogger<ChallengerTraining>.Instance, versions, training);
        var evaluator = new Evaluator(s.Index, s.Scorers, CosineOnlyScoring.PoolScorer(s.Index), s.Registry, history, o, TimeProvider.System, NullLogger<Evaluator>.Instance);
        var job = new ChampionChallengerJob(evaluator, judgments, s.Registry, s.Scorers, history, s.Trigger, o,
            TimeProvider.System, NullLogger<ChampionChallengerJob>.Instance, challengers);
        return (job, training, judgments);
    }

    [Fact]
    public async Task The_nightly_job_trains_a_challenger_compares_it_on_held_back_sets_only_and_promotes_it_when_it_wins()
    {
        var s = new EvaluationScenario(withCandidates: false);
        var (job, training, _) = await JobAsync(s, "m@3");

        var decision = await job.RunAsync(ChampionChallengerJob.NightlyTrigger, CancellationToken.None);

        Assert.Equal(1, training.Calls);
        Assert.Equal("promoted", decision.Outcome);
        Assert.Equal("m@3", decision.PromotedModelId);
        var m3 = Assert.Single(decision.Candidates);
        Assert.Equal(["ocean"], m3.ExcludedSets);
        Assert.Equal(["family-christmas"], m3.NdcgBySet.Keys);
        Assert.Contains("held-back sets only", m3.Why, StringComparison.Ordinal);
        Assert.Contains("Trained challenger m@3", decision.Note, StringComparison.Ordinal);
        Assert.Single(s.Trigger.Calls);

        // the next night: same base weights and data, nothing new is trained
        var again = await job.RunAsync(ChampionChallengerJob.NightlyTrigger, CancellationToken.None);
        Assert.Equal(1, training.Calls);
        Assert.Contains("already trained", again.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trained_challenger_that_does_not_win_on_its_held_back_sets_is_not_promoted()
    {
        var s = new EvaluationScenario(withCandidates: false);
        var (job, training, _) = await JobAsync(s, "m@4"); // ranks as the champion does

        var decision = await job.RunAsync(ChampionChallengerJob.NightlyTrigger, CancellationToken.None);

        Assert.Equal(1, training.Calls);
        Assert.Equal("kept", decision.Outcome);
        Assert.Empty(s.Registry.Promotions);
        Assert.Equal("m@1", s.Scorers.ActiveModelId);
    }

    [Fact]
    public async Task Only_the_nightly_trigger_trains_a_registration_or_api_trigger_does_not()
    {
        var s = new EvaluationScenario(withCandidates: false);
        var (job, training, _) = await JobAsync(s, "m@3");

        await job.RunAsync("api", CancellationToken.None);
        await job.RunAsync("registered m@9", CancellationToken.None);

        Assert.Equal(0, training.Calls);
    }

    [Fact]
    public async Task A_set_uploaded_later_for_a_tag_a_version_was_trained_on_is_left_out_of_its_comparisons()
    {
        var s = new EvaluationScenario(withCandidates: false);
        var (job, _, judgments) = await JobAsync(s, "m@3");
        await job.RunAsync(ChampionChallengerJob.NightlyTrigger, CancellationToken.None); // m@3, trained on ocean, is promoted

        // the same tag judged again under another name (as a tag's Family set would be): its judgments are ones m@3 learned from
        await judgments.PutAsync(EvaluationScenario.OceanSet with { Name = "ocean-again", Query = new JudgedQuery(null, "#Ocean") }, CancellationToken.None);
        var decision = await job.RunAsync("api", CancellationToken.None);

        var m1 = Assert.Single(decision.Candidates, c => c.ModelId == "m@1");
        Assert.Equal(["ocean", "ocean-again"], m1.ExcludedSets);
        Assert.Equal(["family-christmas"], m1.NdcgBySet.Keys);
    }
}
