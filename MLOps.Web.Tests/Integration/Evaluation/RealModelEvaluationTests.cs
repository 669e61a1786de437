using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Evaluation;

/// <summary>Runs only where ../shared/data (TMDB movies) exists.</summary>
public sealed class EvaluationRealModelFactAttribute : FactAttribute
{
    public EvaluationRealModelFactAttribute()
    {
        if (TestEnvironment.SharedData is not { } data || !File.Exists(Path.Combine(data, "tmdb", "tmdb_5000_movies.min.jsonl")))
        {
            Skip = "../shared/data/tmdb is absent in this checkout.";
        }
    }
}

/// <summary>
/// The real built-in embedding models on real movie overviews: the TMDB Family movies judged for the
/// tag "animation" by their true genres (2 = Animation, 0 = not). The catalog index is an in-test one
/// (only the models are under test here); the registry, scorers and Hangfire are the app's own.
/// </summary>
public sealed class RealModelEvaluationTests(ITestOutputHelper output) : IDisposable
{
    private const int FamilyMovies = 100;
    private const int OtherMovies = 50;
    private MLOpsFactory? _root;
    private WebApplicationFactory<Program>? _factory;

    public void Dispose()
    {
        _factory?.Dispose();
        _root?.Dispose();
    }

    private static Uri U(string path) => new(path, UriKind.Relative);

