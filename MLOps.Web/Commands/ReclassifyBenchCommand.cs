using System.Diagnostics;
using System.Globalization;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>dotnet MLOps.Web.dll bench reclassify [--cold-labels a,b,c,d,e] [--warm-labels f,g,h,i,j]
/// [--Section:Key=value ...]</c>: over the catalog already in the index, measures the inference-only
/// time (every document embedded once, the floor), then a cold run (embedding cache of the active
/// model cleared) and a warm run (cache filled, new labels), each through the real Hangfire jobs,
/// and prints a markdown table. The host runs with <see cref="HostSettings"/>: no startup or
/// scheduled run to disturb the timings, a free port.
/// </summary>
public sealed record ReclassifyBenchCommand(IReadOnlyList<string> ColdLabels, IReadOnlyList<string> WarmLabels, IReadOnlyList<string> Settings) : AppCommand
{
    public const string Kind = "reclassify";

    public static readonly string[] DefaultColdLabels = ["christmas", "horror", "space", "romance", "sports"];
    public static readonly string[] DefaultWarmLabels = ["war", "ocean", "comedy", "robots", "family"];

    /// <summary>What the verb's host is configured with, over the command line's own settings.</summary>
    public static IReadOnlyDictionary<string, string?> HostSettings { get; } = new Dictionary<string, string?>
    {
        ["Reclassification:RunAtStartup"] = "false",
        ["Reclassification:Cron"] = "",
        ["urls"] = "http://127.0.0.1:0",
    };

    private static readonly VerbSpec Spec = new("bench reclassify", Flags: [], Options: ["cold-labels", "warm-labels"], MaxPositionals: 0, AcceptsSettings: true);

    internal static ReclassifyBenchCommand FromArguments(IReadOnlyList<string> args)
    {
        var parsed = VerbArguments.Split(Spec, args);
        return new ReclassifyBenchCommand(parsed.List("cold-labels") ?? DefaultColdLabels, parsed.List("warm-labels") ?? DefaultWarmLabels, parsed.Settings);
    }

    /// <summary>Starts the app's host (endpoints not mapped), measures, stops it.</summary>
    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var app = AppHost.CreateBuilder([.. Settings], HostSettings).Build();
        await app.StartAsync(cancellationToken);
        try
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
            return await MeasureAsync(app.Services, output, stopping.Token);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The measures against a running host's services; 0 when both runs succeeded, 1 when one failed, 2 when nothing could run.</summary>
    public async Task<int> MeasureAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var scorers = services.GetRequiredService<IScorerProvider>();
        if (!await WaitForModelAsync(scorers, output, cancellationToken))
        {
            return 2;
        }

        var texts = await ReadTextsAsync(services.GetRequiredService<ICatalogIndex>(), cancellationToken);
        if (texts.Count == 0)
        {
            await output.WriteLineAsync("The index is empty: import a catalog first (dotnet MLOps.Web.dll import <file>).");
            return 2;
        }

        var floor = await MeasureInferenceAsync(scorers, texts, cancellationToken);
        await services.GetRequiredService<IEmbeddingCache>().ClearAsync(floor.Model.Sha256, cancellationToken);
        var trigger = services.GetRequiredService<IReclassificationTrigger>();
        var history = services.GetRequiredService<RunHistory>();
        var cold = await RunOnceAsync(trigger, history, ColdLabels, "benchmark: cold", cancellationToken);
        var warm = await RunOnceAsync(trigger, history, WarmLabels, "benchmark: warm", cancellationToken);

