using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Tests.Integration.Classification;

public sealed class ClassifyEndpointTests(ClassifierApp app) : IClassFixture<ClassifierApp>
{
    private const string ChristmasOverview =
        "On Christmas Eve a desperate father races across the city to find the sold-out action figure his son wants more than anything under the tree.";

    private const string BasketballOverview =
        "Cartoon characters team up with a basketball star to play a game against invading aliens who want to take them away to their amusement park.";

    private const string ClownfishOverview =
        "A timid clownfish sets out across the ocean, past sharks and jellyfish, to find his son who was taken by a diver from the reef.";

    /// <summary>
    /// The fp32 MiniLM: its embedding of a text does not depend on the batch it is in, so exact score
    /// identities hold. The default int8 copy quantizes activations per batch (see the int8 test below).
    /// </summary>
    private const string Fp32 = "all-MiniLM-L6-v2@1";

    private static async Task<JsonElement> ClassifyAsync(HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static float ScoreOf(JsonElement result, string label)
    {
        var labels = result.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
        return result.GetProperty("scores")[labels.IndexOf(label)].GetSingle();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("snowflake-arctic-embed-xs@1")]
    public async Task A_christmas_toy_hunt_scores_far_above_a_basketball_game_against_aliens_for_christmas(string? model)
    {
        using var client = app.Factory.CreateClient();
        var christmas = await ClassifyAsync(client, new { sequence = ChristmasOverview, labels = new[] { "christmas" }, multi_label = true, model });
        var basketball = await ClassifyAsync(client, new { sequence = BasketballOverview, labels = new[] { "christmas" }, multi_label = true, model });

        var high = ScoreOf(christmas, "christmas");
        var low = ScoreOf(basketball, "christmas");
        Assert.True(high > 0.5f, $"christmas overview scored {high}");
        Assert.True(high - low > 0.25f, $"christmas {high} vs basketball {low}");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("snowflake-arctic-embed-xs@1")]
    public async Task A_clownfish_lost_in_the_ocean_scores_highest_for_ocean(string? model)
    {
        using var client = app.Factory.CreateClient();
        var result = await ClassifyAsync(client, new
        {
            sequence = ClownfishOverview,
            labels = new[] { "space", "basketball", "ocean", "christmas", "cooking", "politics" },
            multi_label = true,
            model,
        });

        Assert.Equal("ocean", result.GetProperty("labels")[0].GetString());
    }

    [Fact]
    public async Task The_answer_has_the_hugging_face_shape_sorted_by_score_and_echoes_hashtags_as_given()
    {
        using var client = app.Factory.CreateClient();
        var result = await ClassifyAsync(client, new
        {
            sequence = ChristmasOverview,
            labels = new[] { "basketball", "#ChristmasMovies", "ocean" },
            multi_label = true,
            hypothesis_template = "This movie is about {}.",
        });

        Assert.Equal(ChristmasOverview, result.GetProperty("sequence").GetString());
        var labels = result.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
        var scores = result.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle()).ToList();
        Assert.Equal("#ChristmasMovies", labels[0]);
        Assert.Equal(3, labels.Count);
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
    }

    [Fact]
    public async Task A_hashtag_label_scores_like_its_words()
    {
        using var client = app.Factory.CreateClient();
        var tag = await ClassifyAsync(client, new { sequence = ChristmasOverview, labels = new[] { "#ChristmasMovies" }, multi_label = true, model = Fp32 });
        var words = await ClassifyAsync(client, new { sequence = ChristmasOverview, labels = new[] { "christmas movies" }, multi_label = true, model = Fp32 });
        Assert.Equal(ScoreOf(words, "christmas movies"), ScoreOf(tag, "#ChristmasMovies"), 4);
    }

