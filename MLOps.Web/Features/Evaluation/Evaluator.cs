using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Evaluation;

/// <summary>An evaluation's record plus what only the caller needs: the ranked list and the query.</summary>
public sealed record EvaluationOutcome(EvaluationRecord Record, JudgedQuery Query, IReadOnlyList<RankedDocument> Ranked)
{
    public IReadOnlyList<string> UnjudgedInTopK =>
        Ranked.Take(Record.Metrics.K).Where(r => !r.Judged).Select(r => r.DocumentId).ToList();
}

/// <summary>The documents a set's query retrieves, fetched once and ranked by any number of model versions.</summary>
/// <param name="Set">The judgment set.</param>
/// <param name="Documents">The query's documents in retrieval order, plus judged documents the query's filter admits.</param>
/// <param name="MatchedTotal">How many documents the query matched in the index.</param>
public sealed record CandidatePool(JudgmentSet Set, IReadOnlyList<CatalogDocument> Documents, long MatchedTotal)
{
    /// <summary>Every document id of the catalog, in scan order (the relevance plan's statistics sample is drawn from them).</summary>
    public IReadOnlyList<string> CatalogIds { get; init; } = [];
}

/// <summary>
/// Runs a judgment set's query and scores the ranking. The active version is measured on the live
/// search path (the index sorted by the tag's classification field). Any other version is measured
/// in memory: the documents the query retrieves are scored by that version and ranked by score, so
/// a candidate is measured without writing to the live index.
/// </summary>
public sealed partial class Evaluator(
    ICatalogIndex index,
    IScorerProvider scorers,
    PoolScorer poolScorer,
    IModelRegistry registry,
    IEvaluationHistory history,
    IOptions<EvaluationOptions> options,
    TimeProvider time,
    ILogger<Evaluator> logger)
{
    /// <summary>Documents read from the index per call when a pool is the whole (filtered) catalog.</summary>
    private const int ReadPage = 1000;

    private readonly EvaluationOptions _options = options.Value;

    /// <summary>Evaluates <paramref name="modelId"/> (null: the active version) on <paramref name="set"/> and records it.</summary>
    public async Task<EvaluationOutcome> EvaluateAsync(
        JudgmentSet set, string? modelId, int k, EvaluationMode? mode, string trigger, CancellationToken cancellationToken)
    {
        var active = scorers.ActiveModelId;
        var model = modelId ?? active
            ?? throw new NoActiveModelException("No model version is active; name one in 'model'.");
        var effective = mode ?? (model == active ? EvaluationMode.Index : EvaluationMode.InMemory);
        if (effective == EvaluationMode.Index && model != active)
        {
            throw new InvalidModelRequestException("mode",
                $"'{model}' is not the active version: the index holds the active version's scores. Evaluate other versions with mode 'in_memory'.");
        }

        if (effective == EvaluationMode.Index)
        {
            return await EvaluateOnIndexAsync(set, model, k, trigger, cancellationToken);
        }

        var pool = await GetPoolAsync(set, cancellationToken);
        return await EvaluateInMemoryAsync(pool, model, k, trigger, null, cancellationToken);
    }

    /// <summary>The live search path: the set's query, sorted by the tag's classification field, descending.</summary>
    public async Task<EvaluationOutcome> EvaluateOnIndexAsync(JudgmentSet set, string model, int k, string trigger, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await index.SearchAsync(new SearchQuery
        {
            Genre = set.Query.Genre,
            Text = set.Query.Text,
            Sort = SearchSortKind.Field,
            SortField = LabelNaming.ToFieldName(set.Query.Tag),
            Size = k,
        }, cancellationToken);

        var field = LabelNaming.ToFieldName(set.Query.Tag);
        var hits = result.Hits;
        var stale = hits.Count(h => h.Document.ClassificationModel != model || !h.Document.Classifications.ContainsKey(field));
        var scores = new Dictionary<string, double?>(StringComparer.Ordinal);
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var hit in hits)
        {
            scores.TryAdd(hit.Document.Id, hit.Document.Classifications.TryGetValue(field, out var s) ? s : null);
            titles.TryAdd(hit.Document.Id, hit.Document.Title);
        }

        var outcome = Score(set, model, k, EvaluationMode.Index, trigger, hits.Select(h => h.Document.Id).ToList(), titles, scores, started);
        var record = outcome.Record with { StaleInTopK = stale };
        await history.AppendAsync(record, cancellationToken);
        LogEvaluated(logger, model, set.Name, "index", k, record.Metrics.Ndcg);
        return outcome with { Record = record };
    }

    /// <summary>
    /// The documents a set's query admits. Without text: every document the genre filter admits (the
    /// whole catalog without one), read in id order, so nothing is cut off. With text: the query's
    /// documents in relevance order (up to <see cref="EvaluationOptions.CandidatePoolSize"/>) plus the
    /// set's judged documents that the genre filter admits, so that no judged document is missed.
    /// </summary>
    public async Task<CandidatePool> GetPoolAsync(JudgmentSet set, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(cancellationToken))
        {
            ids.Add(id);
        }

        var docs = new List<CatalogDocument>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(set.Query.Text))
        {
            for (var offset = 0; offset < ids.Count; offset += ReadPage)
            {
                var page = await index.GetManyAsync(ids.GetRange(offset, Math.Min(ReadPage, ids.Count - offset)), cancellationToken);
                docs.AddRange(page.Where(d => MatchesGenre(d, set.Query.Genre) && seen.Add(d.Id)));
            }

            return new CandidatePool(set, docs, docs.Count) { CatalogIds = ids };
        }

        var result = await index.SearchAsync(new SearchQuery
        {
            Genre = set.Query.Genre,
            Text = set.Query.Text,
            Sort = SearchSortKind.Relevance,
            Size = _options.CandidatePoolSize,
        }, cancellationToken);
        docs.AddRange(result.Hits.Select(h => h.Document).Where(d => seen.Add(d.Id)));
        var missing = set.Judgments.Select(j => j.DocumentId).Where(id => !seen.Contains(id)).ToList();
        if (missing.Count > 0)
        {
            docs.AddRange((await index.GetManyAsync(missing, cancellationToken)).Where(d => MatchesGenre(d, set.Query.Genre) && seen.Add(d.Id)));
        }

        return new CandidatePool(set, docs, result.Total) { CatalogIds = ids };
    }

    /// <summary>Scores the pool with <paramref name="model"/> against the set's tag as a run would (<see cref="PoolScorer"/>) and ranks it by score (ties keep retrieval order).</summary>
    public async Task<EvaluationOutcome> EvaluateInMemoryAsync(
        CandidatePool pool, string model, int k, string trigger, CalibrationEffect? calibration, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var set = pool.Set;
        double[] scores;
        using (var lease = await scorers.AcquireAsync(model, cancellationToken))
        {
            (scores, _) = await poolScorer.ScoreAsync(lease.Scorer, pool, cancellationToken);
        }

        var order = Enumerable.Range(0, pool.Documents.Count)
            .OrderByDescending(i => scores[i])
            .ThenBy(i => i)
            .ToList();
        var ids = order.Select(i => pool.Documents[i].Id).ToList();
        var titles = pool.Documents.ToDictionary(d => d.Id, d => d.Title, StringComparer.Ordinal);
        var byId = order.ToDictionary(i => pool.Documents[i].Id, i => (double?)scores[i], StringComparer.Ordinal);
        var outcome = Score(set, model, k, EvaluationMode.InMemory, trigger, ids, titles, byId, started);
        var record = outcome.Record with { Calibration = calibration };
        await history.AppendAsync(record, cancellationToken);
        LogEvaluated(logger, model, set.Name, "in_memory", k, record.Metrics.Ndcg);
        return outcome with { Record = record };
    }

    private EvaluationOutcome Score(
        JudgmentSet set,
        string model,
        int k,
        EvaluationMode mode,
        string trigger,
        IReadOnlyList<string> rankedIds,
        IReadOnlyDictionary<string, string> titles,
        IReadOnlyDictionary<string, double?> scores,
        long started)
    {
        var judgments = set.Judgments.ToDictionary(j => j.DocumentId, j => j.Relevance, StringComparer.Ordinal);
        var (metrics, ranked) = RankingMetricsCalculator.Evaluate(rankedIds, judgments, k, _options.RelevanceThreshold);
        var listed = ranked
            .Take(k)
            .Select(r => r with { Title = titles.GetValueOrDefault(r.DocumentId), Score = scores.GetValueOrDefault(r.DocumentId) })
            .ToList();
        var record = new EvaluationRecord(
            Guid.NewGuid().ToString("N"),
            model,
            set.Name,
            mode,
            metrics,
            time.GetUtcNow(),
            trigger,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds)
        {
            ModelCalibration = ManifestCalibration.Read(registry.List().FirstOrDefault(m => m.Id == model)),
        };
        return new EvaluationOutcome(record, set.Query, listed);
    }

    private static bool MatchesGenre(CatalogDocument doc, string? genre) =>
        genre is null || doc.Genres.Any(g => string.Equals(g, genre, StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Evaluated {Model} on judgment set {Set} ({Mode}): NDCG@{K} = {Ndcg:F4}")]
    private static partial void LogEvaluated(ILogger logger, string model, string set, string mode, int k, double ndcg);
}

/// <summary>Reads the calibration a model version's manifest (<c>mlops-model.json</c>) holds, for the history.</summary>
internal static class ManifestCalibration
{
    public const string FileName = "mlops-model.json";

    /// <summary>The manifest's <c>calibration</c> node as stored, or null when absent or unreadable.</summary>
    public static JsonElement? Read(ModelDescriptor? model)
    {
        if (model is null || string.IsNullOrEmpty(model.Directory))
        {
            return null;
        }

        var path = Path.Combine(model.Directory, FileName);
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (string.Equals(property.Name, "calibration", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.Object)
                {
                    return property.Value.Clone();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            // best effort: the history entry then has no calibration
        }

        return null;
    }
}

