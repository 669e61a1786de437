using System.Globalization;
using System.Text.Json;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Commands;

/// <summary>The options of <c>bench pool</c>.</summary>
/// <param name="Tags">The tags to pool documents for (hashtags without '#').</param>
/// <param name="Out">Folder the pools are written to, one <c>&lt;tag&gt;.pool.jsonl</c> each.</param>
/// <param name="Depth">Documents taken from the top of each system's whole-catalog ranking.</param>
/// <param name="FamilyDepth">Documents taken from the top of each system's genre=Family ranking.</param>
/// <param name="Models">Embedding model versions whose cosine ranking is pooled; the first also pools the default pipeline.</param>
public sealed record PoolBenchOptions(
    IReadOnlyList<string> Tags,
    string Out,
    int Depth,
    int FamilyDepth,
    IReadOnlyList<string> Models);

/// <summary>
/// <c>bench pool --tags a,b --out dir [--depth 30] [--family-depth 10] [--models id,id] [--catalog f] [--registry dir] [--cache dir]</c>:
/// the candidates to grade for new judgment sets, pooled as the dev judgments were (TREC style): the
/// union of the top documents of BM25 on the tag word, each model's cosine, and the default pipeline,
/// over the whole catalog and within genre=Family. Each tag's pool is written in id order with title,
/// overview and genres only, so that whoever grades it cannot tell which system found what. Grade each
/// into <c>&lt;tag&gt;.csv</c> (document_id,relevance 0-3) and pass the folder to <c>bench relevance --judgments</c>.
/// </summary>
public sealed record PoolBenchCommand(PoolBenchOptions Options, RelevanceBenchOptions Bench) : AppCommand
{
    public const string Kind = "pool";

    private static readonly string[] DefaultModels = ["all-MiniLM-L6-v2-int8@1", "snowflake-arctic-embed-xs@1"];

    private static readonly VerbSpec Spec = new("bench pool", Flags: [],
        Options: ["tags", "out", "depth", "family-depth", "models", "catalog", "registry", "cache"], MaxPositionals: 0, AcceptsSettings: false);

    internal static PoolBenchCommand FromArguments(IReadOnlyList<string> args)
    {
        var parsed = VerbArguments.Split(Spec, args);
        var tags = List(parsed.Option("tags"));
        if (tags.Count == 0 || tags.Any(t => !t.All(c => char.IsLetterOrDigit(c) || c == '_')))
        {
            throw new CommandLineException("bench pool: option --tags needs a comma-separated list of hashtags (letters, digits, '_'), e.g. --tags vampires,pirates.");
        }

        var output = parsed.Option("out") ?? throw new CommandLineException("bench pool: option --out <folder> is required (where the <tag>.pool.jsonl files go).");
        var models = List(parsed.Option("models"));
        if (models.Any(m => m.Split('@') is not [{ Length: > 0 }, { Length: > 0 }]))
        {
            throw new CommandLineException("bench pool: option --models must list model ids name@version.");
        }

        var options = new PoolBenchOptions(tags, output, parsed.PositiveInt("depth", 30), parsed.PositiveInt("family-depth", 10), models.Count == 0 ? DefaultModels : models);
        return new PoolBenchCommand(options, new RelevanceBenchOptions(parsed.Option("catalog"), null, parsed.Option("registry") ?? "data/models", options.Models[0], parsed.Option("cache")));
    }

    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var catalog = Bench.Catalog ?? RelevanceBenchCommand.FindShared(Path.Combine("tmdb", "tmdb_5000_movies.min.jsonl"));
        if (catalog is null || !File.Exists(catalog))
        {
            await error.WriteLineAsync("bench pool: no catalog; pass --catalog <movies.jsonl> (e.g. ../shared/data/tmdb/tmdb_5000_movies.min.jsonl).");
            return ImportCommand.NoInputExitCode;
        }

