using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Tests.Integration.EndToEnd;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Relevance;

/// <summary>
/// The pipeline in the whole app on its embedded defaults (Lucene, the real MiniLM, the sample
/// catalog): a run plans the tag once and writes the fused score with its parts, the runs API shows
/// the plan, search explains each part, and an in-memory evaluation of the active version scores
/// exactly what the run wrote.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RelevanceAppTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_run_writes_fused_scores_with_their_parts_the_runs_api_shows_the_plan_and_search_explains_them()
    {
        await using var app = await EndToEndApp.StartAsync(redis: false);
        var run = await app.ReclassifyAsync(["christmas"], RunTimeout);
        Assert.Equal("succeeded", run.Status);
        output.WriteLine(JsonSerializer.Serialize(run.Scoring, EndToEndApp.Json));

        var plan = Assert.Single(run.Scoring);
        Assert.Equal("classification_christmas", plan.Field);
        Assert.Equal(["This example is christmas."], plan.Hypotheses);
        Assert.Equal("christmas", Assert.Single(plan.LexicalQuery).Text);
        Assert.True(plan.LexicalHits >= 15, $"{plan.LexicalHits} lexical hits"); // every sample Christmas film says so
        Assert.Equal("Rocchio", plan.Feedback);
        Assert.Equal(10, plan.FeedbackDocuments.Count);
        Assert.True(plan.Std > 0);
        Assert.Equal(FusionModel.HandSet(new RelevanceOptions()).Weights, plan.FusionWeights); // the default: semantic_z + 2 match + 3 bm25_by_max − title_match
        Assert.Equal(run.Documents, plan.SampleSize); // 151 documents: a small catalog is its own sample
        Assert.Equal(run.Documents, run.DocumentsEmbedded + run.EmbeddingCacheHits);
        Assert.True(run.PlanDocumentsEmbedded > 0, "the planner embedded the sample and cached it for the chunks");

        // The sample catalog's Christmas films still come first (the same assertions as the end-to-end loop).
        await app.AssertChristmasFilmsFirstAsync(run, output);

        // explain=true on a field sort prints the parts of the sorted value.
        var sorted = await app.SearchAsync("genre=Family&sort=classification_christmas&size=5&explain=true");
        foreach (var hit in sorted.Hits)
        {
            output.WriteLine($"{hit.Id} {hit.Title}: {hit.Explanation}");
            Assert.Matches(@"^sorted by classification_christmas desc = [0-9.]+ \(missing = 0\); semantic z -?[0-9.]+ \(cosine [0-9.]+\), lexical [0-9.]+ \(bm25 [0-9.]+ / best [0-9.]+\), match [01](, title match [01])?, fused -?[0-9.]+ → [0-9.]+$", hit.Explanation);
        }

        // The stored document carries the parts; their score is the field's value.
        var doc = await app.DocumentAsync(sorted.Hits[0].Id);
        var parts = doc[CatalogJson.ClassifiedParts]!["classification_christmas"]!;
        Assert.Equal(doc["classification_christmas"]!.GetValue<float>(), parts[ScorePartNames.Score]!.GetValue<float>());
        Assert.Equal(1f, parts[ScorePartNames.Match]!.GetValue<float>());

        // The value is the fused evidence through the default's own calibration, sigmoid(Alpha × fused + Beta), in [0,1],
        // and the fused evidence is the default model's weighted sum of its stored features (every weighed feature is stored).
        var learned = FusionModel.HandSet(new RelevanceOptions());
        Assert.Equal((1.65, -8.51), (learned.Alpha, learned.Beta));
        var fused = parts[ScorePartNames.Fused]!.GetValue<double>();
        Assert.Equal(1 / (1 + Math.Exp(-((learned.Alpha * fused) + learned.Beta))), doc["classification_christmas"]!.GetValue<double>(), 5);
        Assert.Equal(learned.Weights.Sum(w => w.Value * parts[w.Key]!.GetValue<double>()), fused, 4);
        var all = await app.SearchAsync("sort=classification_christmas&size=1000");
        Assert.Equal(run.Documents, all.Hits.Count);
        Assert.All(all.Hits, h => Assert.InRange(h.Classifications["classification_christmas"], 0f, 1f));
    }

    [Fact]
    public async Task An_in_memory_evaluation_of_the_active_version_scores_what_its_run_wrote_over_the_whole_catalog()
    {
        await using var app = await EndToEndApp.StartAsync(redis: false, new Dictionary<string, string?> { ["Evaluation:CandidatePoolSize"] = "10" });
        var run = await app.ReclassifyAsync(["christmas"], RunTimeout);
        Assert.Equal("succeeded", run.Status);

        // No genre and no text: the set's query admits the whole catalog, not just the first CandidatePoolSize documents.
        var csv = "document_id,relevance\nsample-001,3\nsample-002,3\nsample-150,0\n";
        var put = await app.Client.PutAsync(new Uri("/api/judgments/all-christmas?tag=christmas", UriKind.Relative), new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var response = await app.Client.PostAsJsonAsync(new Uri("/api/evaluations", UriKind.Relative), new { set = "all-christmas", mode = "in_memory", k = 20 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var evaluation = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(run.Documents, evaluation.RootElement.GetProperty("metrics").GetProperty("retrieved").GetInt32());

        foreach (var ranked in evaluation.RootElement.GetProperty("ranked").EnumerateArray())
        {
            var id = ranked.GetProperty("documentId").GetString()!;
            var written = (await app.DocumentAsync(id))["classification_christmas"]!.GetValue<float>();
            Assert.Equal(written, ranked.GetProperty("score").GetDouble(), 6);
        }
    }
}
