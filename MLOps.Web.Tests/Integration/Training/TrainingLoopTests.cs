using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Models;
using MLOps.Web.Features.Training;
using MLOps.Web.Tests.Integration.EndToEnd;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Training;

/// <summary>
/// Training end to end on the embedded defaults (real MiniLM, Lucene, Hangfire, the HTTP API): judgment
/// sets over the sample catalog, <c>POST /api/models/{id}/train</c>, the <c>train-model</c> job, the new
/// version's folder and lineage, champion/challenger comparing it on held-back sets only, and a run
/// after its promotion writing its own scores.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class TrainingLoopTests(ITestOutputHelper output)
{
    private const string Base = "all-MiniLM-L6-v2@1";
    private const string Trained = "all-MiniLM-L6-v2@2";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly Dictionary<string, string?> Settings = new() { ["Models:MaterializeQuantized"] = "false", ["Evaluation:PromotionMargin"] = "0" };

    private static Uri U(string path) => new(path, UriKind.Relative);

    [Fact]
    public async Task Sample_posts_trend_a_run_scores_training_registers_a_version_compared_on_held_back_sets_and_the_next_run_writes_its_scores()
    {
        await using var app = await EndToEndApp.StartAsync(redis: false, Settings);
        await app.WaitUntilTrendingAsync("christmas", TimeSpan.FromSeconds(60));
        var first = await app.ReclassifyAsync(["christmas"], Timeout);
        Assert.Equal(Base, first.Model);
        var family = await ScoresAsync(app);
        var trainOn = await PutTopicSetsAsync(app);

        var response = await app.Client.PostAsJsonAsync(U($"/api/models/{Base}/train"), new { train = trainOn, hold_back = new[] { "family-christmas" }, seed = 7, l2 = 1 });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var jobId = accepted["job_id"]!.GetValue<string>();
        Assert.Equal($"/hangfire/jobs/details/{jobId}", accepted["dashboard"]!.GetValue<string>());
        Assert.Equal(accepted["dashboard"]!.GetValue<string>(), response.Headers.Location?.OriginalString);
        Assert.Equal("Succeeded", await JobStateAsync(app, jobId));
        Assert.Contains("registered", JobParameter(app, jobId, "Progress"), StringComparison.Ordinal);

        // the version: base files untouched, fusion.json added, the lineage names the data
        var store = app.Factory.Services.GetRequiredService<ModelStore>();
        var (baseEntry, trained) = (store.Get(Base), store.Get(Trained));
        Assert.Equal(baseEntry.Descriptor.Sha256, trained.Descriptor.Sha256);
        Assert.True(File.Exists(Path.Combine(trained.Descriptor.Directory, TrainedVersions.FusionFile)));
        var lineage = trained.Manifest.Training!;
        Assert.Equal(Base, lineage.BaseModel);
        Assert.Equal(baseEntry.Descriptor.Sha256, lineage.BaseSha256);
        Assert.Equal(trainOn.Order(StringComparer.Ordinal), lineage.TrainedOn.Select(s => s.Name));
        Assert.All(lineage.TrainedOn, s => Assert.True(s.Judgments > 0 && s.Rows >= s.Judgments && s.Sha256.Length == 64));
        Assert.Equal("family-christmas", Assert.Single(lineage.HeldBack).Name);
        Assert.Equal(7, lineage.Seed);
        Assert.Contains("family-christmas", lineage.HeldBackNdcg.Keys);

        // registering it started champion/challenger: the trained version is compared on the held-back set only
        var (decision, candidate) = await TrainedOutcomeAsync(app);
        Assert.Equal(trainOn.Order(), candidate["excludedSets"]!.AsArray().Select(s => s!.GetValue<string>()).Order());
        Assert.Equal(["family-christmas"], candidate["ndcgBySet"]!.AsObject().Select(p => p.Key));
        Assert.Contains("held-back sets only", candidate["why"]!.GetValue<string>(), StringComparison.Ordinal);
        output.WriteLine($"decision for {Trained}: {candidate.ToJsonString()}");

        // the request fixes the learner (l2 given: the pairwise ranker, l2 1); it wins there (NDCG above the default's 0.960 on
        // family-christmas, seed 7), so the job promotes it and enqueues a run. Left to choose, the trainer picks coordinate
        // ascent from the hand-set weights on these three small sets, which ties the default and is not promoted.
        Assert.True(candidate["qualifies"]!.GetValue<bool>());
        Assert.Equal("promoted", decision["outcome"]!.GetValue<string>());
        Assert.Equal(Trained, decision["promotedModelId"]!.GetValue<string>());
        Assert.NotNull(decision["reclassificationJobId"]);
        Assert.Equal(Trained, app.Factory.Services.GetRequiredService<MLOps.Web.Shared.Models.IScorerProvider>().ActiveModelId);

        var next = await app.ReclassifyAsync(["christmas"], Timeout);
        Assert.Equal(Trained, next.Model);
        await app.AssertFreshAsync(family.Keys, next, Trained);
        var after = await ScoresAsync(app);
        var changed = family.Keys.Count(id => Math.Abs(after[id] - family[id]) > 1e-3);
        Assert.True(changed > family.Count / 2, $"only {changed} of {family.Count} scores changed with the trained fusion");
    }

    [Fact]
    public async Task Without_l2_the_job_chooses_the_learner_by_leave_one_tag_out_and_the_lineage_records_every_candidate()
    {
        await using var app = await EndToEndApp.StartAsync(redis: false, Settings);
        var trainOn = await PutTopicSetsAsync(app);

        var response = await app.Client.PostAsJsonAsync(U($"/api/models/{Base}/train"), new { train = trainOn, hold_back = new[] { "family-christmas" }, seed = 7 });
        var jobId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<string>();
        Assert.Equal("Succeeded", await JobStateAsync(app, jobId));

        var hyper = app.Factory.Services.GetRequiredService<ModelStore>().Get(Trained).Manifest.Training!.Hyperparameters;
        Assert.Equal(FusionTrainer.Candidates.Select(FusionTrainer.CandidateName).Order(StringComparer.Ordinal), hyper.Candidates!.Keys.Order(StringComparer.Ordinal));
        var chosen = FusionTrainer.CandidateName(new FusionCandidate(hyper.Learner, hyper.L2, hyper.MinGain));
        Assert.Equal(hyper.Candidates.Values.Max(), hyper.Candidates[chosen]);
        Assert.Contains("leave-one-tag-out over 3 training tags (3 sets)", hyper.L2ChosenBy, StringComparison.Ordinal);
        var fusion = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(app.Factory.Services.GetRequiredService<ModelStore>().Get(Trained).Descriptor.Directory, TrainedVersions.FusionFile)))!;
        Assert.Equal(hyper.Learner, fusion["learner"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_training_requests_are_4xx_a_one_grade_set_fails_the_job_with_the_reason_and_the_active_version_keeps_serving()
    {
        await using var app = await EndToEndApp.StartAsync(redis: false, Settings);

        var unknown = await app.Client.PostAsync(U("/api/models/nope@1/train"), null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var badSet = await app.Client.PostAsJsonAsync(U($"/api/models/{Base}/train"), new { hold_back = new[] { "no-such-set" } });
        Assert.Equal(HttpStatusCode.BadRequest, badSet.StatusCode);
        Assert.Contains("no-such-set", JsonNode.Parse(await badSet.Content.ReadAsStringAsync())!["errors"]!["hold_back"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var badL2 = await app.Client.PostAsJsonAsync(U($"/api/models/{Base}/train"), new { l2 = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, badL2.StatusCode);

        var flat = new { query = new { tag = "sea" }, judgments = new[] { new { document_id = "sample-022", relevance = 0 }, new { document_id = "sample-041", relevance = 0 } } };
        (await app.Client.PutAsJsonAsync(U("/api/judgments/flat"), flat)).EnsureSuccessStatusCode();
        var response = await app.Client.PostAsJsonAsync(U($"/api/models/{Base}/train"), new { train = new[] { "flat" } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<string>();
        Assert.Equal("Failed", await JobStateAsync(app, jobId));
        var monitoring = app.Factory.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        Assert.Contains("One class only", monitoring.JobDetails(jobId).History[0].Data["ExceptionMessage"], StringComparison.Ordinal);
        var models = JsonNode.Parse(await app.Client.GetStringAsync(U("/api/models")))!.AsArray();
        Assert.DoesNotContain(models, m => m!["id"]!.GetValue<string>() == Trained);
        Assert.Equal(Base, app.Factory.Services.GetRequiredService<MLOps.Web.Shared.Models.IScorerProvider>().ActiveModelId);

        // a second set of the same tag: training on one and holding back the other is refused before any job
        var family = new { query = new { tag = "#Sea", genre = "Family" }, judgments = new[] { new { document_id = "sample-022", relevance = 2 } } };
        (await app.Client.PutAsJsonAsync(U("/api/judgments/flat-family"), family)).EnsureSuccessStatusCode();
        var split = await app.Client.PostAsJsonAsync(U($"/api/models/{Base}/train"), new { train = new[] { "flat" }, hold_back = new[] { "flat-family" } });
        Assert.Equal(HttpStatusCode.BadRequest, split.StatusCode);
        Assert.Contains("flat-family (held back) and flat (trained on) judge the tag", JsonNode.Parse(await split.Content.ReadAsStringAsync())!["errors"]!["hold_back"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Judgment sets for three tags over the sample catalog: a document whose text names the tag is graded 2 (3 when its title does), twenty others 0.</summary>
    private static async Task<string[]> PutTopicSetsAsync(EndToEndApp app)
    {
        var docs = (await app.SearchAsync("size=200")).Hits;
        string[] tags = ["sea", "snow", "dog"];
        foreach (var tag in tags)
        {
            // A film whose overview names the topic is about it (3); one that names it only in the title less so (2), as in the dev judgments.
            var judgments = docs.Select(h => (h.Id, Grade: (h.Overview ?? "").Contains(tag, StringComparison.OrdinalIgnoreCase) ? 3 : h.Title.Contains(tag, StringComparison.OrdinalIgnoreCase) ? 2 : 0))
                .Where(j => j.Grade > 0).Concat(docs.Where(h => !(h.Title + h.Overview).Contains(tag, StringComparison.OrdinalIgnoreCase)).Take(20).Select(h => (h.Id, Grade: 0)))
                .Select(j => new { document_id = j.Id, relevance = j.Grade }).ToList();
            var put = await app.Client.PutAsJsonAsync(U($"/api/judgments/topic-{tag}"), new { query = new { tag }, judgments });
            put.EnsureSuccessStatusCode();
        }

        return [.. tags.Select(t => $"topic-{t}")];
    }

    private static async Task<Dictionary<string, float>> ScoresAsync(EndToEndApp app) =>
        (await app.SearchAsync("genre=Family&sort=classification_christmas&size=100")).Hits.ToDictionary(h => h.Id, h => h.Classifications["classification_christmas"]);

    private static async Task<string> JobStateAsync(EndToEndApp app, string jobId)
    {
        var monitoring = app.Factory.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var state = monitoring.JobDetails(jobId)?.History.FirstOrDefault()?.StateName;
            if (state is "Succeeded" or "Failed")
            {
                return state;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"job {jobId} did not finish");
    }

    private static string JobParameter(EndToEndApp app, string jobId, string name)
    {
        using var connection = app.Factory.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetJobParameter(jobId, name) ?? "";
    }

    /// <summary>The first recorded decision that measured the trained version, and its outcome for it.</summary>
    private static async Task<(JsonNode Decision, JsonNode Candidate)> TrainedOutcomeAsync(EndToEndApp app)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var decisions = JsonNode.Parse(await app.Client.GetStringAsync(U("/api/evaluations/decisions")))!.AsArray();
            foreach (var decision in decisions)
            {
                if (decision!["candidates"]!.AsArray().FirstOrDefault(c => c!["modelId"]!.GetValue<string>() == Trained) is { } outcome)
                {
                    return (decision, outcome);
                }
            }

            await Task.Delay(500);
        }

        throw new TimeoutException("no champion/challenger decision measured the trained version");
    }
}
