using System.Diagnostics;
using System.Globalization;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// <c>dotnet MLOps.Web.dll bench reclassify [--cold-labels a,b,c,d,e] [--warm-labels f,g,h,i,j]</c>:
/// over the catalog already in the index, measures the inference-only time (every document embedded
/// once, the floor), then a cold run (embedding cache of the active model cleared) and a warm run
/// (cache filled, new labels), each through the real Hangfire jobs, and prints a markdown table.
/// </summary>
public static class ReclassificationBenchmark
{
    public static readonly string[] DefaultColdLabels = ["christmas", "horror", "space", "romance", "sports"];
    public static readonly string[] DefaultWarmLabels = ["war", "ocean", "comedy", "robots", "family"];

    /// <summary>Settings the verb runs the host with: no startup or scheduled run to disturb the timings, a free port.</summary>
    public static IReadOnlyDictionary<string, string?> HostSettings { get; } = new Dictionary<string, string?>
    {
        ["Reclassification:RunAtStartup"] = "false",
        ["Reclassification:Cron"] = "",
        ["urls"] = "http://127.0.0.1:0",
    };

    public static bool IsVerb(IEnumerable<string> args) => args.Take(2).SequenceEqual(["bench", "reclassify"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Starts the host, runs the benchmark, stops the host; sets the process exit code.</summary>
    public static async Task RunHostAsync(WebApplication app, string[] args)
    {
        await app.StartAsync();
        try
        {
            Environment.ExitCode = await RunAsync(app.Services, args, Console.Out, app.Lifetime.ApplicationStopping);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var cold = Labels(args, "--cold-labels") ?? DefaultColdLabels;
        var warm = Labels(args, "--warm-labels") ?? DefaultWarmLabels;
        var index = services.GetRequiredService<ICatalogIndex>();
        var scorers = services.GetRequiredService<IScorerProvider>();
        var trigger = services.GetRequiredService<IReclassificationTrigger>();
        var history = services.GetRequiredService<RunHistory>();
        var cache = services.GetRequiredService<IEmbeddingCache>();

        var ready = Stopwatch.StartNew();
        while (scorers.ActiveModelId is null)
        {
            if (ready.Elapsed > TimeSpan.FromMinutes(5))
            {
                await output.WriteLineAsync("No active model after 5 minutes; see /readyz.");
                return 2;
            }

            await Task.Delay(500, cancellationToken);
        }

        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            ids.Add(id);
        }

        if (ids.Count == 0)
        {
            await output.WriteLineAsync("The index is empty: import a catalog first (dotnet MLOps.Web.dll import <file>).");
            return 2;
        }

        var texts = new List<string>(ids.Count);
        foreach (var page in ids.Chunk(500))
        {
            texts.AddRange((await index.GetManyAsync(page, cancellationToken)).Select(d => d.ClassificationText));
        }

        ModelDescriptor model;
        double inferenceSeconds;
        double inferenceCpu;
        using (var lease = await scorers.AcquireAsync(null, cancellationToken))
        {
            model = lease.Scorer.Model;
            var cpu = CpuSeconds();
            var sw = Stopwatch.StartNew();
            foreach (var batch in texts.Chunk(500))
            {
                if (lease.Scorer is IEmbeddingScorer embedding)
                {
                    await embedding.EmbedAsync(batch, cancellationToken);
                }
                else
                {
                    await lease.Scorer.ScoreAsync(batch, cold, new ZeroShotOptions(), cancellationToken);
                }
            }

            inferenceSeconds = sw.Elapsed.TotalSeconds;
            inferenceCpu = CpuSeconds() - cpu;
        }

        await cache.ClearAsync(model.Sha256, cancellationToken);
        var coldRun = await RunOnceAsync(trigger, history, cold, "benchmark: cold", cancellationToken);
        var warmRun = await RunOnceAsync(trigger, history, warm, "benchmark: warm", cancellationToken);

        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync($"Model {model.Id}, {texts.Count} documents, {Environment.ProcessorCount} CPUs.");
        await output.WriteLineAsync();
        await output.WriteLineAsync("| run | tags | documents | embedded | wall s (run) | wall s (trigger to done) | docs/s | ratio to inference-only | process CPU s | CPU ratio |");
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|");
        await output.WriteLineAsync(string.Format(c, "| inference only | - | {0} | {0} | {1:F2} | {1:F2} | {2:F1} | 1.00 | {3:F1} | 1.00 |", texts.Count, inferenceSeconds, texts.Count / inferenceSeconds, inferenceCpu));
        foreach (var (name, run, wall, cpu) in new[] { ("cold", coldRun.Run, coldRun.Wall, coldRun.Cpu), ("warm", warmRun.Run, warmRun.Wall, warmRun.Cpu) })
        {
            await output.WriteLineAsync(string.Format(c, "| {0} | {1} | {2} | {3} | {4:F2} | {5:F2} | {6:F1} | {7:F2} | {8:F1} | {9:F2} |",
                name, run.Tags.Count, run.DocumentsDone, run.DocumentsEmbedded, run.DurationSeconds ?? double.NaN, wall,
                run.DocsPerSecond ?? double.NaN, (run.DurationSeconds ?? double.NaN) / inferenceSeconds, cpu, cpu / inferenceCpu));
        }

        // The machine may be shared: CPU time of this process is the figure other load disturbs least.
        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Format(c, "Process CPU time covers the whole process (Hangfire, trending ingest, Lucene) from trigger to done; load average at the end {0}.", LoadAverage()));

        return coldRun.Run.Status == RunStatus.Succeeded && warmRun.Run.Status == RunStatus.Succeeded ? 0 : 1;
    }

    private static async Task<(ReclassificationRun Run, double Wall, double Cpu)> RunOnceAsync(
        IReclassificationTrigger trigger, RunHistory history, IReadOnlyList<string> labels, string reason, CancellationToken cancellationToken)
    {
        var cpu = CpuSeconds();
        var sw = Stopwatch.StartNew();
        var id = await trigger.EnqueueAsync(labels, reason, cancellationToken);
        while (true)
        {
            if (await history.GetAsync(id, cancellationToken) is { } run && RunStatus.IsFinished(run.Status))
            {
                return (run, sw.Elapsed.TotalSeconds, CpuSeconds() - cpu);
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string[]? Labels(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (string.Equals(args[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
        }

        return null;
    }
}
