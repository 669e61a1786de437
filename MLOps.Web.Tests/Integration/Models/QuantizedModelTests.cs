using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Models;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Integration.Classification;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Classification;

namespace MLOps.Web.Tests.Integration.Models;

/// <summary>int8 versions: made through <c>POST /api/models/{id}/quantize</c> or at materialisation, then registered, served, promoted and rolled back like any version.</summary>
public sealed class QuantizedModelTests
{
    private const string MiniLm = "all-MiniLM-L6-v2@1";
    private const string MiniLmInt8 = "all-MiniLM-L6-v2-int8@1";
    private const string ArcticInt8 = "snowflake-arctic-embed-xs-int8@1";
    private const string Sequence = "A father hunts for a sold-out toy for his son on Christmas Eve.";

    private static Uri U(string path) => new(path, UriKind.Relative);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task<JsonElement[]> ListAsync(HttpClient client) => (await client.GetFromJsonAsync<JsonElement[]>(U("/api/models")))!;

    private static async Task<JsonElement> ClassifyAsync(HttpClient client, string? model = null)
    {
        var response = await client.PostAsJsonAsync(U("/api/classify"), new { sequence = Sequence, labels = new[] { "christmas", "basketball" }, multi_label = true, model });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private static float Score(JsonElement answer, string label) =>
        answer.GetProperty("scores")[answer.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList().IndexOf(label)].GetSingle();

    [Fact]
    public async Task The_quantize_route_registers_an_int8_version_that_serves_classify_and_is_promoted_and_rolled_back_like_any()
    {
        var observer = new RecordingObserver();
        var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Models:MaterializeQuantized"] = "false" });
        await using var __ = factory;
        await using var app = factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IModelLifecycleObserver>(observer)));
        var rooms = ModelRooms.Of(app.Services);
        await rooms.Startup.Initialization.WaitAsync(TimeSpan.FromMinutes(2));
        using var client = app.CreateClient();
        Assert.DoesNotContain(await ListAsync(client), m => m.GetProperty("id").GetString() == MiniLmInt8);

