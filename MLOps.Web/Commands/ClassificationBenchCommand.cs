using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Commands;

/// <summary>The classification benchmarks (docs/benchmarks.md).</summary>
public enum ClassificationBenchKind
{
    /// <summary>Embedding throughput per batch size, with and without length bucketing.</summary>
    Embed,

    /// <summary>Zero-shot genre accuracy of the built-in models over TMDB overviews.</summary>
    Accuracy,

    /// <summary><c>POST /api/classify</c> latency against a running service.</summary>
    Latency,

    /// <summary>Token-length distribution of the TMDB texts under a model's tokenizer (how many a window truncates).</summary>
    Tokens,
}

/// <summary>The options of <c>bench embed|accuracy|latency</c>; null: the benchmark's default.</summary>
/// <param name="Data">TMDB JSON lines; null: ../shared/data/tmdb/tmdb_5000_movies.min.jsonl.</param>
/// <param name="Limit">Most movies read.</param>
/// <param name="Model">Model id (<c>name@version</c>) of the embed benchmark.</param>
/// <param name="Registry">Folder the built-in models are written to.</param>
/// <param name="Url">Base URL of the running service (latency).</param>
/// <param name="Requests">Requests per concurrency level (latency).</param>
/// <param name="Spinning">ONNX Runtime thread spinning.</param>
/// <param name="Batches">Batch sizes of the embed benchmark.</param>
/// <param name="Session">ONNX Runtime session settings (null: the service's defaults with <paramref name="Spinning"/>).</param>
/// <param name="Bucketing">Embed: length bucketing <c>on</c>, <c>off</c> or <c>both</c> (one row each).</param>
/// <param name="Models">Accuracy: the model ids to compare (null: each built-in model and its int8 copy).</param>
/// <param name="Judgments">Accuracy: folder of <c>&lt;tag&gt;.csv</c> judgments ranked by cosine (null: ../shared/data/judgments-dev).</param>
/// <param name="Workers">Embed and accuracy: batches run at the same time (null: the service's <c>Models:InferenceWorkers</c> default).</param>
public sealed record ClassificationBenchOptions(
    string? Data = null,
    int Limit = 100_000,
    string Model = "all-MiniLM-L6-v2@1",
    string Registry = "data/models",
    Uri? Url = null,
    int Requests = 200,
    bool Spinning = false,
    IReadOnlyList<int>? Batches = null,
    OnnxSessionSettings? Session = null,
    string Bucketing = "both",
    IReadOnlyList<string>? Models = null,
    string? Judgments = null,
    int? Workers = null)
{
    public static readonly Uri DefaultUrl = new("http://127.0.0.1:8080");

    /// <summary>The service's <c>Models:</c> defaults (workers, batch size) the benchmarks run with unless told otherwise.</summary>
    public static readonly Features.Models.ModelsOptions ServiceDefaults = new();

    public IReadOnlyList<int> EffectiveBatches => Batches ?? [1, 8, 32];

    /// <summary>The session settings, with unset threads shared among <see cref="EffectiveWorkers"/> as in the service.</summary>
    public OnnxSessionSettings EffectiveSession => (Session ?? new OnnxSessionSettings(AllowSpinning: Spinning)).ForWorkers(EffectiveWorkers);

    public IReadOnlyList<bool> EffectiveBucketing => Bucketing switch { "on" => [true], "off" => [false], _ => [true, false] };

    public Uri EffectiveUrl => Url ?? DefaultUrl;

    public int EffectiveWorkers => Workers ?? ServiceDefaults.InferenceWorkers;

    /// <summary>The batching of the embed and accuracy benchmarks: no delay (one caller), the given batch size, bucketing and workers.</summary>
    public BatchingSettings BatchingFor(int batch, bool bucketing) => new(batch, TimeSpan.Zero, bucketing, EffectiveWorkers);
}

/// <summary>
/// <c>bench embed|accuracy|latency [options]</c>: runs <see cref="ClassificationBench"/> without a
/// host. Each benchmark takes only its own options (see <see cref="AppCommand.Usage"/>).
/// </summary>
public sealed record ClassificationBenchCommand(ClassificationBenchKind Which, ClassificationBenchOptions Options) : AppCommand
{
    /// <summary>The ONNX Runtime session and worker flags (<c>Models:</c> settings of the service, one run at a time).</summary>
    private static readonly string[] SessionFlags = ["workers", "spinning", "threads", "optimization", "execution", "inter-op", "memory-pattern", "arena"];

