using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Models;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Commands;

/// <summary>
/// The product pieces <c>bench relevance</c> runs on: a temporary Lucene index filled by the
/// <see cref="CatalogImporter"/>, the model loaded as the registry loads it, the disk embedding cache,
/// the judgment sets and their candidate pools (<see cref="Evaluator.GetPoolAsync"/>). Each row is
/// measured by the product's <see cref="Evaluator"/> with a <see cref="PoolScorer"/> over that row's
/// <see cref="RelevanceOptions"/>; <see cref="RelevanceBenchRows"/> says which rows and prints them.
/// </summary>
internal sealed class RelevanceBenchmark : IAsyncDisposable
{
    public const int K = 10;

    private readonly string _temp;
    private readonly LuceneCatalogIndex _index;
    private readonly LoadedModel _model;
    private readonly IEmbeddingCache _cache;
    private readonly FileEvaluationHistory _history;
    private readonly CancellationToken _ct;

    private RelevanceBenchmark(string temp, LuceneCatalogIndex index, LoadedModel model, IEmbeddingCache cache, TextWriter output, CancellationToken ct)
    {
        _temp = temp;
        _index = index;
        _model = model;
        _cache = cache;
        Output = output;
        _ct = ct;
        _history = new FileEvaluationHistory(Path.Combine(temp, "evaluations"), 100_000);
    }

    public TextWriter Output { get; }

    public IEmbeddingScorer Scorer => (IEmbeddingScorer)_model.Scorer;

    public ICatalogIndex Index => _index;

    /// <summary>The embedding cache and the loaded model (bench train builds its own evaluators over them).</summary>
    public IEmbeddingCache Cache => _cache;

    public LoadedModel Model => _model;

    public IReadOnlyList<string> Tags { get; private set; } = [];

    /// <summary>Set name -> pool; <c>dev-&lt;tag&gt;</c> and, where qualified, <c>dev-&lt;tag&gt;-family</c>.</summary>
    public Dictionary<string, CandidatePool> Pools { get; } = new(StringComparer.Ordinal);

    public long Documents { get; private set; }

    public string Describe { get; private set; } = "";

    /// <summary>Opens the bench over <paramref name="options"/>' judgments.</summary>
    public static Task<RelevanceBenchmark> OpenAsync(RelevanceBenchOptions options, TextWriter output, CancellationToken ct) =>
        OpenAsync(options, null, output, ct);

    /// <summary>Opens the bench over <paramref name="tags"/> with no judgments: one pool, the whole catalog (<c>bench pool</c>).</summary>
    public static Task<RelevanceBenchmark> OpenUnjudgedAsync(RelevanceBenchOptions options, IReadOnlyList<string> tags, TextWriter output, CancellationToken ct) =>
        OpenAsync(options, tags, output, ct);

    private static async Task<RelevanceBenchmark> OpenAsync(RelevanceBenchOptions options, IReadOnlyList<string>? unjudgedTags, TextWriter output, CancellationToken ct)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"mlops-relevance-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        var index = new LuceneCatalogIndex(Path.Combine(temp, "index"), NullLogger<LuceneCatalogIndex>.Instance);
        var imported = await new CatalogImporter(index, Options.Create(new CatalogImportOptions()), NullLogger<CatalogImporter>.Instance)
            .ImportFileAsync(options.Catalog!, strict: false, ct);
        var model = await LoadModelAsync(options, ct);
        var cacheRoot = options.Cache is null ? Path.Combine(temp, "cache") : Path.GetFullPath(options.Cache);
        var data = new DataDirectory(Options.Create(new StorageOptions { DataDirectory = cacheRoot }), new HostingEnvironment { ContentRootPath = cacheRoot });
        var cache = new DiskEmbeddingCache(data, Options.Create(new ReclassificationOptions { CacheDirectory = "." }));
        var bench = new RelevanceBenchmark(temp, index, model, cache, output, ct) { Documents = imported.Indexed };
        if (unjudgedTags is null)
        {
            await bench.LoadJudgmentsAsync(options.Judgments!);
        }
        else
        {
            bench.Pools["all"] = await bench.WholeCatalogAsync();
            bench.Tags = unjudgedTags;
        }

