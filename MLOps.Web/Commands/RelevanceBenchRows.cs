using System.Globalization;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Commands;

/// <summary>
/// The rows of <c>bench relevance</c>: BM25 on the tag word (the product's search parse, and title^1),
/// today's cosine, each part added in turn up to the default, the template ensemble, and (with
/// <c>--rows all</c>) the experiments on the default's misses, each judged by leave-one-tag-out
/// selection against the default. Prints one markdown table and the selections.
/// </summary>
internal static class RelevanceBenchRows
{
    private const string Default = "default";
    private const string TitleDiscount = "title discount (title_match weight × BM25 weight)";
    private const string FeedbackByLexical = "feedback (Rocchio, self-training) × lexical (by best, saturated)";

    private static readonly string[] Ensemble =
        ["This example is {}.", "A movie about {}.", "{}", "This film is about {}.", "The story involves {}."];

    /// <summary>A row: a lexical baseline (<paramref name="Bm25"/>: product or title1) or a pipeline configuration.</summary>
    private sealed record Row(string Name, Action<RelevanceOptions>? Configure = null, string? Bm25 = null, params string[] Groups);

    private sealed record Measured(Row Row, Dictionary<string, (double Ndcg, int Unjudged)> Sets, (double PlanMs, double ChunkMsPer1000, IReadOnlyList<TagPlan> Plans)? Cost);

    private static IEnumerable<Row> Parts() =>
    [
        new("BM25 on the tag word, product search parse (title^2, overview, tagline)", Bm25: "product"),
        new("BM25 on the tag word, title^1 (the pipeline's lexical query)", Bm25: "title1"),
        new("today's cosine (fusion off, no feedback)", o => { o.Fusion = false; o.Feedback = FeedbackMethod.Off; }),
        new("+ fusion (z-scored cosine + 2 × match + 2 × BM25 / best)", o => { o.Feedback = FeedbackMethod.Off; o.MorphologicalVariants = false; }),
        new("+ expansion (morphological variants)", o => o.Feedback = FeedbackMethod.Off),
        new("+ feedback (Rocchio, k = 10) = **default**", _ => { }, null, Default, FeedbackByLexical),
        new("the 2026-12-02 default: + title discount (title match −1, BM25 × 3)", TitleDiscounted, null, TitleDiscount),
        new("the research harness's default (saturated BM25)", Previous, null, FeedbackByLexical),
        new("default + template ensemble (5 templates)", o => o.Templates = Ensemble),
        new("default without expansion", o => o.MorphologicalVariants = false),
        new("default without the variant frequency check (ratio 0)", o => o.VariantFrequencyRatio = 0),
    ];

    private static IEnumerable<Row> Experiments() =>
    [
        new("exp: feedback = self-training (shrinkage LDA, s = 0.5)", o => o.Feedback = FeedbackMethod.SelfTraining, null, FeedbackByLexical, "feedback method"),
        new("exp: self-training with saturated BM25", o => { o.Feedback = FeedbackMethod.SelfTraining; o.LexicalNormalisation = LexicalNormalisation.Saturate; }, null, FeedbackByLexical),
        new("exp: self-training, shrinkage 0.25", o => { o.Feedback = FeedbackMethod.SelfTraining; o.SelfTrainingShrinkage = 0.25; }, null, "feedback method"),
        new("exp: self-training, shrinkage 1 (Rocchio with a negative centroid)", o => { o.Feedback = FeedbackMethod.SelfTraining; o.SelfTrainingShrinkage = 1; }, null, "feedback method"),
        new("exp: feedback k = 5", o => o.FeedbackDocuments = 5, null, "feedback depth"),
        new("exp: feedback k = 20", o => o.FeedbackDocuments = 20, null, "feedback depth"),
        new("exp: match = 0.4 × ln(N / matches), no flat bonus", o => { o.MatchBonus = 0; o.MatchIdfWeight = 0.4; }, null, "idf-aware match"),
        new("exp: match = 1 + 0.2 × ln(N / matches)", o => { o.MatchBonus = 1; o.MatchIdfWeight = 0.2; }, null, "idf-aware match"),
        new("exp: match = 2 + 0.2 × ln(N / matches)", o => o.MatchIdfWeight = 0.2, null, "idf-aware match"),
        new("exp: title match −1, BM25 × 2", o => o.TitleMatchWeight = -1, null, TitleDiscount),
        new("exp: title match −2, BM25 × 3", o => { TitleDiscounted(o); o.TitleMatchWeight = -2; }, null, TitleDiscount),
        new("exp: title match −0.5, BM25 × 3", o => { TitleDiscounted(o); o.TitleMatchWeight = -0.5; }, null, TitleDiscount),
        new("exp: title match −0.5, BM25 × 2", o => o.TitleMatchWeight = -0.5, null, TitleDiscount),
    ];

