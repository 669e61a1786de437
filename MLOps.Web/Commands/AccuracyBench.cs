using System.Globalization;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>bench accuracy</c>: zero-shot quality of model versions side by side (by default each built-in
/// model and its int8 copy). (1) The TMDB genre task: every overview against the 20 genre names,
/// top-1, macro ROC-AUC, mean average precision. (2) When the dev judgments are there
/// (../shared/data/judgments-dev/&lt;tag&gt;.csv): the whole catalog (title. overview) ranked by
/// cosine to the model's hypothesis for the tag, NDCG@10 per tag (ideal from every judged document,
/// unjudged = 0) and how many of the top 10 are unjudged.
/// </summary>
internal static class AccuracyBench
{
    private static readonly string[] Templates = ["This example is {}.", "This movie is about {}.", "A {} movie."];

    public static async Task RunAsync(string root, ClassificationBenchOptions options, List<ClassificationBench.Movie> movies, string judgments, TextWriter output, CancellationToken ct)
    {
        var ids = options.Models ?? [.. ClassificationBench.BuiltInIds()];
        var tags = Directory.Exists(judgments) ? Directory.GetFiles(judgments, "*.csv").Order(StringComparer.Ordinal).ToList() : [];
        var genres = movies.SelectMany(m => m.Genres).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var labelled = movies.Where(m => m.Genres.Length > 0).ToList();
        output.WriteLine($"zero-shot genre classification: {labelled.Count} TMDB movies, {genres.Count} genres as labels; {options.EffectiveSession.Describe()}");
        output.WriteLine("| model | template | top-1 in true genres | macro ROC-AUC | mean average precision |");
        output.WriteLine("|---|---|---:|---:|---:|");
        var ndcg = new Dictionary<string, Dictionary<string, (double Ndcg, int Unjudged)>>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var model = ClassificationBench.Load(root, id, options.BatchingFor(ClassificationBenchOptions.ServiceDefaults.MaxBatchSize, bucketing: true), options.EffectiveSession);
            try
            {
                var scorer = (IEmbeddingScorer)model.Scorer;
                await GenresAsync(id, scorer, labelled, genres, output, ct);
                if (tags.Count > 0)
                {
                    ndcg[id] = await JudgedTagsAsync(scorer, movies, tags, ct);
                }
            }
            finally
            {
                await model.ReleaseAndWaitAsync();
            }
        }

        if (tags.Count == 0)
        {
            output.WriteLine($"(no judgments in {judgments}: the NDCG@10 table is left out)");
            return;
        }

        WriteJudgedTable(ids, tags.ConvertAll(Path.GetFileNameWithoutExtension)!, ndcg, movies.Count, output);
    }

    private static async Task GenresAsync(string id, IEmbeddingScorer scorer, List<ClassificationBench.Movie> labelled, List<string> genres, TextWriter output, CancellationToken ct)
    {
        var docs = await scorer.EmbedAsync(labelled.ConvertAll(m => m.Overview), ct);
        foreach (var template in Templates)
        {
            var hyps = await scorer.EmbedAsync(genres.ConvertAll(g => scorer.Hypothesis(g, template)), ct);
            var scores = docs.Select(d => scorer.ScoreEmbeddings(d, hyps)).ToList();
            var top1 = labelled.Select((m, i) => m.Genres.Contains(genres[Array.IndexOf(scores[i], scores[i].Max())])).Count(x => x) / (double)labelled.Count;
            var auc = genres.Select((g, j) => Auc(labelled.Select((m, i) => (scores[i][j], m.Genres.Contains(g))).ToList())).Where(double.IsFinite).Average();
            var map = labelled.Select((m, i) => AveragePrecision(genres.Select((g, j) => (scores[i][j], m.Genres.Contains(g))).ToList())).Average();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {id} | `{template}` | {top1:P1} | {auc:F4} | {map:F4} |"));
        }
    }

    /// <summary>Per tag file: the catalog ranked by cosine to the tag's hypothesis, NDCG@10 against its judgments, unjudged in the top 10.</summary>
    private static async Task<Dictionary<string, (double Ndcg, int Unjudged)>> JudgedTagsAsync(
        IEmbeddingScorer scorer, List<ClassificationBench.Movie> movies, List<string> tagFiles, CancellationToken ct)
    {
        const int K = 10;
        var docs = await scorer.EmbedAsync(movies.ConvertAll(m => m.Text), ct);
        var result = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
        foreach (var file in tagFiles)
        {
            var tag = Path.GetFileNameWithoutExtension(file);
            var judged = File.ReadLines(file).Skip(1).Select(l => l.Split(',')).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => int.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
            var hypothesis = (await scorer.EmbedAsync([scorer.Hypothesis(tag, null)], ct))[0];
            var top = Enumerable.Range(0, docs.Length)
                .Select(i => (Index: i, Cosine: System.Numerics.Tensors.TensorPrimitives.Dot(docs[i], hypothesis)))
                .OrderByDescending(x => x.Cosine).Take(K).Select(x => movies[x.Index].Id).ToList();
            var dcg = RankingMetricsCalculator.Dcg(top.Select(d => judged.GetValueOrDefault(d)), K);
            var ideal = RankingMetricsCalculator.IdealDcg(judged.Values, K);
            result[tag] = (ideal > 0 ? dcg / ideal : 0, top.Count(d => !judged.ContainsKey(d)));
        }

        return result;
    }

    private static void WriteJudgedTable(IReadOnlyList<string> ids, List<string> tags, Dictionary<string, Dictionary<string, (double Ndcg, int Unjudged)>> ndcg, int documents, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"dev judgments: {documents} movies (title. overview) ranked by cosine to the hypothesis of each tag; NDCG@10 ({RankingMetricsCalculator.GainDescription}), unjudged@10 in brackets");
        output.WriteLine($"| tag | {string.Join(" | ", ids)} |");
        output.WriteLine($"|---|{string.Concat(ids.Select(_ => "---:|"))}");
        foreach (var tag in tags)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {tag} | {string.Join(" | ", ids.Select(id => $"{ndcg[id][tag].Ndcg:F4} ({ndcg[id][tag].Unjudged})"))} |"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| **mean** | {string.Join(" | ", ids.Select(id => $"**{ndcg[id].Values.Average(v => v.Ndcg):F4}**"))} |"));
    }

    private static double Auc(List<(float Score, bool Positive)> items)
    {
        var ranked = items.OrderBy(x => x.Score).ToList();
        double pos = ranked.Count(x => x.Positive), neg = ranked.Count - pos, rankSum = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            if (ranked[i].Positive)
            {
                rankSum += i + 1;
            }
        }

        return pos == 0 || neg == 0 ? double.NaN : (rankSum - (pos * (pos + 1) / 2)) / (pos * neg);
    }

    private static double AveragePrecision(List<(float Score, bool Positive)> items)
    {
        var ranked = items.OrderByDescending(x => x.Score).ToList();
        double hits = 0, sum = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            if (ranked[i].Positive)
            {
                hits++;
                sum += hits / (i + 1);
            }
        }

        return hits == 0 ? 0 : sum / hits;
    }
}
