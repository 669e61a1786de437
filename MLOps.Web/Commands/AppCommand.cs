namespace MLOps.Web.Commands;

/// <summary>
/// What one start of the process does, parsed once from its command line (<see cref="Parse"/>):
/// serve the app (no verb), or run one verb and exit. Each command decides what host it needs:
/// <see cref="ServeCommand"/>, <see cref="ImportCommand"/> and <see cref="ReclassifyBenchCommand"/>
/// build the app's host (with the settings the verb wants), <see cref="HealthcheckCommand"/>,
/// <see cref="CatalogBenchCommand"/> and <see cref="ClassificationBenchCommand"/> run without one.
/// </summary>
public abstract record AppCommand
{
    /// <summary>The verbs and their options, printed with every command-line error.</summary>
    public const string Usage = """
        usage: dotnet MLOps.Web.dll [command] [options]
          (no command) [--Section:Key=value ...]        serve the app (ASP.NET Core command-line configuration)
          healthcheck [url]                             GET /healthz of the running app; exit 0 healthy, 1 not
          import <file> [--strict] [--Section:Key=value ...]
                                                        import a catalog file into the configured index
          bench catalog [--file <movies.jsonl>] [--queries n]
                                                        import, bulk update and search on a temporary Lucene index
          bench reclassify [--cold-labels a,b] [--warm-labels c,d] [--Section:Key=value ...]
                                                        inference-only, cold and warm runs over the index
          bench relevance [--catalog <movies.jsonl>] [--judgments <dir>] [--registry dir] [--model id] [--cache dir] [--rows all|parts]
                                                        NDCG@10 of BM25, today's cosine and each relevance part on judged tags
          bench train [--catalog <movies.jsonl>] [--judgments <dir>] [--registry dir] [--model id] [--cache dir] [--seed n] [--with-family] [--hold-out a,b]
                                                        NDCG@10 of the trained fusion, leave-one-tag-out (or trained without the --hold-out tags, scored on them), against the default
          bench pool --tags a,b --out <dir> [--depth 30] [--family-depth 10] [--models id,id] [--catalog f] [--registry dir] [--cache dir]
                                                        candidates to grade for new judgment sets, pooled from BM25, cosine and the default
          bench embed [--data file] [--limit n] [--model id] [--registry dir] [--batches 1,8,32] [--bucketing on|off|both] [session]
          bench accuracy [--data file] [--limit n] [--registry dir] [--models id,id] [--judgments dir] [session]
          bench tokens [--data file] [--limit n] [--model id] [--registry dir]
            session: [--workers n] [--threads n] [--spinning on|off] [--optimization all|extended|basic|disabled]
                     [--execution sequential|parallel] [--inter-op n] [--memory-pattern on|off] [--arena on|off]
          bench latency [--data file] [--limit n] [--url http://host:port] [--requests n]
          help                                          this text
        """;

    /// <summary>Exit code of a command line that does not parse.</summary>
    public const int UsageExitCode = 2;

    /// <summary>
    /// The command for <paramref name="args"/>. No verb (no arguments, or a first argument that is an
    /// option such as <c>--urls</c>) serves the app with every argument as host configuration; an
    /// unknown verb or a bad option gives a <see cref="UsageError"/>, never an exception.
    /// </summary>
    public static AppCommand Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            return new ServeCommand([.. args]);
        }

        var rest = args.Skip(1).ToList();
        try
        {
            return args[0].ToLowerInvariant() switch
            {
                HealthcheckCommand.Verb => HealthcheckCommand.FromArguments(rest),
                ImportCommand.Verb => ImportCommand.FromArguments(rest),
                "bench" => ParseBench(rest),
                "help" => new HelpCommand(),
                _ => throw new CommandLineException($"unknown command '{args[0]}'."),
            };
        }
        catch (CommandLineException ex)
        {
            return new UsageError(ex.Message);
        }
    }

    /// <summary>Runs the command; returns the process exit code.</summary>
    public abstract Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken);

    /// <summary>
    /// Parses and runs <paramref name="args"/>. An argument a command finds wrong only when it runs
    /// (a <see cref="CommandLineException"/>, e.g. <c>--model</c> naming a version the registry lacks)
    /// is the same usage error as one the parser finds: "error: ..." on stderr, exit code 2, no stack trace.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            return await Parse(args).RunAsync(output, error, cancellationToken);
        }
        catch (CommandLineException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}".AsMemory(), cancellationToken);
            return UsageExitCode;
        }
    }

    private static AppCommand ParseBench(List<string> rest)
    {
        if (rest.Count == 0 || rest[0].StartsWith('-'))
        {
            throw new CommandLineException("bench: name what to measure: catalog, reclassify, relevance, train, pool, embed, accuracy, latency or tokens.");
        }

        var options = rest.Skip(1).ToList();
        return rest[0].ToLowerInvariant() switch
        {
            CatalogBenchCommand.Kind => CatalogBenchCommand.FromArguments(options),
            ReclassifyBenchCommand.Kind => ReclassifyBenchCommand.FromArguments(options),
            RelevanceBenchCommand.Kind => RelevanceBenchCommand.FromArguments(options),
            TrainBenchCommand.Kind => TrainBenchCommand.FromArguments(options),
            PoolBenchCommand.Kind => PoolBenchCommand.FromArguments(options),
            _ when ClassificationBenchCommand.TryParseKind(rest[0], out var kind) => ClassificationBenchCommand.FromArguments(kind, options),
            _ => throw new CommandLineException($"bench: unknown benchmark '{rest[0]}'; use catalog, reclassify, relevance, train, pool, embed, accuracy, latency or tokens."),
        };
    }
}

/// <summary>A command line that does not parse: the message, the usage text, exit code 2.</summary>
public sealed record UsageError(string Message) : AppCommand
{
    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await error.WriteLineAsync($"error: {Message}".AsMemory(), cancellationToken);
        await error.WriteLineAsync(Usage.AsMemory(), cancellationToken);
        return UsageExitCode;
    }
}

/// <summary><c>help</c>: the usage text, exit 0.</summary>
public sealed record HelpCommand : AppCommand
{
    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(Usage.AsMemory(), cancellationToken);
        return 0;
    }
}

/// <summary>Cancels a verb's token on Ctrl+C (the served app's own host handles its signals).</summary>
internal sealed class CtrlCCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;

    public CtrlCCancellation(CancellationToken cancellationToken)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    public CancellationToken Token => _cts.Token;

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _cts.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _cts.Cancel();
    }
}
