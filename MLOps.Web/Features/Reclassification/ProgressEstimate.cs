using System.Globalization;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// How far a run is: the documents of its finished (done or failed) chunks out of the plan's, and the
/// time left at the pace so far. Shown in the dashboard's <c>Progress</c> parameter, the log, and the
/// run history.
/// </summary>
public sealed record ProgressEstimate(double Percent, long DocumentsFinished, int ChunksFinished, TimeSpan Elapsed, TimeSpan? Eta)
{
    /// <summary>The estimate at <paramref name="at"/> (now, or when the run finished).</summary>
    public static ProgressEstimate Of(RunPlan plan, IReadOnlySet<int> finished, DateTimeOffset at)
    {
        var chunks = finished.Where(c => c >= 0 && c < plan.ChunkCount).ToList();
        var documents = chunks.Sum(c => (long)plan.ChunkSizes[c]);
        var percent = plan.TotalDocuments == 0 ? 100 : 100.0 * documents / plan.TotalDocuments;
        var elapsed = at - plan.StartedAt;
        if (elapsed < TimeSpan.Zero)
        {
            elapsed = TimeSpan.Zero;
        }

        TimeSpan? eta = documents > 0 ? TimeSpan.FromTicks((long)(elapsed.Ticks * (double)(plan.TotalDocuments - documents) / documents)) : null;
        return new ProgressEstimate(percent, documents, chunks.Count, elapsed, eta);
    }

    /// <summary>E.g. <c>42.0% (210/500 documents, 3/5 chunks), ETA 00:01:10</c>.</summary>
    public string Describe(RunPlan plan) => string.Create(CultureInfo.InvariantCulture,
        $"{Percent:F1}% ({DocumentsFinished}/{plan.TotalDocuments} documents, {ChunksFinished}/{plan.ChunkCount} chunks), ETA {EtaText}");

    public string EtaText => Eta is { } e ? e.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "unknown";

    /// <summary>The text a finished run leaves: e.g. <c>100% (succeeded: 500 documents in 12.0 s, 41.7 docs/s)</c>.</summary>
    public static string Finished(string status, long documents, double seconds) => string.Create(CultureInfo.InvariantCulture,
        $"100% ({status}: {documents} documents in {seconds:F1} s, {documents / seconds:F1} docs/s)");
}