        await WriteTableAsync(output, floor, texts.Count, [("cold", cold), ("warm", warm)]);
        return cold.Run.Status == RunStatus.Succeeded && warm.Run.Status == RunStatus.Succeeded ? 0 : 1;
    }

    private sealed record Floor(ModelDescriptor Model, double Seconds, double CpuSeconds);

    private sealed record Measured(ReclassificationRun Run, double Wall, double Cpu);

    private static async Task<bool> WaitForModelAsync(IScorerProvider scorers, TextWriter output, CancellationToken cancellationToken)
    {
        var ready = Stopwatch.StartNew();
        while (scorers.ActiveModelId is null)
        {
            if (ready.Elapsed > TimeSpan.FromMinutes(5))
            {
                await output.WriteLineAsync("No active model after 5 minutes; see /readyz.");
                return false;
            }

            await Task.Delay(500, cancellationToken);
        }

        return true;
    }

    /// <summary>Every document's classification text, in index order.</summary>
    private static async Task<List<string>> ReadTextsAsync(ICatalogIndex index, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            ids.Add(id);
        }

        var texts = new List<string>(ids.Count);
        foreach (var page in ids.Chunk(500))
        {
            texts.AddRange((await index.GetManyAsync(page, cancellationToken)).Select(d => d.ClassificationText));
        }

        return texts;
    }

    /// <summary>The floor: every text embedded once by the active model (or scored, for a non-embedding scorer), batches of 500.</summary>
    private async Task<Floor> MeasureInferenceAsync(IScorerProvider scorers, List<string> texts, CancellationToken cancellationToken)
    {
        using var lease = await scorers.AcquireAsync(null, cancellationToken);
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
                await lease.Scorer.ScoreAsync(batch, ColdLabels, new ZeroShotOptions(), cancellationToken);
            }
        }

        return new Floor(lease.Scorer.Model, sw.Elapsed.TotalSeconds, CpuSeconds() - cpu);
    }

    private static async Task<Measured> RunOnceAsync(
        IReclassificationTrigger trigger, RunHistory history, IReadOnlyList<string> labels, string reason, CancellationToken cancellationToken)
    {
        var cpu = CpuSeconds();
        var sw = Stopwatch.StartNew();
        var id = await trigger.EnqueueAsync(labels, reason, cancellationToken);
        while (true)
        {
            if (await history.GetAsync(id, cancellationToken) is { } run && RunStatus.IsFinished(run.Status))
            {
                return new Measured(run, sw.Elapsed.TotalSeconds, CpuSeconds() - cpu);
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task WriteTableAsync(TextWriter output, Floor floor, int documents, (string Name, Measured Measured)[] runs)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync($"Model {floor.Model.Id}, {documents} documents, {Environment.ProcessorCount} CPUs.");
        await output.WriteLineAsync();
        await output.WriteLineAsync("| run | tags | documents | embedded | wall s (run) | wall s (trigger to done) | docs/s | ratio to inference-only | process CPU s | CPU ratio |");
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|");
        await output.WriteLineAsync(string.Format(c, "| inference only | - | {0} | {0} | {1:F2} | {1:F2} | {2:F1} | 1.00 | {3:F1} | 1.00 |", documents, floor.Seconds, documents / floor.Seconds, floor.CpuSeconds));
        foreach (var (name, (run, wall, cpu)) in runs)
        {
            await output.WriteLineAsync(string.Format(c, "| {0} | {1} | {2} | {3} | {4:F2} | {5:F2} | {6:F1} | {7:F2} | {8:F1} | {9:F2} |",
                name, run.Tags.Count, run.DocumentsDone, run.DocumentsEmbedded, run.DurationSeconds ?? double.NaN, wall,
                run.DocsPerSecond ?? double.NaN, (run.DurationSeconds ?? double.NaN) / floor.Seconds, cpu, cpu / floor.CpuSeconds));
        }

        await WriteSplitAsync(output, floor, runs);

        // The machine may be shared: CPU time of this process is the figure other load disturbs least.
        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Format(c, "Process CPU time covers the whole process (Hangfire, trending ingest, Lucene) from trigger to done; load average at the end {0}.", LoadAverage()));
    }

    /// <summary>Where each run's wall time went (<see cref="RunSplit"/>), in seconds, beside the inference-only floor.</summary>
    private static async Task WriteSplitAsync(TextWriter output, Floor floor, (string Name, Measured Measured)[] runs)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync();
        await output.WriteLineAsync("Where the run's time went (s; chunk phases summed over chunks; outside chunks = run wall - plan - chunks: scheduling, bookkeeping, waits):");
        await output.WriteLineAsync();
        await output.WriteLineAsync("| run | wall | plan | read | lease wait | inference | cache | score | index write | outside chunks | inference / inference-only |");
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, (run, _, _)) in runs)
        {
            if (run.Split is not { } s)
            {
                continue;
            }

            await output.WriteLineAsync(string.Format(c, "| {0} | {1:F2} | {2:F2} | {3:F2} | {4:F2} | {5:F2} | {6:F2} | {7:F2} | {8:F2} | {9:F2} | {10:F2} |",
                name, run.DurationSeconds ?? double.NaN, s.Plan, s.Read, s.Lease, s.Embed, s.Cache, s.Score, s.Write, s.OutsideChunks, s.Embed / floor.Seconds));
        }
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