    private static readonly Dictionary<ClassificationBenchKind, string[]> OptionsOf = new()
    {
        [ClassificationBenchKind.Embed] = ["data", "limit", "model", "registry", "batches", "bucketing", .. SessionFlags],
        [ClassificationBenchKind.Accuracy] = ["data", "limit", "registry", "models", "judgments", .. SessionFlags],
        [ClassificationBenchKind.Latency] = ["data", "limit", "url", "requests"],
        [ClassificationBenchKind.Tokens] = ["data", "limit", "model", "registry"],
    };

    internal static bool TryParseKind(string text, out ClassificationBenchKind kind) =>
        Enum.TryParse(text, ignoreCase: true, out kind) && Enum.IsDefined(kind) && !int.TryParse(text, out _);

    internal static ClassificationBenchCommand FromArguments(ClassificationBenchKind kind, IReadOnlyList<string> args)
    {
        var spec = new VerbSpec($"bench {kind.ToString().ToLowerInvariant()}", Flags: [], Options: OptionsOf[kind], MaxPositionals: 0, AcceptsSettings: false);
        var parsed = VerbArguments.Split(spec, args);
        var defaults = new ClassificationBenchOptions();
        return new ClassificationBenchCommand(kind, new ClassificationBenchOptions(
            Data: parsed.Option("data"),
            Limit: parsed.PositiveInt("limit", defaults.Limit),
            Model: ModelId(parsed) ?? defaults.Model,
            Registry: parsed.Option("registry") ?? defaults.Registry,
            Url: parsed.Option("url") is null ? null : parsed.Url("url", ClassificationBenchOptions.DefaultUrl),
            Requests: parsed.PositiveInt("requests", defaults.Requests),
            Spinning: parsed.Choice("spinning", "off", "on", "off") == "on",
            Batches: Batches(parsed),
            Session: Session(parsed),
            Bucketing: parsed.Choice("bucketing", "both", "on", "off", "both"),
            Models: parsed.List("models"),
            Judgments: parsed.Option("judgments"),
            Workers: parsed.Option("workers") is null ? null : parsed.PositiveInt("workers", 1)));
    }

    /// <summary>The session flags over the service's defaults (threads = CPU count / workers, spinning off, All, Sequential, pattern and arena on).</summary>
    private static OnnxSessionSettings? Session(VerbArguments parsed)
    {
        if (!parsed.Spec.Options.Contains("threads"))
        {
            return null;
        }

        var execution = Enum.Parse<OnnxExecutionMode>(parsed.Choice("execution", "sequential", "sequential", "parallel"), ignoreCase: true);
        return new OnnxSessionSettings(
            IntraOpNumThreads: parsed.Option("threads") is null ? 0 : parsed.PositiveInt("threads", 1),
            AllowSpinning: parsed.Choice("spinning", "off", "on", "off") == "on",
            GraphOptimization: Enum.Parse<OnnxGraphOptimization>(parsed.Choice("optimization", "all", "all", "extended", "basic", "disabled"), ignoreCase: true),
            ExecutionMode: execution,
            InterOpNumThreads: execution == OnnxExecutionMode.Parallel ? parsed.PositiveInt("inter-op", 2) : 1,
            MemoryPattern: parsed.Choice("memory-pattern", "on", "on", "off") == "on",
            CpuMemoryArena: parsed.Choice("arena", "on", "on", "off") == "on");
    }

    public override Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        ClassificationBench.RunAsync(Which, Options, output, error, cancellationToken);

    private static string? ModelId(VerbArguments parsed) =>
        parsed.Option("model") is not { } id || id.Split('@') is [{ Length: > 0 }, { Length: > 0 }]
            ? parsed.Option("model")
            : throw new CommandLineException($"{parsed.Spec.Verb}: option --model must be a model id name@version, not '{id}'.");

    private static int[]? Batches(VerbArguments parsed) =>
        parsed.List("batches")?.Select(b => int.TryParse(b, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new CommandLineException($"{parsed.Spec.Verb}: option --batches must list positive whole numbers, not '{b}'.")).ToArray();
}