        bench.Describe = string.Create(CultureInfo.InvariantCulture,
            $"{imported.Indexed} documents from {options.Catalog}; judgments {options.Judgments} ({bench.Tags.Count} tags, {bench.Pools.Keys.Count(k => k.EndsWith("-family", StringComparison.Ordinal))} Family rows); model {options.Model}; {Environment.ProcessorCount} CPUs");
        return bench;
    }

    /// <summary>Every document's embedding computed once (cold cache) or read (warm); the one-off per-document cost.</summary>
    public async Task<(double SecondsPer1000, int Embedded)> EmbedCatalogAsync()
    {
        var all = Pools.Values.First(p => p.Set.Query.Genre is null).Documents;
        var started = Stopwatch.GetTimestamp();
        var got = await CachedEmbeddings.GetAsync(Scorer, _cache, [.. all.Select(d => d.ClassificationText)], _ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (got.Embedded == 0 ? 0 : seconds / got.Embedded * 1000, got.Embedded);
    }

    /// <summary>NDCG@10 and unjudged@10 of every set for one configuration, through the product's evaluator.</summary>
    public async Task<Dictionary<string, (double Ndcg, int Unjudged)>> EvaluateAsync(RelevanceOptions options)
    {
        var evaluator = Evaluator(options);
        var result = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
        foreach (var (name, pool) in Pools)
        {
            var outcome = await evaluator.EvaluateInMemoryAsync(pool, _model.Descriptor.Id, K, "bench relevance", null, _ct);
            result[name] = (outcome.Record.Metrics.Ndcg, outcome.UnjudgedInTopK.Count);
        }

        return result;
    }

    /// <summary>
    /// Plan cost per tag (ms: every tag planned in one request, as a run plans them, so the statistics
    /// sample is read once) and chunk cost per 1,000 documents (ms: the chunk math on cached embeddings),
    /// and the plans (what each tag searched).
    /// </summary>
    public async Task<(double PlanMs, double ChunkMsPer1000, IReadOnlyList<TagPlan> Plans)> CostAsync(RelevanceOptions options)
    {
        var all = Pools.Values.First(p => p.Set.Query.Genre is null);
        var vectors = (await CachedEmbeddings.GetAsync(Scorer, _cache, [.. all.Documents.Select(d => d.ClassificationText)], _ct)).Vectors;
        var planner = new TagPlanner(_index, _cache, Options.Create(options), NullLogger<TagPlanner>.Instance);
        var request = new TagPlanRequest(Scorer, [.. Tags.Select(t => new TagToPlan(t, t, "classification_" + t))], all.CatalogIds, null) { Options = options };
        var planned = await planner.PlanAsync(request, _ct);
        var started = Stopwatch.GetTimestamp();
        foreach (var plan in planned.Plans)
        {
            for (var i = 0; i < vectors.Length; i++)
            {
                _ = TagScoring.Score(plan, all.Documents[i].Id, vectors[i], Scorer);
            }
        }

        var chunk = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return (planned.Milliseconds / Tags.Count, chunk / Tags.Count / vectors.Length * 1000, planned.Plans);
    }

    /// <summary>Every document's fused evidence (before the sigmoid) for every tag, in catalog order, as the chunks compute it.</summary>
    public async Task<Dictionary<string, double[]>> FusedAsync(RelevanceOptions options)
    {
        var all = Pools.Values.First(p => p.Set.Query.Genre is null);
        var vectors = (await CachedEmbeddings.GetAsync(Scorer, _cache, [.. all.Documents.Select(d => d.ClassificationText)], _ct)).Vectors;
        var planner = new TagPlanner(_index, _cache, Options.Create(options), NullLogger<TagPlanner>.Instance);
        var request = new TagPlanRequest(Scorer, [.. Tags.Select(t => new TagToPlan(t, t, "classification_" + t))], all.CatalogIds, null) { Options = options };
        var planned = await planner.PlanAsync(request, _ct);
        return Tags.Select((t, i) => (t, planned.Plans[i]))
            .ToDictionary(x => x.t, x => all.Documents.Select((d, j) => TagScoring.Fused(x.Item2, d.Id, vectors[j])).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>BM25 of the tag word alone: the product's search parse (title^2) or the pipeline's lexical query (title^1); unmatched documents follow in id order.</summary>
    public async Task<Dictionary<string, (double Ndcg, int Unjudged)>> Bm25Async(bool productParse)
    {
        var result = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
        foreach (var (name, pool) in Pools)
        {
            var tag = pool.Set.Query.Tag;
            var admitted = pool.Documents.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            IEnumerable<string> hits = productParse
                ? (await _index.SearchAsync(new SearchQuery { Text = tag, Genre = pool.Set.Query.Genre, Size = (int)Documents }, _ct)).Hits.Select(h => h.Document.Id)
                : (await _index.LexicalSearchAsync([new WeightedText(tag, 1f)], (int)Documents, LexicalFields.All, _ct)).Hits.Select(h => h.Id).Where(admitted.Contains);
            var ranked = hits.ToList();
            var seen = ranked.ToHashSet(StringComparer.Ordinal);
            ranked.AddRange(pool.Documents.Select(d => d.Id).Where(id => !seen.Contains(id)).Order(StringComparer.Ordinal));
            var judgments = pool.Set.Judgments.ToDictionary(j => j.DocumentId, j => j.Relevance, StringComparer.Ordinal);
            var (metrics, top) = RankingMetricsCalculator.Evaluate(ranked, judgments, K, 1);
            result[name] = (metrics.Ndcg, top.Take(K).Count(r => !r.Judged));
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _model.ReleaseAndWaitAsync();
        _index.Dispose();
        _history.Dispose();
        (_cache as IDisposable)?.Dispose();
        Directory.Delete(_temp, recursive: true);
    }

    private Evaluator Evaluator(RelevanceOptions options)
    {
        var planner = new TagPlanner(_index, _cache, Options.Create(options), NullLogger<TagPlanner>.Instance);
        var pools = new PoolScorer(planner, _cache, Options.Create(options), new ConfigurationBuilder().Build());
        var provider = new BenchModels(_model);
        return new Evaluator(_index, provider, pools, provider, _history, Options.Create(new EvaluationOptions()), TimeProvider.System, NullLogger<Evaluator>.Instance);
    }

    private static async Task<LoadedModel> LoadModelAsync(RelevanceBenchOptions options, CancellationToken ct)
    {
        var root = Path.GetFullPath(options.Registry);
        var materializer = new BuiltInModelMaterializer(root, null, TimeProvider.System, NullLogger.Instance);
        var quantized = new BuiltInQuantizedMaterializer(root, null, TimeProvider.System, NullLogger.Instance);
        foreach (var builtIn in BuiltInModels.All)
        {
            await materializer.MaterializeAsync(builtIn, ct);
            if (options.Model == ModelStore.Id(ModelQuantization.QuantizedName(builtIn.Name), BuiltInModel.Version))
            {
                // the shipped default is an int8 copy the service writes at start-up; the bench writes it the same way
                await quantized.MaterializeAsync(builtIn, ct);
            }
        }

        var parts = options.Model.Split('@');
        var dir = parts.Length == 2 && parts.All(p => p.Length > 0) ? Path.Combine(root, parts[0], parts[1]) : "";
        if (!File.Exists(Path.Combine(dir, ModelManifest.FileName)))
        {
            var known = Directory.GetDirectories(root).SelectMany(n => Directory.GetDirectories(n).Select(v => $"{Path.GetFileName(n)}@{Path.GetFileName(v)}"))
                .Where(id => !id.Contains("/.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            throw new CommandLineException($"bench relevance: no model {options.Model} in {root} (there: {string.Join(", ", known)}); give --registry a registry that holds it, e.g. the service's <data>/models.");
        }

        var (name, version) = (parts[0], parts[1]);
        var manifest = ModelManifest.Read(Path.Combine(dir, ModelManifest.FileName));
        var descriptor = new ModelDescriptor(options.Model, name, version, manifest.Kind, manifest.Sha256 ?? "", dir);
        var model = LoadedModel.Load(descriptor, manifest, ClassificationBenchOptions.ServiceDefaults.Session, ClassificationBenchOptions.ServiceDefaults.Batching with { MaxDelay = TimeSpan.Zero });
        return model.Scorer is IEmbeddingScorer ? model : throw new CommandLineException($"bench relevance: {options.Model} is not an embedding model.");
    }

    /// <summary>The whole catalog as one pool with no judgments (no genre, no text).</summary>
    private async Task<CandidatePool> WholeCatalogAsync() =>
        await Evaluator(new RelevanceOptions()).GetPoolAsync(new JudgmentSet("all", new JudgedQuery(null, "all"), [], DateTimeOffset.UnixEpoch), _ct);

    /// <summary>Sets <c>dev-&lt;tag&gt;</c> (no genre) and <c>dev-&lt;tag&gt;-family</c> (genre Family, the judged Family films, where at least 3 are relevant).</summary>
    private async Task LoadJudgmentsAsync(string folder)
    {
        var tags = new List<string>();
        var everything = await WholeCatalogAsync();
        var family = everything.Documents.Where(d => d.Genres.Contains("Family", StringComparer.OrdinalIgnoreCase)).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal))
        {
            var tag = Path.GetFileNameWithoutExtension(file);
            var parsed = JudgmentParser.ParseCsv(await File.ReadAllTextAsync(file, _ct), 1_000_000);
            if (!parsed.IsValid)
            {
                throw new CommandLineException($"bench relevance: {file}: {string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}");
            }

            tags.Add(tag);
            var set = new JudgmentSet($"dev-{tag}", new JudgedQuery(null, tag), parsed.Judgments, DateTimeOffset.UnixEpoch);
            Pools[set.Name] = everything with { Set = set };
            var familyJudged = parsed.Judgments.Where(j => family.Contains(j.DocumentId)).ToList();
            if (familyJudged.Count(j => j.Relevance >= 1) >= 3)
            {
                var familySet = new JudgmentSet($"dev-{tag}-family", new JudgedQuery("Family", tag), familyJudged, DateTimeOffset.UnixEpoch);
                var docs = everything.Documents.Where(d => family.Contains(d.Id)).ToList();
                Pools[familySet.Name] = new CandidatePool(familySet, docs, docs.Count) { CatalogIds = everything.CatalogIds };
            }
        }

        Tags = tags;
    }
}

/// <summary>The bench's one loaded model as scorer provider and registry (the evaluator reads both).</summary>
internal sealed class BenchModels(LoadedModel model) : IScorerProvider, IModelRegistry
{
    public string? ActiveModelId => model.Descriptor.Id;

    public ValueTask<ScorerLease> AcquireAsync(string? modelId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ScorerLease(model.Scorer, null));

    public IReadOnlyList<ModelDescriptor> List() => [model.Descriptor];

    public Task<ModelDescriptor> RegisterAsync(string directory, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task PromoteAsync(string id, string reason, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string> RollbackAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ModelDescriptor> CreateCalibratedVersionAsync(string baseId, Calibration calibration, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}
