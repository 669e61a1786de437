using Microsoft.Extensions.Options;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Evaluation;

/// <summary>Logistic regression of one feature, <c>p = 1 / (1 + exp(-(a x + b)))</c>, fitted by Newton's method (IRLS).</summary>
public static class LogisticFit
{
    /// <summary>
    /// Maximum-likelihood (a, b) with a tiny ridge, so that separable data still gives finite values;
    /// <paramref name="weights"/> (one per sample, null: all 1) weigh each sample's likelihood. Newton
    /// steps are halved until the penalised loss does not grow (pure Newton can overshoot from the start).
    /// </summary>
    public static (double A, double B, int Iterations) Fit(
        IReadOnlyList<double> x, IReadOnlyList<bool> y, double ridge = 1e-6, int maxIterations = 100, IReadOnlyList<double>? weights = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(x.Count, y.Count);
        var w = weights ?? [.. Enumerable.Repeat(1.0, x.Count)];
        var total = w.Sum();
        var positives = Enumerable.Range(0, x.Count).Where(i => y[i]).Sum(i => w[i]);
        var prior = Math.Clamp((positives + 0.5) / (total + 1.0), 1e-6, 1 - 1e-6);
        double a = 0, b = Math.Log(prior / (1 - prior));
        var loss = Loss(x, y, w, ridge, a, b);
        for (var iteration = 1; iteration <= maxIterations; iteration++)
        {
            if (NewtonStep(x, y, w, ridge, a, b) is not { } step)
            {
                return (a, b, iteration);
            }

            var (da, db) = step;
            var scale = 1.0;
            var next = Loss(x, y, w, ridge, a - da, b - db);
            while (next > loss && scale > 1e-6)
            {
                scale /= 2;
                next = Loss(x, y, w, ridge, a - (scale * da), b - (scale * db));
            }

            a -= scale * da;
            b -= scale * db;
            loss = next;
            if (scale * (Math.Abs(da) + Math.Abs(db)) < 1e-10 * (1 + Math.Abs(a) + Math.Abs(b)))
            {
                return (a, b, iteration);
            }
        }

        return (a, b, maxIterations);
    }

    /// <summary>The Newton step (H⁻¹ g) of the weighted negative log-likelihood + ridge/2 (a² + b²); null when H is singular.</summary>
    private static (double Da, double Db)? NewtonStep(IReadOnlyList<double> x, IReadOnlyList<bool> y, IReadOnlyList<double> w, double ridge, double a, double b)
    {
        double ga = ridge * a, gb = ridge * b, haa = ridge, hab = 0, hbb = ridge;
        for (var i = 0; i < x.Count; i++)
        {
            var p = Sigmoid(a * x[i] + b);
            var r = (p - (y[i] ? 1 : 0)) * w[i];
            var h = Math.Max(p * (1 - p), 1e-12) * w[i];
            ga += r * x[i];
            gb += r;
            haa += h * x[i] * x[i];
            hab += h * x[i];
            hbb += h;
        }

        var det = haa * hbb - hab * hab;
        return det <= 0 || double.IsNaN(det) ? null : ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
    }

    private static double Loss(IReadOnlyList<double> x, IReadOnlyList<bool> y, IReadOnlyList<double> w, double ridge, double a, double b)
    {
        var loss = ridge / 2 * ((a * a) + (b * b));
        for (var i = 0; i < x.Count; i++)
        {
            var z = a * x[i] + b;
            // -log sigmoid(z) = softplus(-z); -log(1 - sigmoid(z)) = softplus(z), computed stably.
            loss += w[i] * Softplus(y[i] ? -z : z);
        }

        return loss;
    }

    private static double Softplus(double z) => z > 30 ? z : z < -30 ? Math.Exp(z) : Math.Log(1 + Math.Exp(z));

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>Mean negative log-likelihood, with probabilities clipped to [1e-7, 1 - 1e-7].</summary>
    public static double LogLoss(IReadOnlyList<double> p, IReadOnlyList<bool> y)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Count; i++)
        {
            var q = Math.Clamp(p[i], 1e-7, 1 - 1e-7);
            sum -= y[i] ? Math.Log(q) : Math.Log(1 - q);
        }

        return p.Count == 0 ? 0 : sum / p.Count;
    }

    /// <summary>Mean squared error of probabilities against 0/1 outcomes.</summary>
    public static double Brier(IReadOnlyList<double> p, IReadOnlyList<bool> y)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Count; i++)
        {
            var d = p[i] - (y[i] ? 1 : 0);
            sum += d * d;
        }

        return p.Count == 0 ? 0 : sum / p.Count;
    }
}

