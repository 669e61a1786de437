using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Evaluation;

/// <summary>
/// The HTTP surface with the app's real evaluation services (file stores on a temp data directory,
/// Hangfire in memory) and in-test fakes for the catalog index, scorers, registry and reclassification
/// trigger, which other features own. Expected figures are worked out by hand in each test.
/// </summary>
public sealed class EvaluationEndpointTests : IDisposable
{
    private const double Tolerance = 1e-6;
    private readonly EvaluationScenario _s = new();
    private readonly MLOpsFactory _root;
    private readonly WebApplicationFactory<Program> _factory;

    public EvaluationEndpointTests()
    {
        // The scenario's NDCG figures are worked out by hand from its cosines: the relevance pipeline is off.
        _root = new MLOpsFactory(new Dictionary<string, string?>(CosineOnlyScoring.Settings) { ["Evaluation:Cron"] = "15 5 * * *", ["Evaluation:SeedDirectory"] = "" });
        _factory = _root.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.AddSingleton<ICatalogIndex>(_s.Index);
            services.AddSingleton<IScorerProvider>(_s.Scorers);
            services.AddSingleton<IModelRegistry>(_s.Registry);
            services.AddSingleton<IReclassificationTrigger>(_s.Trigger);
        }));
    }

    public void Dispose()
    {
        _factory.Dispose();
        _root.Dispose();
    }

    private static Uri U(string path) => new(path, UriKind.Relative);

    private static StringContent Csv(string csv) => new(csv, Encoding.UTF8, "text/csv");

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    private async Task<HttpClient> ClientWithSetsAsync()
    {
        var client = _factory.CreateClient();
        var put = await client.PutAsync(U("/api/judgments/family-christmas?genre=Family&tag=christmas&q="), Csv(EvaluationScenario.ChristmasCsv));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var ocean = await client.PutAsJsonAsync(U("/api/judgments/ocean"), new
        {
            query = new { tag = "ocean" },
            judgments = EvaluationScenario.OceanSet.Judgments.Select(j => new { document_id = j.DocumentId, relevance = j.Relevance }),
        });
        Assert.Equal(HttpStatusCode.Created, ocean.StatusCode);
        return client;
    }

    [Fact]
    public async Task A_csv_judgment_set_can_be_stored_listed_read_and_deleted()
    {
        using var client = _factory.CreateClient();
        var put = await client.PutAsync(U("/api/judgments/family-christmas?genre=Family&tag=christmas&q="), Csv(EvaluationScenario.ChristmasCsv));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var summary = await JsonAsync(put);
        Assert.Equal(6, summary.GetProperty("count").GetInt32());
        Assert.Equal(4, summary.GetProperty("relevant").GetInt32()); // 3, 3, 2, 1

        var set = await JsonAsync(await client.GetAsync(U("/api/judgments/family-christmas")));
        Assert.Equal("Family", set.GetProperty("query").GetProperty("genre").GetString());
        Assert.Equal("christmas", set.GetProperty("query").GetProperty("tag").GetString());
        Assert.False(set.GetProperty("query").TryGetProperty("text", out _)); // empty q: no text filter
        var first = set.GetProperty("judgments")[0];
        Assert.Equal("xmas1", first.GetProperty("document_id").GetString());
        Assert.Equal(3, first.GetProperty("relevance").GetInt32());

        // replacing answers 200 and the file is where the data directory says
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync(U("/api/judgments/family-christmas?genre=Family&tag=christmas"), Csv(EvaluationScenario.ChristmasCsv))).StatusCode);
        Assert.True(File.Exists(Path.Combine(_root.DataDirectory, "judgments", "family-christmas.json")));

        var list = await JsonAsync(await client.GetAsync(U("/api/judgments")));
        Assert.Equal(["family-christmas"], list.EnumerateArray().Select(e => e.GetProperty("name").GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(U("/api/judgments/family-christmas"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(U("/api/judgments/family-christmas"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync(U("/api/judgments/family-christmas"))).StatusCode);
    }

    [Fact]
    public async Task A_bad_csv_is_refused_naming_the_line_and_the_stored_set_is_kept()
    {
        using var client = await ClientWithSetsAsync();

        var bad = await client.PutAsync(U("/api/judgments/family-christmas?genre=Family&tag=christmas"), Csv("document_id,relevance\nxmas1,3\nxmas2,7\n"));

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var errors = (await JsonAsync(bad)).GetProperty("errors");
        Assert.Contains("line 3", errors.GetProperty("csv.line[3].relevance")[0].GetString(), StringComparison.Ordinal);
        var kept = await JsonAsync(await client.GetAsync(U("/api/judgments/family-christmas")));
        Assert.Equal(6, kept.GetProperty("judgments").GetArrayLength());
    }

    [Fact]
    public async Task A_csv_without_a_tag_and_a_bad_set_name_are_refused_naming_the_field()
    {
        using var client = _factory.CreateClient();
        var noTag = await client.PutAsync(U("/api/judgments/x?genre=Family"), Csv(EvaluationScenario.ChristmasCsv));
        Assert.Equal(HttpStatusCode.BadRequest, noTag.StatusCode);
        Assert.True((await JsonAsync(noTag)).GetProperty("errors").TryGetProperty("tag", out _));

        var badName = await client.PutAsync(U("/api/judgments/bad.name?tag=christmas"), Csv(EvaluationScenario.ChristmasCsv));
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.True((await JsonAsync(badName)).GetProperty("errors").TryGetProperty("set", out _));

        var badJson = await client.PutAsync(U("/api/judgments/x"), new StringContent("{\"query\": {\"tag\": \"christmas\"}, \"judgments\": [{\"document_id\": \"a\", \"relevance\": \"high\"}]}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(U("/api/judgments/x"))).StatusCode);
    }

    [Fact]
    public async Task Evaluating_the_active_version_runs_the_live_search_sorted_by_the_tag_field()
    {
        using var client = await ClientWithSetsAsync();

        var response = await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "family-christmas", k = 4 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("m@1", body.GetProperty("model").GetString());
        Assert.Equal("index", body.GetProperty("mode").GetString());
        // index order by classification_christmas: bball(0) xmas1(3) unj(unjudged) xmas3(2)
        Assert.Equal(["bball", "xmas1", "unj", "xmas3"], body.GetProperty("ranked").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()));
        var unj = body.GetProperty("ranked")[2];
        Assert.False(unj.GetProperty("judged").GetBoolean());
        Assert.Equal(0, unj.GetProperty("relevance").GetInt32());
        Assert.Equal(["unj"], body.GetProperty("unjudged").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, body.GetProperty("staleInTopK").GetInt32()); // unj was scored by m@0

        var m = body.GetProperty("metrics");
        // DCG@4 = 0 + 7/log2(3) + 0 + 3/log2(5) = 4.4165083 + 1.2920297 = 5.7085380
        // IDCG@4 from every judgment (3,3,2,1) = 7 + 4.4165083 + 1.5 + 1/log2(5) = 13.3471848
        // retrieved-only ideal (3,2,0,0) = 7 + 3/log2(3) = 8.8927893
        Assert.Equal(5.7085380, m.GetProperty("dcg").GetDouble(), Tolerance);
        Assert.Equal(13.3471848, m.GetProperty("idealDcg").GetDouble(), Tolerance);
        Assert.Equal(5.7085380 / 13.3471848, m.GetProperty("ndcg").GetDouble(), Tolerance);
        Assert.Equal(5.7085380 / 8.8927893, m.GetProperty("ndcgRetrievedIdeal").GetDouble(), Tolerance);
        Assert.Equal(0.5, m.GetProperty("precision").GetDouble(), Tolerance);
        Assert.Contains("2^rel - 1", body.GetProperty("gain").GetString(), StringComparison.Ordinal);

        var search = Assert.Single(_s.Index.Searches);
        Assert.Equal(SearchSortKind.Field, search.Sort);
        Assert.Equal("classification_christmas", search.SortField);
        Assert.Equal("Family", search.Genre);
        Assert.Equal(4, search.Size);

        var history = await JsonAsync(await client.GetAsync(U("/api/evaluations?set=family-christmas")));
        var entry = Assert.Single(history.EnumerateArray());
        Assert.Equal(body.GetProperty("id").GetString(), entry.GetProperty("id").GetString());
        Assert.Equal(5.7085380 / 13.3471848, entry.GetProperty("metrics").GetProperty("ndcg").GetDouble(), Tolerance);
    }

    [Fact]
    public async Task Evaluating_a_candidate_scores_the_retrieved_documents_in_memory_without_touching_the_index()
    {
        using var client = await ClientWithSetsAsync();
        _s.Index.Freeze();

        var response = await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "family-christmas", model = "m@2" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("in_memory", body.GetProperty("mode").GetString());
        Assert.Equal(10, body.GetProperty("k").GetInt32());
        // the Family filter keeps the judged drama out; m@2 ranks xmas1, xmas2, xmas3, unj, bball, fish
        Assert.Equal(["xmas1", "xmas2", "xmas3", "unj", "bball", "fish"], body.GetProperty("ranked").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()));
        // (7 + 7/log2(3) + 3/2) / 13.3471848 = 12.9165083 / 13.3471848
        Assert.Equal(0.9677328, body.GetProperty("metrics").GetProperty("ndcg").GetDouble(), Tolerance);
        Assert.Equal(0.3, body.GetProperty("metrics").GetProperty("precision").GetDouble(), Tolerance);
        Assert.Equal(0, _s.Index.Writes);
        Assert.All(_s.Index.Searches, q => Assert.Equal(SearchSortKind.Relevance, q.Sort));
        Assert.Equal(0, _s.Scorers.OpenLeases);
        Assert.Contains("m@2", _s.Scorers.Acquired);

        var history = await JsonAsync(await client.GetAsync(U("/api/evaluations?model=m@2")));
        Assert.Equal("in_memory", Assert.Single(history.EnumerateArray()).GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Unknown_sets_and_models_answer_404_and_bad_input_400()
    {
        using var client = await ClientWithSetsAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "nope" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "ocean", model = "nope@1" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(U("/api/models/nope@1/evaluate"), null)).StatusCode);

        var badK = await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "ocean", k = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, badK.StatusCode);
        Assert.True((await JsonAsync(badK)).GetProperty("errors").TryGetProperty("k", out _));

        var indexForCandidate = await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "ocean", model = "m@2", mode = "index" });
        Assert.Equal(HttpStatusCode.BadRequest, indexForCandidate.StatusCode);
        Assert.True((await JsonAsync(indexForCandidate)).GetProperty("errors").TryGetProperty("mode", out _));
    }

    [Fact]
    public async Task Evaluating_a_model_version_covers_every_judgment_set()
    {
        using var client = await ClientWithSetsAsync();

        var response = await client.PostAsync(U("/api/models/m@3/evaluate"), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        var sets = body.GetProperty("sets").EnumerateArray().ToDictionary(e => e.GetProperty("set").GetString()!, e => e.GetProperty("metrics").GetProperty("ndcg").GetDouble());
        Assert.Equal(0.9677328, sets["family-christmas"], Tolerance);
        // m@3 puts sea 7th and fish 8th: (3/log2(8) + 7/log2(9)) / (7 + 3/log2(3)) = 3.2082541 / 8.8927893
        Assert.Equal(0.3607703, sets["ocean"], Tolerance);
        Assert.Equal((0.9677328 + 0.3607703) / 2, body.GetProperty("meanNdcg").GetDouble(), Tolerance);
    }

    [Fact]
    public async Task Registering_a_model_enqueues_the_champion_challenger_job_which_promotes_the_better_version()
    {
        using var client = await ClientWithSetsAsync();
        var observer = _factory.Services.GetServices<IModelLifecycleObserver>().OfType<EvaluationModelObserver>().Single();

        await observer.OnRegisteredAsync(EvaluationFakeModelRegistry.Descriptor("m@2"), CancellationToken.None);

        // the Hangfire server of the test host runs the job; wait up to 30 s for its decision
        var decisions = await JsonAsync(await client.GetAsync(U("/api/evaluations/decisions")));
        for (var i = 0; i < 300 && decisions.GetArrayLength() == 0; i++)
        {
            await Task.Delay(100);
            decisions = await JsonAsync(await client.GetAsync(U("/api/evaluations/decisions")));
        }

        var decision = Assert.Single(decisions.EnumerateArray());
        Assert.Equal("promoted", decision.GetProperty("outcome").GetString());
        Assert.Equal("m@2", decision.GetProperty("promotedModelId").GetString());
        Assert.Equal("registered m@2", decision.GetProperty("trigger").GetString());
        Assert.Equal("m@2", Assert.Single(_s.Registry.Promotions).Id);
        Assert.Single(_s.Trigger.Calls);
        Assert.Equal("m@2", _s.Scorers.ActiveModelId);
    }

    [Fact]
    public async Task The_nightly_job_is_scheduled_with_the_configured_cron()
    {
        using var client = _factory.CreateClient(); // starts the host
        using var connection = _factory.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == ChampionChallengerJob.RecurringJobId);
        Assert.Equal("15 5 * * *", job.Cron);
        Assert.Equal(ChampionChallengerJob.Queue, job.Job.Queue);
    }

    [Fact]
    public async Task The_swagger_document_lists_the_evaluation_endpoints()
    {
        using var client = _factory.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync(U("/swagger/v1/swagger.json")));
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/judgments/{set}", paths);
        Assert.Contains("/api/judgments", paths);
        Assert.Contains("/api/evaluations", paths);
        Assert.Contains("/api/evaluations/decisions", paths);
        Assert.Contains("/api/models/{id}/evaluate", paths);
        Assert.Contains("/api/models/{id}/calibrate", paths);
    }

    [Fact]
    public void A_bad_evaluation_setting_stops_the_start_naming_it()
    {
        using var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Evaluation:TimeZone"] = "Mars/Olympus_Mons" });
        var ex = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Evaluation:TimeZone", ex.ToString(), StringComparison.Ordinal);
    }
}
