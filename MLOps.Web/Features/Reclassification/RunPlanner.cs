using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Reclassification;

/// <summary>What a plan is made from; the coordinator gathers it (trending, model lease, index scan, field times).</summary>
public sealed record RunPlanInputs
{
    public required string RunId { get; init; }
    public required string Reason { get; init; }

    /// <summary>The tags to score (<see cref="RunPlanner.SelectTags"/>).</summary>
    public required IReadOnlyList<RunTag> Tags { get; init; }

    /// <summary>The model version every chunk scores with, fixed once for the run.</summary>
    public required string ModelId { get; init; }
    public required string ModelSha256 { get; init; }

    /// <summary>Every document id of the catalog, in the index's stable order.</summary>
    public required IReadOnlyList<string> DocumentIds { get; init; }

    /// <summary>Classification field -> when a run last wrote it.</summary>
    public required IReadOnlyDictionary<string, DateTimeOffset> FieldTimes { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>Chunk size, field retention, retry policy, hypothesis template.</summary>
    public required ReclassificationOptions Options { get; init; }
}

/// <summary>A plan and the document ids of each of its chunks.</summary>
public sealed record PlannedRun(RunPlan Plan, IReadOnlyList<IReadOnlyList<string>> Chunks);

/// <summary>
/// Plans a run without any I/O: which tags (explicit labels, or the top trending tags), the chunks
/// of document ids, which fields left the tag set longer than the retention ago (removed by this
/// run), and the retry policy every chunk follows.
/// </summary>
public static class RunPlanner
{
    /// <summary>Why a run with neither labels nor trending tags is skipped.</summary>
    public const string NoTags = "no trending tags and no labels";

    /// <summary>The explicit labels when there are any, else the first <paramref name="topTags"/> tags of the trending snapshot.</summary>
    public static IReadOnlyList<RunTag> SelectTags(IReadOnlyList<string>? labels, TrendingSnapshot? trending, int topTags) =>
        labels is { Count: > 0 }
            ? ReclassificationLabels.FromLabels(labels)
            : ReclassificationLabels.FromTrending((trending?.Tags ?? []).Take(topTags));

    public static PlannedRun Plan(RunPlanInputs inputs)
    {
        var o = inputs.Options;
        var chunks = Chunk(inputs.DocumentIds, o.ChunkSize);
        var plan = new RunPlan
        {
            RunId = inputs.RunId,
            Reason = inputs.Reason,
            Tags = inputs.Tags,
            ModelId = inputs.ModelId,
            ModelSha256 = inputs.ModelSha256,
            HypothesisTemplate = o.HypothesisTemplate,
            ChunkSizes = [.. chunks.Select(c => c.Count)],
            TotalDocuments = chunks.Sum(c => (long)c.Count),
            RemoveFields = ExpiredFields(inputs.Tags, inputs.FieldTimes, inputs.Now, o.FieldRetention),
            RetryAttempts = o.RetryAttempts,
            RetryDelaysSeconds = o.EffectiveRetryDelaysSeconds,
            StartedAt = inputs.Now,
        };
        return new PlannedRun(plan, chunks);
    }

    /// <summary>Consecutive chunks of <paramref name="size"/> ids; the last one holds the rest.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Chunk(IReadOnlyList<string> ids, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return [.. ids.Chunk(size).Select(c => (IReadOnlyList<string>)c)];
    }

    /// <summary>Fields not among the tags that no run wrote for at least <paramref name="retention"/>, in ordinal order.</summary>
    public static IReadOnlyList<string> ExpiredFields(
        IReadOnlyList<RunTag> tags, IReadOnlyDictionary<string, DateTimeOffset> fieldTimes, DateTimeOffset now, TimeSpan retention)
    {
        var fields = tags.Select(t => t.Field).ToHashSet(StringComparer.Ordinal);
        return [.. fieldTimes
            .Where(f => !fields.Contains(f.Key) && now - f.Value >= retention)
            .Select(f => f.Key)
            .Order(StringComparer.Ordinal)];
    }
}