    [EvaluationRealModelFact]
    public async Task Real_models_are_measured_in_memory_calibrated_and_compared_on_tmdb_genre_judgments()
    {
        var (index, csv, positives) = LoadTmdb();
        _root = new MLOpsFactory(new Dictionary<string, string?> { ["Evaluation:EvaluateOnRegister"] = "false", ["Evaluation:SeedDirectory"] = "" });
        _factory = _root.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<ICatalogIndex>(index)));
        using var client = _factory.CreateClient();
        var scorers = _factory.Services.GetRequiredService<IScorerProvider>();
        for (var i = 0; i < 1200 && scorers.ActiveModelId is null; i++)
        {
            await Task.Delay(100);
        }

        var active = scorers.ActiveModelId ?? throw new InvalidOperationException("no model became active within 2 minutes");
        var registry = _factory.Services.GetRequiredService<IModelRegistry>();
        var candidates = registry.List().Where(m => m.Id != active && m.Kind == ModelKind.Embedding).Select(m => m.Id).ToList();
        Assert.NotEmpty(candidates);

        var put = await client.PutAsync(U("/api/judgments/tmdb-family-animation?genre=Family&tag=animation"), new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var randomNdcg = ExpectedRandomNdcgAt10(positives, FamilyMovies);
        output.WriteLine($"{positives} of {FamilyMovies} Family movies are animated; a random ranking's expected NDCG@10 is {randomNdcg:F4}");

        var ndcg = new Dictionary<string, double>();
        foreach (var model in candidates.Prepend(active))
        {
            var watch = Stopwatch.StartNew();
            var response = await client.PostAsJsonAsync(U("/api/evaluations"), new { set = "tmdb-family-animation", model, mode = "in_memory" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var m = doc.RootElement.GetProperty("metrics");
            ndcg[model] = m.GetProperty("ndcg").GetDouble();
            output.WriteLine($"{model}: NDCG@10 {ndcg[model]:F4}, retrieved-ideal {m.GetProperty("ndcgRetrievedIdeal").GetDouble():F4}, P@10 {m.GetProperty("precision").GetDouble():F2} over {m.GetProperty("retrieved").GetInt32()} docs in {watch.Elapsed.TotalSeconds:F1} s");
            Assert.True(ndcg[model] > randomNdcg, $"{model} NDCG@10 {ndcg[model]:F3} is not above a random ranking's {randomNdcg:F3}");
        }

        var calibrateWatch = Stopwatch.StartNew();
        var calibrate = await client.PostAsync(U($"/api/models/{Uri.EscapeDataString(active)}/calibrate"), null);
        Assert.Equal(HttpStatusCode.OK, calibrate.StatusCode);
        using var cal = JsonDocument.Parse(await calibrate.Content.ReadAsStringAsync());
        var c = cal.RootElement;
        var a = c.GetProperty("calibration").GetProperty("a").GetDouble();
        var b = c.GetProperty("calibration").GetProperty("b").GetDouble();
        var set = c.GetProperty("sets")[0];
        output.WriteLine($"calibration of {active}: a {a:F3}, b {b:F3}; log-loss {c.GetProperty("logLossBefore").GetDouble():F4} -> {c.GetProperty("logLossAfter").GetDouble():F4}; Brier {c.GetProperty("brierBefore").GetDouble():F4} -> {c.GetProperty("brierAfter").GetDouble():F4}; NDCG {set.GetProperty("ndcgBefore").GetDouble():F4} -> {set.GetProperty("ndcgAfter").GetDouble():F4} ({calibrateWatch.Elapsed.TotalSeconds:F1} s)");
        Assert.True(a > 0, "a higher cosine to 'animation' must mean more likely animated");
        Assert.True(c.GetProperty("logLossAfter").GetDouble() < c.GetProperty("logLossBefore").GetDouble());
        Assert.Equal(set.GetProperty("ndcgBefore").GetDouble(), set.GetProperty("ndcgAfter").GetDouble(), 0.02);
        var calibrated = c.GetProperty("modelId").GetString()!;
        Assert.Contains(registry.List(), m => m.Id == calibrated);

        // champion/challenger over the real registry: the decision's figures match the evaluations above
        var enqueue = await client.PostAsync(U("/api/evaluations/champion-challenger"), null);
        Assert.Equal(HttpStatusCode.Accepted, enqueue.StatusCode);
        JsonElement decision = default;
        for (var i = 0; i < 1200; i++)
        {
            using var doc = JsonDocument.Parse(await client.GetStringAsync(U("/api/evaluations/decisions")));
            if (doc.RootElement.GetArrayLength() > 0)
            {
                decision = doc.RootElement[0].Clone();
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal(JsonValueKind.Object, decision.ValueKind);
        output.WriteLine(decision.ToString());
        Assert.Equal(active, decision.GetProperty("championId").GetString());
        Assert.Equal(ndcg[active], decision.GetProperty("championNdcgBySet").GetProperty("tmdb-family-animation").GetDouble(), 1e-6);
        var outcomes = decision.GetProperty("candidates").EnumerateArray().ToDictionary(e => e.GetProperty("modelId").GetString()!);
        foreach (var candidate in candidates)
        {
            Assert.Equal(ndcg[candidate], outcomes[candidate].GetProperty("ndcgBySet").GetProperty("tmdb-family-animation").GetDouble(), 1e-6);
        }

        Assert.False(outcomes[calibrated].GetProperty("qualifies").GetBoolean()); // same ranking as the champion
        // Ties (an int8 copy can rank exactly as its fp32 base on some CPUs) go to the lower model id (ordinal), as PromotionPolicy breaks them.
        var best = candidates.OrderByDescending(m => ndcg[m]).ThenBy(m => m, StringComparer.Ordinal).First();
        var shouldPromote = ndcg[best] - ndcg[active] >= 0.01;
        Assert.Equal(shouldPromote ? "promoted" : "kept", decision.GetProperty("outcome").GetString());
        Assert.Equal(shouldPromote ? best : active, scorers.ActiveModelId);
    }

    /// <summary>E[DCG@10] of a random order over the ideal DCG@10: each rank holds a relevant (gain 3) document with probability p.</summary>
    private static double ExpectedRandomNdcgAt10(int positives, int total)
    {
        var p = (double)positives / total;
        var expected = Enumerable.Range(1, 10).Sum(r => p * 3 / Math.Log2(r + 1));
        var ideal = Enumerable.Range(1, Math.Min(10, positives)).Sum(r => 3 / Math.Log2(r + 1));
        return expected / ideal;
    }

    private static (EvaluationFakeCatalogIndex Index, string Csv, int Positives) LoadTmdb()
    {
        var index = new EvaluationFakeCatalogIndex();
        var csv = new StringBuilder("document_id,relevance\n");
        var family = 0;
        var others = 0;
        var positives = 0;
        foreach (var line in File.ReadLines(Path.Combine(TestEnvironment.SharedData!, "tmdb", "tmdb_5000_movies.min.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var genres = r.GetProperty("genres").EnumerateArray().Select(g => g.GetString()!).ToArray();
            var overview = r.GetProperty("overview").GetString();
            var isFamily = genres.Contains("Family");
            if (string.IsNullOrWhiteSpace(overview) || (isFamily ? family >= FamilyMovies : others >= OtherMovies))
            {
                continue;
            }

            var id = r.GetProperty("id").GetInt32().ToString(CultureInfo.InvariantCulture);
            index.Add(id, r.GetProperty("title").GetString()!, overview, genres);
            if (isFamily)
            {
                family++;
                var animated = genres.Contains("Animation");
                positives += animated ? 1 : 0;
                csv.Append(CultureInfo.InvariantCulture, $"{id},{(animated ? 2 : 0)}\n");
            }
            else
            {
                others++;
            }

            if (family >= FamilyMovies && others >= OtherMovies)
            {
                break;
            }
        }

        return (index, csv.ToString(), positives);
    }
}
