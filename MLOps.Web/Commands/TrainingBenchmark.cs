using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Features.Relevance;
using MLOps.Web.Features.Training;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>bench train</c>'s measurement: the sets' features built once by the product's <see cref="TrainingData"/>,
/// per held-out tag, the <see cref="FusionTrainer"/> fit on the other tags' whole-catalog sets (with
/// <paramref name="withFamily"/>, their Family sets too, as the service trains on every set it holds; learner by
/// their leave-one-tag-out) and each learner alone, each scored on the held-out tag's sets by the product's <see cref="Evaluator"/>
/// with the fold's fusion served as a trained version's would be (<see cref="ITrainedVersions"/>).
/// With <paramref name="holdOut"/>, one fold instead: trained on every other tag, scored on those tags.
/// </summary>
internal sealed class TrainingBenchmark(RelevanceBenchmark bench, int seed, bool withFamily, IReadOnlyList<string>? holdOut, CancellationToken ct)
{
    private const int K = RelevanceBenchmark.K;

    public async Task RunAsync()
    {
        var o = new RelevanceOptions();
        var output = bench.Output;
        var (scored, folds) = Folds();
        await bench.EmbedCatalogAsync();
        var planner = new TagPlanner(bench.Index, bench.Cache, Options.Create(o), NullLogger<TagPlanner>.Instance);
        var data = new TrainingData(bench.Index, bench.Cache, planner, Options.Create(o), new ConfigurationBuilder().Build());
        var sets = bench.Pools.Values.Select(p => new JudgedSet(p.Set.Name, p.Set.Query,
            p.Set.Judgments.ToDictionary(j => j.DocumentId, j => j.Relevance, StringComparer.Ordinal), p.Set.UpdatedAt)).ToList();
        var started = Stopwatch.GetTimestamp();
        var features = (await data.BuildAsync(bench.Scorer, sets, seed, _ => { }, ct)).ToDictionary(f => f.Set, StringComparer.Ordinal);
        var featureSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var byDefault = await EvaluateAsync(o, null);
        var prior = data.Prior();
        var rows = Learners.ToDictionary(l => l.Label, _ => new Dictionary<string, (double Ndcg, int Unjudged)>(StringComparer.Ordinal));
        var notes = new List<string>();
        var fitSeconds = 0.0;
        foreach (var fold in folds)
        {
            var train = TrainingSets(features, bench.Tags.Except(fold, StringComparer.Ordinal));
            var held = fold.Select(t => features[$"dev-{t}"]).ToList();
            var name = string.Join(", ", fold);
            foreach (var (label, candidate) in Learners)
            {
                var fitStarted = Stopwatch.GetTimestamp();
                var fitted = candidate is null
                    ? FusionTrainer.Train(train, null, seed, prior, ct)
                    : Fixed(FusionTrainer.Fit(train, candidate, seed, prior, ct), candidate);
                fitSeconds += Stopwatch.GetElapsedTime(fitStarted).TotalSeconds;
                if (candidate is null)
                {
                    notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: chose {FusionTrainer.CandidateName(fitted.Candidate)}, on the default plan's features {held.Average(h => FusionTrainer.Ndcg(h, fitted.Weights)):F3} (default {held.Average(h => TrainingNdcg.At(h.Ids, h.Baseline, h.Grades, K)):F3})"));
                }

                var scores = await EvaluateAsync(o, new Fold(bench.Model.Descriptor.Id, fitted.ToFusion($"loto-{string.Join('-', fold)}")), n => fold.Any(t => n == $"dev-{t}" || n == $"dev-{t}-family"));
                foreach (var (set, value) in scores)
                {
                    rows[label][set] = value;
                }
            }
        }

        var headroom = scored.Average(t => FusionTrainer.Ndcg(features[$"dev-{t}"], CoordinateAscent.Fit([features[$"dev-{t}"]], prior, 0, ct)));
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"Headroom, not a held-out figure: coordinate ascent fitted on each tag's own set (min gain 0) reaches a mean NDCG@10 of {headroom:F3} on it; the tags want different weights."));
        var all = FusionTrainer.Train(TrainingSets(features, bench.Tags), null, seed, prior, ct);
        Print(output, scored, [("default (untrained)", byDefault), .. Learners.Select(l => (RowLabel(l.Label), rows[l.Label]))], notes, all, featureSeconds, fitSeconds, folds.Count);
    }

    /// <summary>
    /// The tags scored and the folds: one per tag (leave-one-tag-out), or with <c>--hold-out</c> one fold of
    /// those tags (matched without case, in the judgments' spelling). Checked before the catalog is embedded.
    /// </summary>
    private (IReadOnlyList<string> Scored, List<IReadOnlyList<string>> Folds) Folds()
    {
        if (holdOut is null)
        {
            return (bench.Tags, [.. bench.Tags.Select(t => (IReadOnlyList<string>)[t])]);
        }

        var known = holdOut.Select(t => bench.Tags.FirstOrDefault(k => string.Equals(k, t, StringComparison.OrdinalIgnoreCase))).ToList();
        var unknown = holdOut.Where((_, i) => known[i] is null).ToList();
        if (unknown.Count > 0)
        {
            throw new CommandLineException($"bench train: --hold-out names tags the judgments do not have: {string.Join(", ", unknown)} (they have {string.Join(", ", bench.Tags)}).");
        }

        var scored = known.Select(k => k!).Distinct(StringComparer.Ordinal).ToList();
        return scored.Count < bench.Tags.Count
            ? (scored, [scored])
            : throw new CommandLineException("bench train: --hold-out must leave at least one tag to train on.");
    }

    /// <summary>A learner row's label: its template with "leave-one-tag-out", or with <c>--hold-out</c> "held out" (the learner choice inside stays leave-one-tag-out).</summary>
    private string RowLabel(string template) => string.Format(CultureInfo.InvariantCulture, template, holdOut is null ? "leave-one-tag-out" : "held out");

    /// <summary>The tags' whole-catalog sets, and with <c>withFamily</c> their Family sets where they have one.</summary>
    private List<SetFeatures> TrainingSets(Dictionary<string, SetFeatures> features, IEnumerable<string> tags) =>
        [.. tags.SelectMany(t => withFamily && features.TryGetValue($"dev-{t}-family", out var family) ? [features[$"dev-{t}"], family] : new[] { features[$"dev-{t}"] })];

    /// <summary>The rows (label templates, {0} the fold mode): the product's trainer (learner chosen by nested leave-one-tag-out), and each learner alone at one setting.</summary>
    private static readonly IReadOnlyList<(string Label, FusionCandidate? Candidate)> Learners =
    [
        ("trained, {0} (learner chosen by nested leave-one-tag-out)", null),
        ("pairwise ranker alone (l2 0.1), {0}", new FusionCandidate(FusionTrainer.PairwiseLearner, 0.1, null)),
        ("coordinate ascent alone (min gain 0.003), {0}", new FusionCandidate(FusionTrainer.AscentLearner, 0, 0.003)),
    ];

    private static FittedFusion Fixed((double[] W, double Alpha, double Beta) fit, FusionCandidate c) =>
        new(fit.W, fit.Alpha, fit.Beta, c, "fixed", new Dictionary<string, double>());

    private async Task<Dictionary<string, (double Ndcg, int Unjudged)>> EvaluateAsync(RelevanceOptions o, ITrainedVersions? trained, Func<string, bool>? only = null)
    {
        var planner = new TagPlanner(bench.Index, bench.Cache, Options.Create(o), NullLogger<TagPlanner>.Instance);
        var pools = new PoolScorer(planner, bench.Cache, Options.Create(o), new ConfigurationBuilder().Build(), trained);
        var models = new BenchModels(bench.Model);
        using var history = new FileEvaluationHistory(Path.Combine(Path.GetTempPath(), $"mlops-train-bench-{Guid.NewGuid():N}"), 100_000);
        var evaluator = new Evaluator(bench.Index, models, pools, models, history, Options.Create(new EvaluationOptions()), TimeProvider.System, NullLogger<Evaluator>.Instance);
        var result = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
        foreach (var (name, pool) in bench.Pools.Where(p => only?.Invoke(p.Key) ?? true))
        {
            var outcome = await evaluator.EvaluateInMemoryAsync(pool, bench.Model.Descriptor.Id, K, "bench train", null, ct);
            result[name] = (outcome.Record.Metrics.Ndcg, outcome.UnjudgedInTopK.Count);
        }

        return result;
    }

    private void Print(
        TextWriter output,
        IReadOnlyList<string> scored,
        IReadOnlyList<(string Label, Dictionary<string, (double Ndcg, int Unjudged)> Rows)> table,
        List<string> notes,
        FittedFusion all,
        double featureSeconds,
        double fitSeconds,
        int folds)
    {
        var inv = CultureInfo.InvariantCulture;
        var sets = withFamily ? "whole-catalog and Family sets" : "whole-catalog sets";
        output.WriteLine(bench.Describe + (holdOut is null
            ? $"; each fold trains on the other tags' {sets}"
            : $"; one fold: trained on the other {bench.Tags.Count - scored.Count} tags' {sets}, scored on {string.Join(", ", scored)}"));
        output.WriteLine();
        bool ScoredFamily(string set) => scored.Any(t => set == $"dev-{t}-family");
        output.WriteLine($"| row | {string.Join(" | ", scored)} | mean | mean Family | unjudged@10 |");
        output.WriteLine($"|---|{string.Concat(scored.Select(_ => "---|"))}---|---|---|");
        foreach (var (label, rows) in table)
        {
            var whole = scored.Select(t => rows[$"dev-{t}"].Ndcg).ToList();
            var family = rows.Where(r => ScoredFamily(r.Key)).Select(r => r.Value.Ndcg).ToList();
            var unjudged = scored.Average(t => rows[$"dev-{t}"].Unjudged);
            output.WriteLine(string.Create(inv, $"| {label} | {string.Join(" | ", whole.Select(v => v.ToString("F3", inv)))} | {whole.Average():F3} | {(family.Count == 0 ? 0 : family.Average()):F3} ({family.Count}) | {unjudged:F1} |"));
        }

        var familySets = table[0].Rows.Keys.Where(ScoredFamily).Order(StringComparer.Ordinal).ToList();
        output.WriteLine();
        output.WriteLine($"| genre=Family | {string.Join(" | ", familySets)} |");
        output.WriteLine($"|---|{string.Concat(familySets.Select(_ => "---|"))}");
        foreach (var (label, rows) in table)
        {
            output.WriteLine($"| {label} | {string.Join(" | ", familySets.Select(f => rows[f].Ndcg.ToString("F3", inv)))} |");
        }

        output.WriteLine();
        output.WriteLine("Per fold: the learner chosen (nested leave-one-tag-out) and NDCG@10 of the fold's fusion over the features the default plan gives (whole catalog, every document with text):");
        output.WriteLine(string.Join(Environment.NewLine, notes.Select(n => "- " + n)));
        output.WriteLine(string.Create(inv, $"All {bench.Tags.Count} tags ({FusionTrainer.CandidateName(all.Candidate)}): {string.Join(", ", FusionTrainer.Features.Select((f, i) => $"{f} {all.Weights[i]:F3}"))}, alpha {all.Alpha:F3}, beta {all.Beta:F3}"));
        output.WriteLine(string.Create(inv, $"Features for {bench.Pools.Count} sets: {featureSeconds:F1} s; {folds} folds × {Learners.Count} learners: {fitSeconds:F1} s (seed {seed})"));
    }

    /// <summary>One fold's fusion, served for the bench's model as a trained version's would be.</summary>
    private sealed class Fold(string modelId, FusionModel fusion) : ITrainedVersions
    {
        public LearnedParameters? Find(string id) => id == modelId ? new LearnedParameters(fusion, null!) : null;

        public Task<ModelDescriptor> CreateAsync(string baseModelId, FusionModel f, TrainingLineage lineage, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