        var response = await client.PostAsync(U($"/api/models/{MiniLm}/quantize"), null);
        var created = await JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, created.ToString());
        Assert.Equal($"/api/models/{Uri.EscapeDataString(MiniLmInt8)}", response.Headers.Location?.OriginalString);
        Assert.Equal(MiniLmInt8, created.GetProperty("id").GetString());
        Assert.Equal("embedding", created.GetProperty("kind").GetString());
        Assert.False(created.GetProperty("active").GetBoolean());
        var source = rooms.Store.Get(MiniLm);
        var q = created.GetProperty("quantization");
        Assert.Equal(MiniLm, q.GetProperty("source_model").GetString());
        Assert.Equal(source.Descriptor.Sha256, q.GetProperty("source_sha256").GetString());
        Assert.Contains("int8 symmetric per output channel", q.GetProperty("method").GetString(), StringComparison.Ordinal);
        Assert.InRange(q.GetProperty("check_min_cosine").GetDouble(), 0.98, 0.99999);

        // the files: a new model.onnx with the recorded sha256, the tokenizer carried, the report beside them, the settings kept
        var int8 = rooms.Store.Get(MiniLmInt8);
        var onnx = Path.Combine(int8.Descriptor.Directory, "model.onnx");
        Assert.Equal(await ModelManifest.Sha256Async(onnx, CancellationToken.None), created.GetProperty("sha256").GetString());
        Assert.NotEqual(source.Descriptor.Sha256, int8.Descriptor.Sha256);
        var sourceBytes = (File.ResolveLinkTarget(Path.Combine(source.Descriptor.Directory, "model.onnx"), true) as FileInfo ?? new FileInfo(Path.Combine(source.Descriptor.Directory, "model.onnx"))).Length;
        Assert.Equal(sourceBytes, q.GetProperty("source_bytes").GetInt64());
        Assert.Equal(new FileInfo(onnx).Length, q.GetProperty("bytes").GetInt64());
        Assert.True(new FileInfo(onnx).Length < sourceBytes * 0.7, $"{new FileInfo(onnx).Length} of {sourceBytes} bytes");
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source.Descriptor.Directory, "vocab.txt")), await File.ReadAllBytesAsync(Path.Combine(int8.Descriptor.Directory, "vocab.txt")));
        Assert.True(JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(int8.Descriptor.Directory, ModelQuantization.ReportFile))).RootElement.GetProperty("quantized").GetArrayLength() > 0);
        Assert.Equal((source.Manifest.Pooling, source.Manifest.MaxTokens, source.Manifest.Calibration), (int8.Manifest.Pooling, int8.Manifest.MaxTokens, int8.Manifest.Calibration));
        Assert.Equal([MiniLmInt8], observer.Registered);
        Assert.Empty(Directory.GetDirectories(rooms.Store.Root, ".staging*"));

        // served by id, with scores close to the fp32 version's
        var fp32Answer = await ClassifyAsync(client);
        var int8Answer = await ClassifyAsync(client, MiniLmInt8);
        Assert.Equal(MiniLmInt8, int8Answer.GetProperty("model").GetString());
        Assert.Equal(Score(fp32Answer, "christmas"), Score(int8Answer, "christmas"), 0.05);
        Assert.True(Score(int8Answer, "christmas") > Score(int8Answer, "basketball"));

        // promoted: the default route serves it; rolled back: fp32 again
        (await client.PostAsJsonAsync(U($"/api/models/{MiniLmInt8}/promote"), new { reason = "test" })).EnsureSuccessStatusCode();
        Assert.Equal(MiniLmInt8, (await ClassifyAsync(client)).GetProperty("model").GetString());
        Assert.Equal([(MiniLmInt8, MiniLm)], observer.Promoted);
        var rollback = await JsonAsync(await client.PostAsync(U("/api/models/rollback"), null));
        Assert.Equal(MiniLm, rollback.GetProperty("active").GetString());
        Assert.Equal(MiniLm, (await ClassifyAsync(client)).GetProperty("model").GetString());
    }

    [Fact]
    public async Task Quantizing_is_refused_for_an_unknown_an_unquantizable_or_an_already_quantized_source_and_for_a_copy_already_registered()
    {
        var incoming = TempDirectory.Create("incoming");
        var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Models:ImportDirectory"] = incoming });
        await using var _ = factory;
        var rooms = await ClassifierApp.WaitForModelsAsync(factory);
        using var client = factory.CreateClient();
        var tiny = Path.Combine(incoming, "tiny-nli");
        new TinyNliModel().WriteTo(tiny);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync(U("/api/models"), new { path = tiny })).StatusCode);
        var before = (await ListAsync(client)).Select(m => m.GetProperty("id").GetString()).ToList();

        async Task<JsonElement> RefusedAsync(string id, HttpStatusCode status)
        {
            var response = await client.PostAsync(U($"/api/models/{id}/quantize"), null);
            var body = await JsonAsync(response);
            Assert.True(response.StatusCode == status, $"{id}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return body;
        }

        Assert.Contains("nope@1", (await RefusedAsync("nope@1", HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var tinyRefusal = await RefusedAsync("tiny-nli@1", HttpStatusCode.BadRequest);
        Assert.Contains("Nothing to quantize", tinyRefusal.GetProperty("errors").GetProperty("id")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("already quantized", (await RefusedAsync(MiniLmInt8, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(MiniLmInt8, (await RefusedAsync(MiniLm, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(before, (await ListAsync(client)).Select(m => m.GetProperty("id").GetString()).ToList());
        Assert.Equal(MiniLmInt8, rooms.Cache.ActiveModelId); // the default, unchanged by the refusals
        Assert.Empty(Directory.GetDirectories(rooms.Store.Root, ".staging*"));
    }

    [Fact]
    public async Task Materialisation_writes_an_int8_copy_of_each_built_in_once_and_rebuilds_a_tampered_one()
    {
        var (first, rooms) = await StartAsync(new Dictionary<string, string?> { ["Models:BuiltInCacheDirectory"] = "" });
        var data = first.DataDirectory;
        foreach (var (id, sourceId) in new[] { (MiniLmInt8, MiniLm), (ArcticInt8, "snowflake-arctic-embed-xs@1") })
        {
            var entry = rooms.Store.Get(id);
            var onnx = new FileInfo(Path.Combine(entry.Descriptor.Directory, "model.onnx"));
            Assert.Null(onnx.LinkTarget);
            Assert.Equal(await ModelManifest.Sha256Async(onnx.FullName, CancellationToken.None), entry.Descriptor.Sha256);
            Assert.Equal(sourceId, entry.Manifest.Quantization!.SourceModel);
            Assert.Equal(rooms.Store.Get(sourceId).Descriptor.Sha256, entry.Manifest.Quantization.SourceSha256);
            Assert.Equal(rooms.Store.Get(sourceId).Manifest.Pooling, entry.Manifest.Pooling);
            Assert.True(File.Exists(Path.Combine(entry.Descriptor.Directory, "vocab.txt")));
        }

        Assert.Equal(MiniLmInt8, rooms.Cache.ActiveModelId); // the default once its copy is written
        var int8Dir = rooms.Store.Get(MiniLmInt8).Descriptor.Directory;
        var created = rooms.Store.Get(ArcticInt8).Manifest.CreatedAt;
        await first.DisposeAsync();
        await File.WriteAllBytesAsync(Path.Combine(int8Dir, "model.onnx"), [1, 2, 3]);

        var (second, rooms2) = await StartAsync(dataDirectory: data);
        await using var _ = second;
        Assert.Equal(created, rooms2.Store.Get(ArcticInt8).Manifest.CreatedAt); // intact: kept
        var repaired = rooms2.Store.Get(MiniLmInt8);
        Assert.Equal(await ModelManifest.Sha256Async(Path.Combine(repaired.Descriptor.Directory, "model.onnx"), CancellationToken.None), repaired.Descriptor.Sha256);
        using var lease = await rooms2.Cache.AcquireAsync(MiniLmInt8, CancellationToken.None);
        var scores = await lease.Scorer.ScoreAsync([Sequence], ["christmas"], new ZeroShotOptions(true), CancellationToken.None);
        Assert.InRange(scores[0][0], 0.5f, 1f);
    }

    [Fact]
    public async Task Registering_an_int8_version_runs_champion_challenger_which_measures_it_against_the_fp32_champion_on_the_judgments()
    {
        // the sample catalog and the bundled family-christmas judgments, as a first start has them
        var factory = new MLOpsFactory(new Dictionary<string, string?> { ["Models:MaterializeQuantized"] = "false", ["Evaluation:AutoPromote"] = "false" });
        await using var _ = factory;
        await ClassifierApp.WaitForModelsAsync(factory);
        using var client = factory.CreateClient();
        for (var i = 0; i < 600 && (await client.GetFromJsonAsync<JsonElement[]>(U("/api/judgments")))!.Length == 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(U($"/api/models/{MiniLm}/quantize"), null)).StatusCode);

        JsonElement decision = default;
        for (var i = 0; i < 1800 && decision.ValueKind != JsonValueKind.Object; i++)
        {
            var decisions = await client.GetFromJsonAsync<JsonElement[]>(U("/api/evaluations/decisions"));
            if (decisions!.Length > 0)
            {
                decision = decisions[0];
            }
            else
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(JsonValueKind.Object, decision.ValueKind);
        Assert.Equal($"registered {MiniLmInt8}", decision.GetProperty("trigger").GetString());
        Assert.Equal(MiniLm, decision.GetProperty("championId").GetString());
        var candidate = decision.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("modelId").GetString() == MiniLmInt8);
        var int8 = candidate.GetProperty("ndcgBySet").GetProperty("family-christmas").GetDouble();
        var fp32 = decision.GetProperty("championNdcgBySet").GetProperty("family-christmas").GetDouble();
        Assert.InRange(int8, 0.01, 1);
        Assert.InRange(int8 - fp32, -0.2, 0.2); // the same model in int8 ranks the set about as well
    }

    [Fact]
    public async Task With_MaterializeQuantized_off_no_int8_version_is_written()
    {
        var (factory, rooms) = await StartAsync(new Dictionary<string, string?> { ["Models:MaterializeQuantized"] = "false" });
        await using var _ = factory;
        Assert.DoesNotContain(rooms.Store.ListEntries(), e => e.Descriptor.Name.EndsWith(ModelQuantization.NameSuffix, StringComparison.Ordinal));
        Assert.Contains(rooms.Store.ListEntries(), e => e.Descriptor.Id == MiniLm);
    }

    private static async Task<(MLOpsFactory Factory, ModelRooms Rooms)> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        var factory = new MLOpsFactory(settings, dataDirectory);
        return (factory, await ClassifierApp.WaitForModelsAsync(factory));
    }

    private sealed class RecordingObserver : IModelLifecycleObserver
    {
        private readonly ConcurrentQueue<string> _registered = new();
        private readonly ConcurrentQueue<(string, string?)> _promoted = new();

        public List<string> Registered => [.. _registered];

        public List<(string, string?)> Promoted => [.. _promoted];

        public Task OnRegisteredAsync(ModelDescriptor model, CancellationToken cancellationToken)
        {
            _registered.Enqueue(model.Id);
            return Task.CompletedTask;
        }

        public Task OnPromotedAsync(ModelDescriptor model, ModelDescriptor? previous, CancellationToken cancellationToken)
        {
            _promoted.Enqueue((model.Id, previous?.Id));
            return Task.CompletedTask;
        }
    }
}
