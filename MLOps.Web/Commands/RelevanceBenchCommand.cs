namespace MLOps.Web.Commands;

/// <summary>The options of <c>bench relevance</c>; null paths are found above the working folder (../shared/data).</summary>
/// <param name="Catalog">TMDB movies as JSON lines.</param>
/// <param name="Judgments">Folder of <c>&lt;tag&gt;.csv</c> judgment files (document_id,relevance).</param>
/// <param name="Registry">Folder the built-in models are written to.</param>
/// <param name="Model">The embedding model version to score with.</param>
/// <param name="Cache">Embedding cache folder; null: a temporary one (the one-off document embedding is then measured).</param>
/// <param name="Rows">Which rows: <c>all</c> (parts and experiments) or <c>parts</c> (baselines, each part, the default).</param>
public sealed record RelevanceBenchOptions(
    string? Catalog = null,
    string? Judgments = null,
    string Registry = "data/models",
    string Model = "all-MiniLM-L6-v2-int8@1",
    string? Cache = null,
    string Rows = "all");

/// <summary>
/// <c>bench relevance [--catalog f] [--judgments dir] [--registry dir] [--model id] [--cache dir] [--rows all|parts]</c>:
/// loads the catalog into a temporary Lucene index through the product importer, the judgments as
/// sets <c>dev-&lt;tag&gt;</c> (no genre filter) and <c>dev-&lt;tag&gt;-family</c> (genre Family, where a tag
/// has at least 3 relevant Family films), scores with the real model through the product's evaluator
/// and relevance pipeline, and prints one markdown table (docs/benchmarks.md, "Relevance").
/// </summary>
public sealed record RelevanceBenchCommand(RelevanceBenchOptions Options) : AppCommand
{
    public const string Kind = "relevance";

    private static readonly VerbSpec Spec = new("bench relevance", Flags: [],
        Options: ["catalog", "judgments", "registry", "model", "cache", "rows"], MaxPositionals: 0, AcceptsSettings: false);

    internal static RelevanceBenchCommand FromArguments(IReadOnlyList<string> args)
    {
        var parsed = VerbArguments.Split(Spec, args);
        var defaults = new RelevanceBenchOptions();
        var model = parsed.Option("model") ?? defaults.Model;
        if (model.Split('@') is not [{ Length: > 0 }, { Length: > 0 }])
        {
            throw new CommandLineException($"bench relevance: option --model must be a model id name@version, not '{model}'.");
        }

        return new RelevanceBenchCommand(new RelevanceBenchOptions(
            parsed.Option("catalog"),
            parsed.Option("judgments"),
            parsed.Option("registry") ?? defaults.Registry,
            model,
            parsed.Option("cache"),
            parsed.Choice("rows", defaults.Rows, "all", "parts")));
    }

    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var catalog = Options.Catalog ?? FindShared(Path.Combine("tmdb", "tmdb_5000_movies.min.jsonl"));
        var judgments = Options.Judgments ?? FindShared("judgments-dev");
        if (catalog is null || !File.Exists(catalog) || judgments is null || !Directory.Exists(judgments))
        {
            await error.WriteLineAsync("bench relevance: no input; pass --catalog <movies.jsonl> and --judgments <folder of tag.csv> (e.g. ../shared/data/tmdb/tmdb_5000_movies.min.jsonl and ../shared/data/judgments-dev).");
            return ImportCommand.NoInputExitCode;
        }

        using var cancellation = new CtrlCCancellation(cancellationToken);
        try
        {
            await using var bench = await RelevanceBenchmark.OpenAsync(Options with { Catalog = catalog, Judgments = judgments }, output, cancellation.Token);
            await bench.RunAsync(Options.Rows == "all");
            return 0;
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }

    /// <summary>../shared/data/<paramref name="relative"/> from the working folder or any folder above it.</summary>
    internal static string? FindShared(string relative)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "data", relative);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }
}