        using var cancellation = new CtrlCCancellation(cancellationToken);
        try
        {
            var pools = Options.Tags.ToDictionary(t => t, _ => new SortedDictionary<string, List<string>>(StringComparer.Ordinal), StringComparer.Ordinal);
            IReadOnlyList<CatalogDocument> documents = [];
            foreach (var (model, i) in Options.Models.Select((m, i) => (m, i)))
            {
                await using var bench = await RelevanceBenchmark.OpenUnjudgedAsync(Bench with { Catalog = catalog, Model = model }, Options.Tags, output, cancellation.Token);
                documents = bench.Pools["all"].Documents;
                Add(pools, documents, $"cosine {model}", await bench.FusedAsync(Cosine()));
                if (i == 0)
                {
                    Add(pools, documents, $"default {model}", await bench.FusedAsync(new RelevanceOptions()));
                    Add(pools, documents, "BM25 title^1", await Bm25Async(bench, documents.Count, cancellation.Token));
                }
            }

            await WriteAsync(pools, documents, output, cancellation.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }

    private static RelevanceOptions Cosine() => new() { Fusion = false, Feedback = FeedbackMethod.Off };

    private static List<string> List(string? value) =>
        [.. (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>BM25 of the tag word (the pipeline's lexical query) as a score per document in catalog order; unmatched documents score −∞.</summary>
    private async Task<Dictionary<string, double[]>> Bm25Async(RelevanceBenchmark bench, int count, CancellationToken ct)
    {
        var ids = bench.Pools["all"].Documents.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var tag in Options.Tags)
        {
            var scores = Enumerable.Repeat(double.NegativeInfinity, count).ToArray();
            foreach (var hit in (await bench.Index.LexicalSearchAsync([new WeightedText(tag, 1f)], count, LexicalFields.All, ct)).Hits)
            {
                if (ids.TryGetValue(hit.Id, out var i))
                {
                    scores[i] = hit.Score;
                }
            }

            result[tag] = scores;
        }

        return result;
    }

    /// <summary>Adds each tag's top <see cref="PoolBenchOptions.Depth"/> (and top Family <see cref="PoolBenchOptions.FamilyDepth"/>) by <paramref name="scores"/> to its pool.</summary>
    private void Add(Dictionary<string, SortedDictionary<string, List<string>>> pools, IReadOnlyList<CatalogDocument> documents, string system, Dictionary<string, double[]> scores)
    {
        foreach (var (tag, pool) in pools)
        {
            var ranked = scores[tag].Select((s, i) => (s, i)).Where(x => !double.IsNegativeInfinity(x.s)).OrderByDescending(x => x.s).Select(x => documents[x.i]).ToList();
            var family = ranked.Where(d => d.Genres.Contains("Family", StringComparer.OrdinalIgnoreCase)).Take(Options.FamilyDepth);
            foreach (var document in ranked.Take(Options.Depth).Concat(family))
            {
                if (!pool.TryGetValue(document.Id, out var found))
                {
                    pool[document.Id] = found = [];
                }

                if (!found.Contains(system))
                {
                    found.Add(system);
                }
            }
        }
    }

    private async Task WriteAsync(Dictionary<string, SortedDictionary<string, List<string>>> pools, IReadOnlyList<CatalogDocument> documents, TextWriter output, CancellationToken ct)
    {
        Directory.CreateDirectory(Options.Out);
        var byId = documents.ToDictionary(d => d.Id, StringComparer.Ordinal);
        await output.WriteLineAsync($"| tag | pooled documents | found by one system only | file |");
        await output.WriteLineAsync("|---|---:|---:|---|");
        foreach (var (tag, pool) in pools)
        {
            var file = Path.Combine(Options.Out, $"{tag}.pool.jsonl");
            var lines = pool.Keys.OrderBy(id => long.TryParse(id, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue).ThenBy(id => id, StringComparer.Ordinal)
                .Select(id => byId[id])
                .Select(d => JsonSerializer.Serialize(new { document_id = d.Id, title = d.Title, overview = d.Overview ?? "", genres = d.Genres }));
            await File.WriteAllLinesAsync(file, lines, ct);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| {tag} | {pool.Count} | {pool.Values.Count(s => s.Count == 1)} | {file} |"));
        }
    }
}