    [Fact]
    public async Task Single_label_scores_sum_to_one()
    {
        using var client = app.Factory.CreateClient();
        var result = await ClassifyAsync(client, new { sequence = ClownfishOverview, labels = new[] { "ocean", "space", "christmas" } });
        Assert.Equal(1.0, result.GetProperty("scores").EnumerateArray().Sum(s => s.GetDouble()), 3);
        Assert.Equal("ocean", result.GetProperty("labels")[0].GetString());
    }

    [Fact]
    public async Task The_batch_endpoint_scores_each_sequence_against_one_label_set()
    {
        using var client = app.Factory.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri("/api/classify/batch", UriKind.Relative), new
        {
            sequences = new[] { ChristmasOverview, BasketballOverview, ClownfishOverview },
            labels = new[] { "christmas", "basketball", "ocean" },
            multi_label = true,
        });
        response.EnsureSuccessStatusCode();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var top = body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("labels")[0].GetString()).ToList();
        Assert.Equal(["christmas", "basketball", "ocean"], top);
        Assert.Equal("all-MiniLM-L6-v2-int8@1", body.GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_document_is_embedded_once_per_request_whatever_the_number_of_labels_and_known_hypotheses_not_again()
    {
        var model = await app.Models.Cache.ReferenceAsync(app.Models.Store.Get(Fp32), CancellationToken.None);
        using var lease = new ScorerLease(model.Scorer, model.Release);
        var scorer = Assert.IsAssignableFrom<IEmbeddingScorer>(lease.Scorer);
        var timings = model.Timings;
        var unique = Guid.NewGuid().ToString("N")[..6];
        var labels = Enumerable.Range(0, 12).Select(i => $"label {unique} number {i}").ToList();

        var before = timings.Items;
        var first = await scorer.ScoreAsync([ChristmasOverview, ClownfishOverview], labels, new ZeroShotOptions(true), CancellationToken.None);
        Assert.Equal(2 + labels.Count, timings.Items - before);

        before = timings.Items;
        var again = await scorer.ScoreAsync([ClownfishOverview, ChristmasOverview, BasketballOverview], labels, new ZeroShotOptions(true), CancellationToken.None);
        Assert.Equal(3, timings.Items - before);
        Assert.Equal(first[1], again[0], (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public async Task Embedding_scores_equal_the_calibrated_cosine_of_the_embeddings()
    {
        var model = await app.Models.Cache.ReferenceAsync(app.Models.Store.Get(Fp32), CancellationToken.None);
        using var lease = new ScorerLease(model.Scorer, model.Release);
        var scorer = Assert.IsAssignableFrom<IEmbeddingScorer>(lease.Scorer);
        var hypothesis = scorer.Hypothesis("ocean", null);
        var vectors = await scorer.EmbedAsync([ClownfishOverview, hypothesis], CancellationToken.None);
        Assert.Equal(1.0, Math.Sqrt(vectors[0].Sum(x => (double)x * x)), 4);
        var cosine = vectors[0].Zip(vectors[1]).Sum(p => (double)p.First * p.Second);
        var calibration = model.Manifest.Calibration!;
        var expected = 1 / (1 + Math.Exp(-((calibration.A * cosine) + calibration.B)));

        var scores = await scorer.ScoreAsync([ClownfishOverview], ["ocean"], new ZeroShotOptions(true), CancellationToken.None);
        Assert.Equal(expected, scores[0][0], 4);
    }

    [Fact]
    public async Task The_int8_default_scores_a_document_the_same_whatever_else_is_in_its_request()
    {
        // dynamic int8 quantizes each run's activations with one scale; at the default batch size 1 each text has a run of its own
        using var lease = await app.Models.Cache.AcquireAsync(null, CancellationToken.None);
        Assert.Equal("all-MiniLM-L6-v2-int8@1", lease.Scorer.Model.Id);
        var alone = await lease.Scorer.ScoreAsync([ClownfishOverview], ["ocean", "christmas"], new ZeroShotOptions(true), CancellationToken.None);
        var batched = await lease.Scorer.ScoreAsync([ChristmasOverview, BasketballOverview, ClownfishOverview], ["ocean", "christmas"], new ZeroShotOptions(true), CancellationToken.None);
        Assert.All(alone[0].Zip(batched[2]), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-6));
        Assert.True(batched[2][0] > 0.5 && batched[2][1] < 0.5, string.Join(", ", batched[2]));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(8, false)]
    public async Task An_int8_vector_is_independent_of_its_batch_mates_only_at_batch_size_one(int maxBatchSize, bool independent)
    {
        var entry = app.Models.Store.Get("all-MiniLM-L6-v2-int8@1");
        var model = Features.Models.LoadedModel.Load(
            entry.Descriptor, entry.Manifest, new Infrastructure.Onnx.OnnxSessionSettings(1, false), new Infrastructure.Onnx.BatchingSettings(maxBatchSize));
        try
        {
            var scorer = Assert.IsAssignableFrom<IEmbeddingScorer>(model.Scorer);
            var alone = (await scorer.EmbedAsync([ClownfishOverview], CancellationToken.None))[0];
            var batched = (await scorer.EmbedAsync([ChristmasOverview, BasketballOverview, ClownfishOverview], CancellationToken.None))[2];
            var largest = alone.Zip(batched).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(independent ? largest == 0 : largest > 1e-4, $"largest component difference {largest} at batch size {maxBatchSize}");
        }
        finally
        {
            await model.ReleaseAndWaitAsync();
        }
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"sequence": "", "labels": ["a"]}""", "sequence" },
        { """{"sequence": "   ", "labels": ["a"]}""", "sequence" },
        { $$"""{"sequence": "{{new string('x', 20_001)}}", "labels": ["a"]}""", "sequence" },
        { """{"sequence": "text", "labels": []}""", "labels" },
        { """{"sequence": "text"}""", "labels" },
        { $$"""{"sequence": "text", "labels": [{{string.Join(",", Enumerable.Range(0, 101).Select(i => $"\"l{i}\""))}}]}""", "labels" },
        { $$"""{"sequence": "text", "labels": ["ok", "{{new string('y', 101)}}"]}""", "labels[1]" },
        { """{"sequence": "text", "labels": ["a"], "hypothesis_template": "This example is about it."}""", "hypothesis_template" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Bad_input_is_a_400_problem_naming_the_field(string body, string field)
    {
        using var client = app.Factory.CreateClient();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(new Uri("/api/classify", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task A_batch_with_an_empty_sequence_names_its_index()
    {
        using var client = app.Factory.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri("/api/classify/batch", UriKind.Relative), new { sequences = new[] { "fine", "" }, labels = new[] { "a" } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("sequences[1]", out _));
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_problem()
    {
        using var client = app.Factory.CreateClient();
        var result = await ClassifyAsync(client, new { sequence = "text", labels = new[] { "a" }, model = "no-such-model@9" }, HttpStatusCode.NotFound);
        Assert.Contains("no-such-model@9", result.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_reports_the_loaded_model()
    {
        using var client = app.Factory.CreateClient();
        var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var model = body.GetProperty("checks").GetProperty("model");
        Assert.Equal("Healthy", model.GetProperty("status").GetString());
        Assert.Contains("all-MiniLM-L6-v2-int8@1", model.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_swagger_document_lists_every_classification_and_model_endpoint()
    {
        using var client = app.Factory.CreateClient();
        var json = await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        var paths = JsonDocument.Parse(json).RootElement.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/api/classify", "post"), ("/api/classify/batch", "post"), ("/api/models", "get"), ("/api/models", "post"),
            ("/api/models/{id}/promote", "post"), ("/api/models/rollback", "post"), ("/api/models/{id}/quantize", "post"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} missing");
            Assert.True(item.TryGetProperty(method, out var op), $"{method} {path} missing");
            Assert.False(string.IsNullOrEmpty(op.GetProperty("summary").GetString()));
        }

        var classifyBody = paths.GetProperty("/api/classify").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json");
        Assert.True(classifyBody.TryGetProperty("example", out _));
    }
}
