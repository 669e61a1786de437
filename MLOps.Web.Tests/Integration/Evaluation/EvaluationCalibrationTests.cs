using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Integration.Evaluation;

/// <summary>
/// POST /api/models/{id}/calibrate over a synthetic catalog: 300 documents whose cosine to the
/// "christmas" hypothesis is known, judged relevant with probability sigmoid(12 cosine - 4). The
/// uncalibrated scorer maps cosine c to sigmoid(c), so the fit must move a and b towards 12 and -4.
/// </summary>
public sealed class EvaluationCalibrationTests : IDisposable
{
    private const double TrueA = 12;
    private const double TrueB = -4;
    private readonly EvaluationFakeCatalogIndex _index = new();
    private readonly EvaluationFakeScorerProvider _scorers = new();
    private readonly EvaluationFakeModelRegistry _registry;
    private readonly MLOpsFactory _root;
    private readonly WebApplicationFactory<Program> _factory;
    private readonly string _csv;

    public EvaluationCalibrationTests()
    {
        var random = new Random(42);
        var cosineByText = new Dictionary<string, double>(StringComparer.Ordinal);
        var csv = new StringBuilder("document_id,relevance\n");
        for (var i = 0; i < 300; i++)
        {
            var id = $"d{i:000}";
            var cosine = -0.1 + (0.8 * random.NextDouble());
            var relevant = random.NextDouble() < 1 / (1 + Math.Exp(-((TrueA * cosine) + TrueB)));
            _index.Add(id, $"Movie {i}", $"Overview {i}", ["Family"]);
            cosineByText[new CatalogDocument { Id = id, Title = $"Movie {i}", Overview = $"Overview {i}" }.ClassificationText] = cosine;
            csv.Append(CultureInfo.InvariantCulture, $"{id},{(relevant ? 2 : 0)}\n");
        }

        _csv = csv.ToString();
        _registry = new EvaluationFakeModelRegistry(_scorers)
            .Add("e@1", (text, _) => cosineByText.GetValueOrDefault(text), active: true)
            .AddScorer(new CrossEncoderStandIn());
        // The scenario's NDCG figures are worked out by hand from its cosines: the relevance pipeline is off.
        _root = new MLOpsFactory(new Dictionary<string, string?>(CosineOnlyScoring.Settings) { ["Evaluation:SeedDirectory"] = "" });
        _factory = _root.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.AddSingleton<ICatalogIndex>(_index);
            services.AddSingleton<IScorerProvider>(_scorers);
            services.AddSingleton<IModelRegistry>(_registry);
        }));
    }

    public void Dispose()
    {
        _factory.Dispose();
        _root.Dispose();
    }

    private static Uri U(string path) => new(path, UriKind.Relative);

    [Fact]
    public async Task Calibration_fits_the_logistic_mapping_stores_a_new_version_and_records_its_effect()
    {
        using var client = _factory.CreateClient();
        var put = await client.PutAsync(U("/api/judgments/synthetic?genre=Family&tag=christmas"), new StringContent(_csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var response = await client.PostAsync(U("/api/models/e@1/calibrate"), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var body = doc.RootElement;
        var (baseId, calibration, newId) = Assert.Single(_registry.Calibrations);
        Assert.Equal("e@1", baseId);
        Assert.Equal(newId, body.GetProperty("modelId").GetString());
        Assert.InRange(calibration.A, TrueA - 3, TrueA + 3);
        Assert.InRange(calibration.B, TrueB - 2, TrueB + 2);
        Assert.Equal("logistic", calibration.Method);
        Assert.Contains("synthetic", calibration.FittedFrom, StringComparison.Ordinal);
        Assert.Equal(300, body.GetProperty("samples").GetInt32());
        Assert.True(body.GetProperty("logLossAfter").GetDouble() < body.GetProperty("logLossBefore").GetDouble());
        Assert.True(body.GetProperty("brierAfter").GetDouble() < body.GetProperty("brierBefore").GetDouble());

        // a monotone calibration cannot change a ranking by one tag
        var set = Assert.Single(body.GetProperty("sets").EnumerateArray());
        Assert.Equal(set.GetProperty("ndcgBefore").GetDouble(), set.GetProperty("ndcgAfter").GetDouble(), 1e-12);
        Assert.True(set.GetProperty("ndcgAfter").GetDouble() > 0.5);

        // the history entry of the calibrated version carries a, b and the before/after figures
        using var history = JsonDocument.Parse(await client.GetStringAsync(U($"/api/evaluations?model={Uri.EscapeDataString(newId)}")));
        var entry = Assert.Single(history.RootElement.EnumerateArray());
        var effect = entry.GetProperty("calibration");
        Assert.Equal(calibration.A, effect.GetProperty("a").GetDouble(), 1e-12);
        Assert.Equal(calibration.B, effect.GetProperty("b").GetDouble(), 1e-12);
        Assert.Equal("e@1", effect.GetProperty("baseModelId").GetString());
        Assert.Equal(set.GetProperty("ndcgBefore").GetDouble(), effect.GetProperty("ndcgBefore").GetDouble(), 1e-12);
        Assert.Equal(body.GetProperty("logLossAfter").GetDouble(), effect.GetProperty("logLossAfter").GetDouble(), 1e-12);
    }

    [Fact]
    public async Task Calibration_needs_enough_judgments_with_both_classes()
    {
        using var client = _factory.CreateClient();
        var few = "document_id,relevance\nd000,2\nd001,0\nd002,0\n";
        await client.PutAsync(U("/api/judgments/few?tag=christmas"), new StringContent(few, Encoding.UTF8, "text/csv"));

        var response = await client.PostAsync(U("/api/models/e@1/calibrate"), null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("30", doc.RootElement.GetProperty("errors").GetProperty("judgments")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(_registry.Calibrations);
    }

    [Fact]
    public async Task Calibration_of_a_cross_encoder_is_refused_and_of_an_unknown_model_is_404()
    {
        using var client = _factory.CreateClient();
        await client.PutAsync(U("/api/judgments/synthetic?tag=christmas"), new StringContent(_csv, Encoding.UTF8, "text/csv"));

        var nli = await client.PostAsync(U("/api/models/nli@1/calibrate"), null);
        Assert.Equal(HttpStatusCode.BadRequest, nli.StatusCode);
        using var doc = JsonDocument.Parse(await nli.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty("model", out _));

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(U("/api/models/nope@1/calibrate"), null)).StatusCode);
        Assert.Empty(_registry.Calibrations);
    }

    private sealed class CrossEncoderStandIn : IZeroShotScorer
    {
        public ModelDescriptor Model { get; } = EvaluationFakeModelRegistry.Descriptor("nli@1", ModelKind.Nli);

        public Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken) =>
            Task.FromResult(sequences.Select(_ => labels.Select(_ => 0.5f).ToArray()).ToArray());
    }
}
