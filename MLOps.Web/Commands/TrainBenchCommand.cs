using MLOps.Web.Shared.Training;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>bench train [--catalog f] [--judgments dir] [--registry dir] [--model id] [--cache dir] [--seed n] [--with-family] [--hold-out a,b]</c>:
/// the dev judgments as <c>bench relevance</c> loads them; for each tag, the fusion trained by the
/// product's trainer on the other tags' whole-catalog sets (<c>--with-family</c>: and their Family sets; learner chosen by leave-one-tag-out among those: nested) and
/// scored on the tag's sets through the product's evaluator, beside the untrained default. One markdown
/// table (docs/benchmarks.md, "Training"). <c>--hold-out a,b</c>: one fold instead, trained on every other tag and
/// scored on those (e.g. the tags judged last, trained on the ones judged before).
/// </summary>
public sealed record TrainBenchCommand(RelevanceBenchOptions Options, int Seed, bool WithFamily = false, IReadOnlyList<string>? HoldOut = null) : AppCommand
{
    public const string Kind = "train";

    private static readonly VerbSpec Spec = new("bench train", Flags: ["with-family"],
        Options: ["catalog", "judgments", "registry", "model", "cache", "seed", "hold-out"], MaxPositionals: 0, AcceptsSettings: false);

    internal static TrainBenchCommand FromArguments(IReadOnlyList<string> args)
    {
        var parsed = VerbArguments.Split(Spec, args);
        var defaults = new RelevanceBenchOptions();
        var model = parsed.Option("model") ?? defaults.Model;
        if (model.Split('@') is not [{ Length: > 0 }, { Length: > 0 }])
        {
            throw new CommandLineException($"bench train: option --model must be a model id name@version, not '{model}'.");
        }

        return new TrainBenchCommand(
            new RelevanceBenchOptions(parsed.Option("catalog"), parsed.Option("judgments"), parsed.Option("registry") ?? defaults.Registry, model, parsed.Option("cache")),
            parsed.PositiveInt("seed", 17),
            parsed.Flag("with-family"),
            ParseHoldOut(parsed.Option("hold-out")));
    }

    private static List<string>? ParseHoldOut(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var tags = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return tags.Count > 0 ? tags : throw new CommandLineException("bench train: option --hold-out needs tags, e.g. --hold-out baseball,dance.");
    }

    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var catalog = Options.Catalog ?? RelevanceBenchCommand.FindShared(Path.Combine("tmdb", "tmdb_5000_movies.min.jsonl"));
        var judgments = Options.Judgments ?? RelevanceBenchCommand.FindShared("judgments-dev");
        if (catalog is null || !File.Exists(catalog) || judgments is null || !Directory.Exists(judgments))
        {
            await error.WriteLineAsync("bench train: no input; pass --catalog <movies.jsonl> and --judgments <folder of tag.csv> (e.g. ../shared/data/tmdb/tmdb_5000_movies.min.jsonl and ../shared/data/judgments-dev).");
            return ImportCommand.NoInputExitCode;
        }

        using var cancellation = new CtrlCCancellation(cancellationToken);
        try
        {
            await using var bench = await RelevanceBenchmark.OpenAsync(Options with { Catalog = catalog, Judgments = judgments }, output, cancellation.Token);
            await new TrainingBenchmark(bench, Seed, WithFamily, HoldOut, cancellation.Token).RunAsync();
            return 0;
        }
        catch (TrainingDataException ex)
        {
            await error.WriteLineAsync($"bench train: the training tags cannot be trained on ({ex.Field}): {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }
}