    /// <summary>The default of 2026-12-02 (chosen on the dev tags, lost on the held-out ones): title match −1, 3 × BM25 / best, its own calibration.</summary>
    private static void TitleDiscounted(RelevanceOptions o)
    {
        o.TitleMatchWeight = -1;
        o.LexicalWeight = 3;
        o.Alpha = 1.57;
        o.Beta = -8.46;
    }

    /// <summary>The default before the bench's experiments (the research harness's): saturated BM25, its own calibration.</summary>
    private static void Previous(RelevanceOptions o)
    {
        o.LexicalNormalisation = LexicalNormalisation.Saturate;
        o.Alpha = 1.67;
        o.Beta = -8.54;
    }

    public static async Task RunAsync(this RelevanceBenchmark bench, bool experiments)
    {
        var o = bench.Output;
        await o.WriteLineAsync(Machine());
        await o.WriteLineAsync(bench.Describe);
        var (per1000, embedded) = await bench.EmbedCatalogAsync();
        await o.WriteLineAsync(embedded == 0
            ? "one-off document embedding: every document was in the embedding cache (--cache); run without it to measure."
            : string.Create(CultureInfo.InvariantCulture, $"one-off document embedding: {embedded} documents, {per1000:F1} s per 1,000 documents (cached by model sha256 + text hash, shared by every tag)."));
        var measured = new List<Measured>();
        foreach (var row in experiments ? Parts().Concat(Experiments()) : Parts())
        {
            measured.Add(await MeasureAsync(bench, row));
        }

        await o.WriteLineAsync();
        await PrintTableAsync(bench, measured);
        await o.WriteLineAsync();
        await PrintFamilyTableAsync(bench, measured);
        await o.WriteLineAsync();
        await PrintExpansionsAsync(bench, measured.Single(m => m.Row.Groups.Contains(Default)));
        if (experiments)
        {
            await o.WriteLineAsync();
            await PrintSelectionsAsync(bench, measured);
        }

        await o.WriteLineAsync();
        await RelevanceBenchCalibration.PrintAsync(bench, new RelevanceOptions());
    }

    private static async Task<Measured> MeasureAsync(RelevanceBenchmark bench, Row row)
    {
        if (row.Bm25 is { } kind)
        {
            return new Measured(row, await bench.Bm25Async(kind == "product"), null);
        }

        var options = new RelevanceOptions();
        row.Configure!(options);
        return new Measured(row, await bench.EvaluateAsync(options), await bench.CostAsync(options));
    }

    private static async Task PrintTableAsync(RelevanceBenchmark bench, List<Measured> rows)
    {
        var o = bench.Output;
        await o.WriteLineAsync($"| row | mean NDCG@10 | Family mean | unjudged@10 | {string.Join(" | ", bench.Tags)} | plan ms per tag | chunk ms per 1,000 docs | s per 1,000 doc×tag |");
        await o.WriteLineAsync($"|---|---:|---:|---:|{string.Concat(bench.Tags.Select(_ => "---:|"))}---:|---:|---:|");
        foreach (var m in rows)
        {
            var cost = m.Cost is { } c
                ? string.Create(CultureInfo.InvariantCulture, $"{c.PlanMs:F1} | {c.ChunkMsPer1000:F2} | {((c.PlanMs / bench.Documents * 1000) + c.ChunkMsPer1000) / 1000:F4}")
                : "1 search | | ";
            await o.WriteLineAsync($"| {m.Row.Name} | {F(Mean(bench, m))} | {F(FamilyMean(bench, m))} | {Unjudged(bench, m):F1} | {string.Join(" | ", bench.Tags.Select(t => F(m.Sets[$"dev-{t}"].Ndcg)))} | {cost} |");
        }
    }