/// <summary>Calibration samples, one per (set, judged document): the cosine, the version's current score, relevant or not.</summary>
internal sealed class CalibrationSamples
{
    public List<double> Cosines { get; } = [];
    public List<double> Before { get; } = [];
    public List<bool> Outcomes { get; } = [];
}

/// <summary>The logistic fit of the samples and the log-loss and Brier score of the current scores and of the fitted ones.</summary>
internal sealed record CalibrationFit(double A, double B, int Iterations, double LogLossBefore, double LogLossAfter, double BrierBefore, double BrierAfter)
{
    public static CalibrationFit Of(CalibrationSamples samples)
    {
        var (a, b, iterations) = LogisticFit.Fit(samples.Cosines, samples.Outcomes);
        var after = samples.Cosines.Select(c => LogisticFit.Sigmoid(a * c + b)).ToList();
        return new CalibrationFit(a, b, iterations,
            LogisticFit.LogLoss(samples.Before, samples.Outcomes), LogisticFit.LogLoss(after, samples.Outcomes),
            LogisticFit.Brier(samples.Before, samples.Outcomes), LogisticFit.Brier(after, samples.Outcomes));
    }
}

/// <summary>
/// Fits an embedding model's cosine-to-[0,1] mapping from the judgment sets: each judged document of a
/// set is a sample, its cosine to the set's tag hypothesis the feature, "relevance at or above the
/// threshold" the outcome. The fit is stored as a new version (same weights); the evaluation history
/// records its a, b, log-loss and Brier score before and after, and the NDCG of both versions.
/// </summary>
public sealed partial class CalibrationService(
    ICatalogIndex index,
    IScorerProvider scorers,
    IModelRegistry registry,
    IJudgmentStore judgments,
    Evaluator evaluator,
    IOptions<EvaluationOptions> options,
    TimeProvider time,
    ILogger<CalibrationService> logger)
{
    private const int EmbedBatch = 128;

    public async Task<CalibrationResult> CalibrateAsync(string modelId, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var sets = await judgments.ListAsync(cancellationToken);
        if (sets.Count == 0)
        {
            throw new InvalidModelRequestException("judgments", "No judgment sets are stored; PUT /api/judgments/{set} first.");
        }

        var samples = await CollectSamplesAsync(modelId, sets, o.CalibrationPositiveThreshold, cancellationToken);
        var positives = samples.Outcomes.Count(v => v);
        if (samples.Outcomes.Count < o.CalibrationMinimumJudgments || positives == 0 || positives == samples.Outcomes.Count)
        {
            throw new InvalidModelRequestException("judgments",
                $"Calibration needs at least {o.CalibrationMinimumJudgments} judged documents found in the catalog, with both relevant (>= {o.CalibrationPositiveThreshold}) and non-relevant ones; found {samples.Outcomes.Count} ({positives} relevant).");
        }

        var fit = CalibrationFit.Of(samples);
        LogFitted(logger, modelId, fit.A, fit.B, samples.Outcomes.Count, fit.Iterations, fit.LogLossBefore, fit.LogLossAfter);
        var calibration = new Calibration(fit.A, fit.B, "logistic",
            $"{samples.Outcomes.Count} judgments ({positives} with relevance >= {o.CalibrationPositiveThreshold}) from sets {string.Join(", ", sets.Select(s => s.Name))}, {time.GetUtcNow():u}");
        var created = await registry.CreateCalibratedVersionAsync(modelId, calibration, cancellationToken);

        var effect = new CalibrationEffect(modelId, fit.A, fit.B, samples.Outcomes.Count, positives,
            fit.LogLossBefore, fit.LogLossAfter, fit.BrierBefore, fit.BrierAfter, null);
        var effects = await MeasureEffectsAsync(sets, modelId, created.Id, effect, cancellationToken);
        return new CalibrationResult(modelId, created.Id, calibration, samples.Outcomes.Count, positives,
            fit.LogLossBefore, fit.LogLossAfter, fit.BrierBefore, fit.BrierAfter, effects,
            "NDCG of a ranking by one tag does not change under a monotone calibration; the effect shows in log-loss, Brier score and in score-blended sorts (sort=trending).");
    }

    /// <summary>One sample per judged document of each set found in the catalog: its cosine to the set's tag hypothesis, the current score, the outcome.</summary>
    private async Task<CalibrationSamples> CollectSamplesAsync(string modelId, IReadOnlyList<JudgmentSet> sets, int positiveThreshold, CancellationToken cancellationToken)
    {
        var samples = new CalibrationSamples();
        using (var lease = await scorers.AcquireAsync(modelId, cancellationToken))
        {
            if (lease.Scorer is not IEmbeddingScorer embedder)
            {
                throw new InvalidModelRequestException("model", $"'{modelId}' is a {lease.Scorer.Model.Kind.ToString().ToLowerInvariant()} model; calibration applies to embedding models.");
            }

            foreach (var set in sets)
            {
                await AddSamplesAsync(embedder, set, positiveThreshold, samples, cancellationToken);
            }
        }

        return samples;
    }

    private async Task AddSamplesAsync(IEmbeddingScorer embedder, JudgmentSet set, int positiveThreshold, CalibrationSamples samples, CancellationToken ct)
    {
        var hypothesis = embedder.Hypothesis(LabelNaming.ToLabel(set.Query.Tag), null);
        var hypothesisEmbedding = (await embedder.EmbedAsync([hypothesis], ct))[0];
        var relevance = set.Judgments.ToDictionary(j => j.DocumentId, j => j.Relevance, StringComparer.Ordinal);
        var docs = (await index.GetManyAsync(relevance.Keys.ToList(), ct))
            .Where(d => relevance.ContainsKey(d.Id) && !string.IsNullOrWhiteSpace(d.ClassificationText))
            .ToList();
        for (var offset = 0; offset < docs.Count; offset += EmbedBatch)
        {
            var batch = docs.Skip(offset).Take(EmbedBatch).ToList();
            var embeddings = await embedder.EmbedAsync(batch.Select(d => d.ClassificationText).ToList(), ct);
            for (var i = 0; i < batch.Count; i++)
            {
                samples.Cosines.Add(Dot(embeddings[i], hypothesisEmbedding));
                samples.Before.Add(embedder.ScoreEmbeddings(embeddings[i], [hypothesisEmbedding])[0]);
                samples.Outcomes.Add(relevance[batch[i].Id] >= positiveThreshold);
            }
        }
    }

    /// <summary>Each set's NDCG for the base and the calibrated version over the same pool; the calibrated one's records carry the fit.</summary>
    private async Task<List<CalibrationSetEffect>> MeasureEffectsAsync(
        IReadOnlyList<JudgmentSet> sets, string modelId, string calibratedId, CalibrationEffect effect, CancellationToken ct)
    {
        var effects = new List<CalibrationSetEffect>(sets.Count);
        var k = options.Value.DefaultK;
        foreach (var set in sets)
        {
            var pool = await evaluator.GetPoolAsync(set, ct);
            var baseline = await evaluator.EvaluateInMemoryAsync(pool, modelId, k, $"calibration of {modelId}: before", null, ct);
            var withBaseline = effect with { NdcgBefore = baseline.Record.Metrics.Ndcg };
            var calibrated = await evaluator.EvaluateInMemoryAsync(pool, calibratedId, k, $"calibration of {modelId}: after", withBaseline, ct);
            effects.Add(new CalibrationSetEffect(set.Name, baseline.Record.Metrics.Ndcg, calibrated.Record.Metrics.Ndcg));
        }

        return effects;
    }

    private static double Dot(float[] x, float[] y)
    {
        var sum = 0.0;
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            sum += x[i] * (double)y[i];
        }

        return sum;
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Calibrated {Model}: a = {A:F4}, b = {B:F4} from {Samples} judgments in {Iterations} Newton steps; log-loss {Before:F4} -> {After:F4}")]
    private static partial void LogFitted(ILogger logger, string model, double a, double b, int samples, int iterations, double before, double after);
}
