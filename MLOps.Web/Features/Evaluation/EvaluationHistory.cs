using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Evaluation;
using StackExchange.Redis;

namespace MLOps.Web.Features.Evaluation;

/// <summary>What a calibration changed, recorded with the evaluations of the calibrated version.</summary>
/// <param name="BaseModelId">The version the calibration was fitted for.</param>
/// <param name="A">Slope of the logistic mapping.</param>
/// <param name="B">Intercept of the logistic mapping.</param>
/// <param name="Samples">(document, set) pairs fitted.</param>
/// <param name="Positives">Pairs judged at or above the positive threshold.</param>
/// <param name="LogLossBefore">Mean log-loss of the base version's scores against the judgments.</param>
/// <param name="LogLossAfter">Mean log-loss of the calibrated scores.</param>
/// <param name="BrierBefore">Brier score of the base version's scores.</param>
/// <param name="BrierAfter">Brier score of the calibrated scores.</param>
/// <param name="NdcgBefore">NDCG@k of the base version on this entry's set (a ranking by one tag is unchanged by a monotone calibration).</param>
public sealed record CalibrationEffect(
    string BaseModelId,
    double A,
    double B,
    int Samples,
    int Positives,
    double LogLossBefore,
    double LogLossAfter,
    double BrierBefore,
    double BrierAfter,
    double? NdcgBefore);

/// <summary>One recorded evaluation of a model version on a judgment set.</summary>
public sealed record EvaluationRecord(
    string Id,
    string ModelId,
    string Set,
    EvaluationMode Mode,
    RankingMetrics Metrics,
    DateTimeOffset EvaluatedAt,
    string Trigger,
    double DurationMs)
{
    /// <summary>Top-k documents whose classification fields were written by another version (index mode only).</summary>
    public int? StaleInTopK { get; init; }

    /// <summary>Set when this version was created by a calibration: the fit and its effect.</summary>
    public CalibrationEffect? Calibration { get; init; }

    /// <summary>The calibration in the version's manifest when it was evaluated, as stored there.</summary>
    public JsonElement? ModelCalibration { get; init; }
}

/// <summary>A candidate's figures in a champion/challenger decision.</summary>
public sealed record CandidateOutcome(
    string ModelId,
    IReadOnlyDictionary<string, double> NdcgBySet,
    double MeanNdcg,
    double MeanDelta,
    IReadOnlyList<string> WorseSets,
    bool Qualifies,
    string Why)
{
    /// <summary>Sets left out of this candidate's comparison because a trained version (it or the champion) was trained on them: no leakage.</summary>
    public IReadOnlyList<string> ExcludedSets { get; init; } = [];

    /// <summary>The champion's mean NDCG over the sets this candidate was compared on.</summary>
    public double? ChampionMeanNdcg { get; init; }

    /// <summary>A rolled-back version's own record (its mean NDCG when it was promoted), which it must beat by the margin.</summary>
    public double? Record { get; init; }
}

/// <summary>One champion/challenger decision and the figures behind it.</summary>
public sealed record PromotionDecision(
    string Id,
    DateTimeOffset DecidedAt,
    string Trigger,
    string? ChampionId,
    IReadOnlyDictionary<string, double> ChampionNdcgBySet,
    double ChampionMeanNdcg,
    double Margin,
    int K,
    IReadOnlyList<CandidateOutcome> Candidates,
    string Outcome)
{
    public string? PromotedModelId { get; init; }

    public string? ReclassificationJobId { get; init; }

    public string? Note { get; init; }
}

/// <summary>Evaluation history and promotion decisions: a Redis list each when Redis is configured, else JSONL files.</summary>
public interface IEvaluationHistory
{
    Task AppendAsync(EvaluationRecord record, CancellationToken cancellationToken);

    /// <summary>Newest first, filtered by model and/or set.</summary>
    Task<IReadOnlyList<EvaluationRecord>> ListAsync(string? modelId, string? set, int limit, CancellationToken cancellationToken);

    Task AppendDecisionAsync(PromotionDecision decision, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<PromotionDecision>> ListDecisionsAsync(int limit, CancellationToken cancellationToken);
}

/// <summary>History in JSONL files under <c>data/evaluations</c>, trimmed to the configured limit.</summary>
public sealed class FileEvaluationHistory(string directory, int limit) : IEvaluationHistory, IDisposable
{
    private readonly int _limit = limit;
    private readonly Dictionary<string, int> _lineCounts = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _records = Path.Combine(directory, "history.jsonl");
    private readonly string _decisions = Path.Combine(directory, "decisions.jsonl");

    public void Dispose() => _gate.Dispose();

    public Task AppendAsync(EvaluationRecord record, CancellationToken cancellationToken) =>
        AppendLineAsync(_records, record, cancellationToken);