    /// <summary>The genre=Family sets of every pipeline row, one column each (the table above shows their mean).</summary>
    private static async Task PrintFamilyTableAsync(RelevanceBenchmark bench, List<Measured> rows)
    {
        var o = bench.Output;
        var family = bench.Pools.Keys.Where(k => k.EndsWith("-family", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        await o.WriteLineAsync($"| genre=Family | {string.Join(" | ", family)} |");
        await o.WriteLineAsync($"|---|{string.Concat(family.Select(_ => "---:|"))}");
        foreach (var m in rows)
        {
            await o.WriteLineAsync($"| {m.Row.Name} | {string.Join(" | ", family.Select(f => F(m.Sets[f].Ndcg)))} |");
        }
    }

    /// <summary>The default's core query per tag: the variants it searched and those the frequency check left out.</summary>
    private static async Task PrintExpansionsAsync(RelevanceBenchmark bench, Measured m)
    {
        var tags = m.Cost!.Value.Plans.Select(p =>
        {
            var searched = p.LexicalQuery.Skip(1).Select(t => "+" + t.Text + Counts(p.VariantChecks.FirstOrDefault(v => v.Text == t.Text)));
            var left = p.VariantChecks.Where(v => !v.Kept).Select(v => "−" + v.Text + Counts(v));
            return $"{p.Tag} {string.Join(' ', searched.Concat(left))}".TrimEnd();
        });
        await bench.Output.WriteLineAsync($"default's expansions (+ searched, − left out by the variant frequency check; checked: documents matched / its word's alone): {string.Join("; ", tags)}");
    }

    private static string Counts(VariantCheck? v) => v is null ? "" : string.Create(CultureInfo.InvariantCulture, $" ({v.Documents} / {v.WordDocuments})");

    /// <summary>For each experiment group: leave-one-tag-out selection between the default and the group's rows.</summary>
    private static async Task PrintSelectionsAsync(RelevanceBenchmark bench, List<Measured> rows)
    {
        var o = bench.Output;
        var baseline = rows.Single(r => r.Row.Groups.Contains(Default));
        await o.WriteLineAsync("| experiment group | default mean | best row mean | leave-one-tag-out selection mean | rows chosen (per held-out tag) |");
        await o.WriteLineAsync("|---|---:|---:|---:|---|");
        foreach (var group in rows.SelectMany(r => r.Row.Groups.Where(g => g != Default).Select(g => (Group: g, Row: r))).GroupBy(x => x.Group, x => x.Row))
        {
            var candidates = group.Prepend(baseline).ToList();
            var chosen = new List<string>();
            var loto = 0.0;
            foreach (var tag in bench.Tags)
            {
                var others = bench.Tags.Where(t => t != tag).ToList();
                var pick = candidates.OrderByDescending(c => others.Average(t => c.Sets[$"dev-{t}"].Ndcg)).First();
                loto += pick.Sets[$"dev-{tag}"].Ndcg / bench.Tags.Count;
                chosen.Add($"{tag}: {(pick == baseline ? "default" : pick.Row.Name.Replace("exp: ", "", StringComparison.Ordinal))}");
            }

            var best = candidates.Max(c => Mean(bench, c));
            await o.WriteLineAsync($"| {group.Key} | {F(Mean(bench, baseline))} | {F(best)} | {F(loto)} | {string.Join("; ", chosen)} |");
        }
    }

    private static double Mean(RelevanceBenchmark bench, Measured m) => bench.Tags.Average(t => m.Sets[$"dev-{t}"].Ndcg);

    private static double FamilyMean(RelevanceBenchmark bench, Measured m)
    {
        var family = bench.Tags.Where(t => m.Sets.ContainsKey($"dev-{t}-family")).ToList();
        return family.Count == 0 ? double.NaN : family.Average(t => m.Sets[$"dev-{t}-family"].Ndcg);
    }

    private static double Unjudged(RelevanceBenchmark bench, Measured m) => bench.Tags.Average(t => m.Sets[$"dev-{t}"].Unjudged);

    private static string F(double x) => double.IsNaN(x) ? "—" : x.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>CPU model, the instruction sets that matter to ONNX Runtime, and the load, from /proc.</summary>
    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        var name = cpu.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var flags = cpu.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ') ?? [];
        var isa = string.Join(", ", new[] { "avx2", "avx512f", "avx512_vnni", "amx_tile" }.Where(f => flags.Contains(f)));
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
        return $"machine: {name} ({isa}), {Environment.ProcessorCount} logical CPUs for this process, load average {load}, .NET {Environment.Version}";
    }
}
