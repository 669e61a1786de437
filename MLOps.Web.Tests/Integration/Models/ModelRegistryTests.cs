using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Models;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Integration.Classification;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Classification;

namespace MLOps.Web.Tests.Integration.Models;

public sealed class ModelRegistryTests
{
    private const string MiniLm = "all-MiniLM-L6-v2@1";
    private const string Arctic = "snowflake-arctic-embed-xs@1";

    /// <summary>The model import directory of every app here: registration by path reads only from it.</summary>
    private static readonly string ImportRoot = TempDirectory.Create("incoming");

    /// <summary>
    /// Every app here: the import directory, and the fp32 MiniLM as the configured active version (these tests
    /// are about the registry's mechanics on it; DefaultModelTests covers the shipped int8 default).
    /// </summary>
    private static Dictionary<string, string?> WithImportDirectory(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Models:ImportDirectory"] = ImportRoot };
        all.TryAdd("Models:ActiveModel", MiniLm);
        return all;
    }

    private static async Task<(MLOpsFactory Factory, ModelRooms Rooms)> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        var factory = new MLOpsFactory(WithImportDirectory(settings), dataDirectory);
        var rooms = await ClassifierApp.WaitForModelsAsync(factory);
        return (factory, rooms);
    }

    private static string TinyModelFolder(string name = "tiny-nli", Action<string>? tamper = null)
    {
        var dir = Path.Combine(ImportRoot, Guid.NewGuid().ToString("N"), name);
        new TinyNliModel().WriteTo(dir);
        tamper?.Invoke(dir);
        return dir;
    }

    private static async Task<JsonElement[]> ListAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement[]>(new Uri("/api/models", UriKind.Relative)))!;

    [Fact]
    public async Task First_start_materialises_both_built_in_models_with_their_sha256_and_lists_them()
    {
        var (factory, rooms) = await StartAsync(new Dictionary<string, string?> { ["Models:BuiltInCacheDirectory"] = "" });
        await using var _ = factory;
        using var client = factory.CreateClient();

        var models = await ListAsync(client);
        foreach (var id in new[] { MiniLm, Arctic })
        {
            var model = models.Single(m => m.GetProperty("id").GetString() == id);
            var folder = Path.Combine(rooms.Store.Root, id.Split('@')[0], "1");
            var onnx = new FileInfo(Path.Combine(folder, "model.onnx"));
            Assert.Null(onnx.LinkTarget);
            Assert.True(File.Exists(Path.Combine(folder, "vocab.txt")));
            Assert.Equal(await ModelManifest.Sha256Async(onnx.FullName, CancellationToken.None), model.GetProperty("sha256").GetString());
            Assert.Equal("embedding", model.GetProperty("kind").GetString());
            Assert.Contains("nuget:SentenceTransformers", model.GetProperty("source").GetString(), StringComparison.Ordinal);
            Assert.Equal(id == MiniLm, model.GetProperty("active").GetBoolean());
        }

        Assert.Equal("cls", models.Single(m => m.GetProperty("id").GetString() == Arctic).GetProperty("pooling").GetString());
        Assert.Equal(256, models.Single(m => m.GetProperty("id").GetString() == MiniLm).GetProperty("max_tokens").GetInt32());
        Assert.Empty(Directory.GetDirectories(rooms.Store.Root, ".staging*"));
    }

    [Fact]
    public async Task A_later_start_keeps_the_materialised_files_and_repairs_a_tampered_one()
    {
        var (first, rooms) = await StartAsync();
        var data = first.DataDirectory;
        var manifestPath = Path.Combine(rooms.Store.Root, "all-MiniLM-L6-v2", "1", ModelManifest.FileName);
        var created = ModelManifest.Read(manifestPath).CreatedAt;
        var arcticVocab = Path.Combine(rooms.Store.Root, "snowflake-arctic-embed-xs", "1", "vocab.txt");
        await first.DisposeAsync();
        File.Delete(arcticVocab);

        var (second, rooms2) = await StartAsync(dataDirectory: data);
        await using var _ = second;
        Assert.Equal(created, ModelManifest.Read(manifestPath).CreatedAt);
        Assert.True(File.Exists(arcticVocab));
        Assert.Equal(MiniLm, rooms2.Cache.ActiveModelId);
    }

    [Fact]
    public async Task A_folder_registered_by_path_is_validated_listed_and_served_by_id_without_changing_the_active_model()
    {
        var observer = new RecordingObserver();
        // Not started itself: only the derived app runs, so one host owns the data directory.
        var factory = new MLOpsFactory(WithImportDirectory());
        await using var __ = factory;
        await using var app = factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IModelLifecycleObserver>(observer)));
        var rooms = await WaitAsync(app);
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = TinyModelFolder() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("tiny-nli@1", created.GetProperty("id").GetString());
        Assert.Equal("nli", created.GetProperty("kind").GetString());
        Assert.False(created.GetProperty("active").GetBoolean());
        Assert.Equal(["tiny-nli@1"], observer.Registered);

        var classify = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new { sequence = "the father lost a toy .", labels = new[] { "christmas", "ocean" }, model = "tiny-nli@1" });
        classify.EnsureSuccessStatusCode();
        Assert.Equal("tiny-nli@1", JsonDocument.Parse(await classify.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString());
        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);

        // the same folder again is a new version
        var again = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = TinyModelFolder() });
        Assert.Equal("tiny-nli@2", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString());
    }

    public static TheoryData<string, string> BrokenPackages => new()
    {
        { "no-vocab", "vocab.txt" },
        { "garbage-onnx", "model.onnx" },
        { "no-onnx", "model.onnx" },
        { "no-entailment", "entailment" },
        { "wrong-output", "outputs" },
    };

    [Theory]
    [MemberData(nameof(BrokenPackages))]
    public async Task A_broken_package_is_refused_with_the_reason_and_nothing_active_changes(string breakage, string reason)
    {
        var (factory, rooms) = await StartAsync();
        await using var _ = factory;
        using var client = factory.CreateClient();
        var before = (await ListAsync(client)).Select(m => m.GetProperty("id").GetString()).ToList();

        var folder = TinyModelFolder(breakage, dir =>
        {
            switch (breakage)
            {
                case "no-vocab":
                    File.Delete(Path.Combine(dir, "vocab.txt"));
                    File.WriteAllText(Path.Combine(dir, ModelManifest.FileName), """{"kind": "nli", "tokenizer": "wordpiece", "label2id": {"entailment": 0, "neutral": 1, "contradiction": 2}}""");
                    break;
                case "garbage-onnx":
                    File.WriteAllBytes(Path.Combine(dir, "model.onnx"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);
                    break;
                case "no-onnx":
                    File.Delete(Path.Combine(dir, "model.onnx"));
                    break;
                case "no-entailment":
                    File.WriteAllText(Path.Combine(dir, ModelManifest.FileName), """{"kind": "nli", "label2id": {"positive": 0, "neutral": 1, "negative": 2}}""");
                    break;
                case "wrong-output":
                    // an embedding manifest on a model whose only output is logits [batch, 3]: the output check refuses it
                    File.WriteAllText(Path.Combine(dir, ModelManifest.FileName), """{"kind": "embedding"}""");
                    break;
            }
        });

        var response = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = folder });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);
        Assert.Equal(before, (await ListAsync(client)).Select(m => m.GetProperty("id").GetString()).ToList());
        Assert.Empty(Directory.GetDirectories(rooms.Store.Root, ".staging*"));
    }

    [Fact]
    public async Task A_path_that_is_not_a_folder_is_a_400_naming_path()
    {
        var (factory, _) = await StartAsync();
        await using var __ = factory;
        using var client = factory.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = "/no/such/folder" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("path", out _));
    }

    [Fact]
    public async Task A_zip_upload_registers_the_model_it_holds()
    {
        var (factory, _) = await StartAsync();
        await using var __ = factory;
        using var client = factory.CreateClient();
        var folder = TinyModelFolder("uploaded");
        var zip = Path.Combine(TempDirectory.Create("zip"), "my-nli.zip");
        ZipFile.CreateFromDirectory(folder, zip);

        using var form = new MultipartFormDataContent();
        using var file = new ByteArrayContent(await File.ReadAllBytesAsync(zip));
        form.Add(file, "file", "my-nli.zip");
        var response = await client.PostAsync(new Uri("/api/models", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        // config.json's _name_or_path names it
        Assert.Equal("tiny-nli@1", JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Promote_and_rollback_swap_the_active_model_and_survive_a_restart()
    {
        var observer = new RecordingObserver();
        // Not started itself: only the derived app runs, so one host owns the data directory.
        var factory = new MLOpsFactory(WithImportDirectory());
        var data = factory.DataDirectory;
        await using (factory)
        await using (var app = factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IModelLifecycleObserver>(observer))))
        {
            var rooms = await WaitAsync(app);
            using var client = app.CreateClient();
            var promoted = await client.PostAsJsonAsync(new Uri($"/api/models/{Arctic}/promote", UriKind.Relative), new { reason = "test" });
            promoted.EnsureSuccessStatusCode();
            Assert.Equal(Arctic, rooms.Cache.ActiveModelId);
            Assert.Equal([(Arctic, MiniLm)], observer.Promoted);
            var models = await ListAsync(client);
            Assert.True(models.Single(m => m.GetProperty("id").GetString() == Arctic).GetProperty("active").GetBoolean());
            Assert.True(models.Single(m => m.GetProperty("id").GetString() == MiniLm).GetProperty("previous").GetBoolean());

            var classify = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new { sequence = "snow", labels = new[] { "winter" } });
            Assert.Equal(Arctic, JsonDocument.Parse(await classify.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString());

            var rollback = await client.PostAsync(new Uri("/api/models/rollback", UriKind.Relative), null);
            var body = JsonDocument.Parse(await rollback.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(MiniLm, body.GetProperty("active").GetString());
            Assert.Equal(Arctic, body.GetProperty("previous").GetString());
            Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);

            // the registry remembers what a rollback moved away from (champion/challenger holds it to its record)
            Assert.Equal([Arctic], app.Services.GetRequiredService<IRegistryHistory>().RolledBack());

            await rooms.Lifecycle.PromoteAsync(Arctic, "before restart", CancellationToken.None);
        }

        var (restarted, rooms2) = await StartAsync(dataDirectory: data);
        await using var _ = restarted;
        Assert.Equal(Arctic, rooms2.Cache.ActiveModelId);
        Assert.Equal(MiniLm, await rooms2.Lifecycle.RollbackAsync(CancellationToken.None));
        Assert.Equal([Arctic], restarted.Services.GetRequiredService<IRegistryHistory>().RolledBack());
    }

    [Fact]
    public async Task A_lease_taken_before_a_promotion_keeps_the_old_session_until_it_is_released()
    {
        var (factory, rooms) = await StartAsync(new Dictionary<string, string?> { ["Models:MaxLoadedInactiveModels"] = "0" });
        await using var _ = factory;
        var old = rooms.Cache.ActiveModel!;
        var lease = await rooms.Cache.AcquireAsync(null, CancellationToken.None);

        await rooms.Lifecycle.PromoteAsync(Arctic, "test", CancellationToken.None);
        Assert.Equal(Arctic, rooms.Cache.ActiveModelId);
        Assert.False(old.IsDisposed);
        var scores = await lease.Scorer.ScoreAsync(["A clownfish is lost in the ocean."], ["ocean"], new ZeroShotOptions(true), CancellationToken.None);
        Assert.Equal(MiniLm, lease.Scorer.Model.Id);
        Assert.InRange(scores[0][0], 0f, 1f);

        lease.Dispose();
        Assert.True(old.IsDisposed);
        using var next = await rooms.Cache.AcquireAsync(null, CancellationToken.None);
        Assert.Equal(Arctic, next.Scorer.Model.Id);
    }

    [Fact]
    public async Task A_zip_with_an_entry_outside_the_archive_is_refused()
    {
        var (factory, rooms) = await StartAsync();
        await using var _ = factory;
        using var client = factory.CreateClient();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var entry = await zip.CreateEntry("../../escape.txt").OpenAsync();
            await entry.WriteAsync("x"u8.ToArray());
        }

        using var form = new MultipartFormDataContent();
        using var file = new ByteArrayContent(buffer.ToArray());
        form.Add(file, "file", "evil.zip");
        var response = await client.PostAsync(new Uri("/api/models", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("outside", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);
    }

    [Fact]
    public async Task Promoting_an_unknown_version_is_a_404_and_rollback_without_history_a_409()
    {
        var (factory, _) = await StartAsync();
        await using var __ = factory;
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri("/api/models/nope@3/promote", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync(new Uri("/api/models/rollback", UriKind.Relative), null)).StatusCode);
    }

    [Fact]
    public async Task Promotions_under_concurrent_classify_load_fail_no_request()
    {
        var (factory, rooms) = await StartAsync(new Dictionary<string, string?> { ["Models:MaxLoadedInactiveModels"] = "0" });
        await using var _ = factory;
        using var client = factory.CreateClient();
        var failures = new ConcurrentBag<string>();
        var served = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();

        async Task ClientLoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new
                {
                    sequence = "A clownfish is lost in the ocean and his father looks for him.",
                    labels = new[] { "ocean", "space", "christmas" },
                    multi_label = true,
                });
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode}: {text}");
                    continue;
                }

                served.AddOrUpdate(JsonDocument.Parse(text).RootElement.GetProperty("model").GetString()!, 1, (_, n) => n + 1);
            }
        }

        var clients = Enumerable.Range(0, 6).Select(_ => Task.Run(ClientLoopAsync)).ToList();
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(150);
            await rooms.Lifecycle.PromoteAsync(Arctic, "load test", CancellationToken.None);
            await Task.Delay(150);
            await rooms.Lifecycle.RollbackAsync(CancellationToken.None);
        }

        await Task.Delay(100);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.True(served.ContainsKey(MiniLm) && served.ContainsKey(Arctic), string.Join(", ", served));
    }

    [Fact]
    public async Task A_corrupt_active_model_does_not_stop_the_service_the_previous_one_serves_and_readiness_says_why()
    {
        var data = TempDirectory.Create("mlops-app");
        var root = Path.Combine(data, "models");
        var broken = Path.Combine(root, "broken", "1");
        Directory.CreateDirectory(broken);
        await File.WriteAllBytesAsync(Path.Combine(broken, "model.onnx"), [1, 2, 3, 4]);
        await File.WriteAllTextAsync(Path.Combine(broken, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
        await File.WriteAllTextAsync(Path.Combine(broken, ModelManifest.FileName), """{"kind": "embedding", "name": "broken", "version": "1"}""");
        await File.WriteAllTextAsync(Path.Combine(root, ModelStore.StateFile), $$"""{"active": "broken@1", "previous": "{{MiniLm}}"}""");

        var (factory, rooms) = await StartAsync(dataDirectory: data);
        await using var _ = factory;
        using var client = factory.CreateClient();
        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);

        var ready = JsonDocument.Parse(await client.GetStringAsync(new Uri("/readyz", UriKind.Relative))).RootElement;
        var check = ready.GetProperty("checks").GetProperty("model");
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains("broken@1", check.GetProperty("description").GetString(), StringComparison.Ordinal);

        var classify = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new { sequence = "snow", labels = new[] { "winter" } });
        Assert.Equal(HttpStatusCode.OK, classify.StatusCode);
    }

    [Fact]
    public async Task Without_any_loadable_model_readiness_fails_with_the_reason_and_classify_answers_503()
    {
        var (factory, _) = await StartAsync(new Dictionary<string, string?>
        {
            ["Models:MaterializeBuiltIns"] = "false",
            ["Models:ActiveModel"] = "missing@1",
        });
        await using var __ = factory;
        using var client = factory.CreateClient();

        var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var check = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").GetProperty("model");
        Assert.Contains("missing@1", check.GetProperty("description").GetString(), StringComparison.Ordinal);

        var classify = await client.PostAsJsonAsync(new Uri("/api/classify", UriKind.Relative), new { sequence = "snow", labels = new[] { "winter" } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, classify.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_calibrated_version_keeps_the_weights_and_scores_with_the_new_calibration()
    {
        var (factory, rooms) = await StartAsync();
        await using var _ = factory;

        var calibrated = await rooms.Lifecycle.CreateCalibratedVersionAsync(MiniLm, new Calibration(5, 0.5, FittedFrom: "test judgments"), CancellationToken.None);
        Assert.Equal("all-MiniLM-L6-v2@2", calibrated.Id);
        Assert.Equal(rooms.Store.Find(MiniLm)!.Descriptor.Sha256, calibrated.Sha256);

        const string text = "A clownfish is lost in the ocean.";
        using var lease = await rooms.Cache.AcquireAsync(calibrated.Id, CancellationToken.None);
        var scorer = Assert.IsAssignableFrom<IEmbeddingScorer>(lease.Scorer);
        var vectors = await scorer.EmbedAsync([text, scorer.Hypothesis("ocean", null)], CancellationToken.None);
        var cosine = vectors[0].Zip(vectors[1]).Sum(p => (double)p.First * p.Second);
        var scores = await scorer.ScoreAsync([text], ["ocean"], new ZeroShotOptions(true), CancellationToken.None);
        Assert.Equal(1 / (1 + Math.Exp(-((5 * cosine) + 0.5))), scores[0][0], 4);
        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);
    }

    private static async Task<ModelRooms> WaitAsync(WebApplicationFactory<Program> app)
    {
        var rooms = ModelRooms.Of(app.Services);
        await rooms.Startup.Initialization.WaitAsync(TimeSpan.FromMinutes(2));
        return rooms;
    }

    private sealed class RecordingObserver : IModelLifecycleObserver
    {
        public ConcurrentQueue<string> RegisteredQueue { get; } = new();

        public ConcurrentQueue<(string, string?)> PromotedQueue { get; } = new();

        public List<string> Registered => [.. RegisteredQueue];

        public List<(string, string?)> Promoted => [.. PromotedQueue];

        public Task OnRegisteredAsync(ModelDescriptor model, CancellationToken cancellationToken)
        {
            RegisteredQueue.Enqueue(model.Id);
            return Task.CompletedTask;
        }

        public Task OnPromotedAsync(ModelDescriptor model, ModelDescriptor? previous, CancellationToken cancellationToken)
        {
            PromotedQueue.Enqueue((model.Id, previous?.Id));
            return Task.CompletedTask;
        }
    }
}