    public async Task<IReadOnlyList<EvaluationRecord>> ListAsync(string? modelId, string? set, int limit, CancellationToken cancellationToken) =>
        (await ReadAsync<EvaluationRecord>(_records, cancellationToken))
            .Take(_limit)
            .Where(r => (modelId is null || r.ModelId == modelId) && (set is null || r.Set == set))
            .Take(limit)
            .ToList();

    public Task AppendDecisionAsync(PromotionDecision decision, CancellationToken cancellationToken) =>
        AppendLineAsync(_decisions, decision, cancellationToken);

    public async Task<IReadOnlyList<PromotionDecision>> ListDecisionsAsync(int limit, CancellationToken cancellationToken) =>
        (await ReadAsync<PromotionDecision>(_decisions, cancellationToken)).Take(Math.Min(limit, _limit)).ToList();

    private async Task AppendLineAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        var line = JsonSerializer.Serialize(value, EvaluationJson.Options) + "\n";
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(directory);
            if (!_lineCounts.TryGetValue(path, out var count))
            {
                count = File.Exists(path) ? (await File.ReadAllLinesAsync(path, cancellationToken)).Length : 0;
            }

            await File.AppendAllTextAsync(path, line, Encoding.UTF8, cancellationToken);
            count++;
            if (count > _limit + Math.Max(10, _limit / 10))
            {
                // Trim in batches, not on every append: keep the newest _limit lines.
                var lines = await File.ReadAllLinesAsync(path, cancellationToken);
                var kept = string.Join('\n', lines[^Math.Min(_limit, lines.Length)..]) + "\n";
                await EvaluationJson.WriteAtomicAsync(path, Encoding.UTF8.GetBytes(kept), cancellationToken);
                count = Math.Min(_limit, lines.Length);
            }

            _lineCounts[path] = count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Entries newest first; a line that does not parse (torn write) is skipped.</summary>
    private async Task<List<T>> ReadAsync<T>(string path, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        string[] lines;
        try
        {
            lines = File.Exists(path) ? await File.ReadAllLinesAsync(path, cancellationToken) : [];
        }
        finally
        {
            _gate.Release();
        }

        var result = new List<T>(lines.Length);
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<T>(lines[i], EvaluationJson.Options) is { } value)
                {
                    result.Add(value);
                }
            }
            catch (JsonException)
            {
                // a partial line from a crash mid-append: skip it
            }
        }

        return result;
    }
}

/// <summary>History in Redis lists <c>{prefix}evaluation:history</c> and <c>{prefix}evaluation:decisions</c> (LPUSH + LTRIM).</summary>
public sealed class RedisEvaluationHistory(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, IOptions<EvaluationOptions> options) : IEvaluationHistory
{
    private readonly RedisKey _records = redisOptions.Value.KeyPrefix + "evaluation:history";
    private readonly RedisKey _decisions = redisOptions.Value.KeyPrefix + "evaluation:decisions";
    private readonly int _limit = options.Value.HistoryLimit;

    public Task AppendAsync(EvaluationRecord record, CancellationToken cancellationToken) =>
        PushAsync(_records, record, cancellationToken);

    public async Task<IReadOnlyList<EvaluationRecord>> ListAsync(string? modelId, string? set, int limit, CancellationToken cancellationToken) =>
        (await RangeAsync<EvaluationRecord>(_records, cancellationToken))
            .Where(r => (modelId is null || r.ModelId == modelId) && (set is null || r.Set == set))
            .Take(limit)
            .ToList();

    public Task AppendDecisionAsync(PromotionDecision decision, CancellationToken cancellationToken) =>
        PushAsync(_decisions, decision, cancellationToken);

    public async Task<IReadOnlyList<PromotionDecision>> ListDecisionsAsync(int limit, CancellationToken cancellationToken) =>
        (await RangeAsync<PromotionDecision>(_decisions, cancellationToken)).Take(limit).ToList();

    private async Task PushAsync<T>(RedisKey key, T value, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, EvaluationJson.Options);
        var tx = redis.GetDatabase().CreateTransaction();
        _ = tx.ListLeftPushAsync(key, json);
        _ = tx.ListTrimAsync(key, 0, _limit - 1);
        await tx.ExecuteAsync().WaitAsync(cancellationToken);
    }

    private async Task<List<T>> RangeAsync<T>(RedisKey key, CancellationToken cancellationToken)
    {
        var values = await redis.GetDatabase().ListRangeAsync(key, 0, _limit - 1).WaitAsync(cancellationToken);
        var result = new List<T>(values.Length);
        foreach (var v in values)
        {
            if (!v.IsNullOrEmpty && JsonSerializer.Deserialize<T>((byte[])v!, EvaluationJson.Options) is { } item)
            {
                result.Add(item);
            }
        }

        return result;
    }
}
