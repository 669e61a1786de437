using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Classification;

public sealed class NliScorerTests : IAsyncLifetime
{
    private readonly TinyNliModel _model = new();
    private readonly string _directory = Path.Combine(TempDirectory.Create("tiny-nli"), "tiny-nli");
    private LoadedModel? _loaded;

    public Task InitializeAsync()
    {
        _model.WriteTo(_directory);
        _loaded = Load(_directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_loaded is not null)
        {
            await _loaded.ReleaseAndWaitAsync();
        }
    }

    private static LoadedModel Load(string directory)
    {
        var manifest = ModelManifest.FromDirectory(directory);
        var descriptor = new ModelDescriptor("tiny-nli@1", "tiny-nli", "1", manifest.Kind, "", directory);
        return LoadedModel.Load(descriptor, manifest, new OnnxSessionSettings(1), new BatchingSettings(4));
    }

    /// <summary>[CLS] premise [SEP] hypothesis [SEP] with segment 1 on the hypothesis, by the test's own lookup.</summary>
    private static (int[] Ids, int[] Types) Pair(string[] premise, string[] hypothesis)
    {
        var ids = new List<int> { TinyNliModel.Id("[CLS]") };
        ids.AddRange(premise.Select(TinyNliModel.Id));
        ids.Add(TinyNliModel.Id("[SEP]"));
        var first = ids.Count;
        ids.AddRange(hypothesis.Select(TinyNliModel.Id));
        ids.Add(TinyNliModel.Id("[SEP]"));
        var types = Enumerable.Range(0, ids.Count).Select(i => i < first ? 0 : 1).ToArray();
        return ([.. ids], types);
    }

    private static readonly string[] Premise = ["the", "father", "lost", "a", "toy", "."];
    private static readonly string[] Labels = ["christmas", "basketball", "ocean"];

    private static string[] Hypothesis(string label) => ["this", "example", "is", label, "."];

    [Fact]
    public void Manifest_from_the_hugging_face_config_is_nli_with_label_ids_read_case_insensitively()
    {
        var manifest = ModelManifest.FromDirectory(_directory);
        Assert.Equal(ModelKind.Nli, manifest.Kind);
        Assert.Equal((0, 2), manifest.NliLabelIds());
    }

    [Fact]
    public async Task Multi_label_scores_are_the_softmax_over_contradiction_and_entailment_of_each_label()
    {
        var scores = await _loaded!.Scorer.ScoreAsync(["The father lost a toy."], Labels, new ZeroShotOptions(MultiLabel: true), CancellationToken.None);

        for (var l = 0; l < Labels.Length; l++)
        {
            var (ids, types) = Pair(Premise, Hypothesis(Labels[l]));
            var logits = _model.Logits(ids, types);
            // entailment is index 0 and contradiction index 2 in this model's label2id
            var expected = Math.Exp(logits[0]) / (Math.Exp(logits[0]) + Math.Exp(logits[2]));
            Assert.Equal(expected, scores[0][l], 4);
        }
    }

    [Fact]
    public async Task Single_label_scores_are_the_softmax_of_entailment_logits_across_labels()
    {
        var scores = await _loaded!.Scorer.ScoreAsync(["The father lost a toy."], Labels, new ZeroShotOptions(MultiLabel: false), CancellationToken.None);

        var entail = Labels.Select(l => _model.Logits(Pair(Premise, Hypothesis(l)).Ids, Pair(Premise, Hypothesis(l)).Types)[0]).ToArray();
        var total = entail.Sum(Math.Exp);
        for (var l = 0; l < Labels.Length; l++)
        {
            Assert.Equal(Math.Exp(entail[l]) / total, scores[0][l], 4);
        }

        Assert.Equal(1.0, scores[0].Sum(), 4);
    }

    [Fact]
    public async Task One_label_is_scored_entailment_against_contradiction_even_when_single_label_is_asked()
    {
        // The pipeline's rule: a softmax over one label is always 1, so one label is scored multi-label.
        var single = await _loaded!.Scorer.ScoreAsync(["The father lost a toy."], ["ocean"], new ZeroShotOptions(MultiLabel: false), CancellationToken.None);
        var multi = await _loaded.Scorer.ScoreAsync(["The father lost a toy."], ["ocean"], new ZeroShotOptions(MultiLabel: true), CancellationToken.None);

        var logits = _model.Logits(Pair(Premise, Hypothesis("ocean")).Ids, Pair(Premise, Hypothesis("ocean")).Types);
        Assert.Equal(1 / (1 + Math.Exp(logits[2] - logits[0])), single[0][0], 4);
        Assert.Equal(multi[0][0], single[0][0]);
        Assert.NotEqual(1f, single[0][0]);
    }

    [Fact]
    public async Task Hashtag_labels_become_words_in_the_hypothesis()
    {
        var scores = await _loaded!.Scorer.ScoreAsync(["The father lost a toy."], ["#ChristmasGifts"], new ZeroShotOptions(MultiLabel: true), CancellationToken.None);

        var (ids, types) = Pair(Premise, ["this", "example", "is", "christmas", "gifts", "."]);
        var logits = _model.Logits(ids, types);
        Assert.Equal(1 / (1 + Math.Exp(logits[2] - logits[0])), scores[0][0], 4);
    }

    [Fact]
    public async Task Sequences_of_different_lengths_batched_together_score_as_if_alone()
    {
        var sequences = new[] { "The father lost a toy.", "Snow.", "The story of a fish lost in the ocean, about a father and a son." };
        var together = await _loaded!.Scorer.ScoreAsync(sequences, Labels, new ZeroShotOptions(true), CancellationToken.None);
        for (var s = 0; s < sequences.Length; s++)
        {
            var alone = await _loaded.Scorer.ScoreAsync([sequences[s]], Labels, new ZeroShotOptions(true), CancellationToken.None);
            Assert.Equal(alone[0], together[s], (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public async Task Only_the_premise_is_truncated_to_the_model_window()
    {
        var dir = Path.Combine(TempDirectory.Create("tiny-nli-short"), "tiny-nli");
        _model.WriteTo(dir, modelMaxLength: 12);
        var short12 = Load(dir);
        try
        {
            var premise = "the father lost a toy about the ocean and the sea and the fish";
            var scores = await short12.Scorer.ScoreAsync([premise], ["christmas"], new ZeroShotOptions(true), CancellationToken.None);

            // 12 tokens: [CLS] + 4 premise tokens + [SEP] + 5 hypothesis tokens + [SEP]
            var (ids, types) = Pair(["the", "father", "lost", "a"], Hypothesis("christmas"));
            Assert.Equal(12, ids.Length);
            var logits = _model.Logits(ids, types);
            Assert.Equal(1 / (1 + Math.Exp(logits[2] - logits[0])), scores[0][0], 4);
        }
        finally
        {
            await short12.ReleaseAndWaitAsync();
        }
    }

    [Fact]
    public void A_folder_without_its_vocabulary_is_refused_naming_the_missing_file()
    {
        var dir = Path.Combine(TempDirectory.Create("tiny-nli-novocab"), "tiny-nli");
        _model.WriteTo(dir);
        File.Delete(Path.Combine(dir, "vocab.txt"));
        var manifest = ModelManifest.FromDirectory(dir);
        manifest.Tokenizer = "wordpiece";
        var e = Assert.Throws<ModelPackageException>(() =>
            LoadedModel.Load(new ModelDescriptor("x@1", "x", "1", ModelKind.Nli, "", dir), manifest, new OnnxSessionSettings(1), new BatchingSettings()));
        Assert.Contains("vocab.txt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_any_tokenizer_file_is_refused_naming_what_it_needs()
    {
        var dir = Path.Combine(TempDirectory.Create("tiny-nli-notok"), "tiny-nli");
        _model.WriteTo(dir);
        File.Delete(Path.Combine(dir, "vocab.txt"));
        var e = Assert.Throws<ModelPackageException>(() => ModelTokenizer.Load(dir));
        Assert.Contains("vocab.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains("merges.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains("spm.model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bpe_folder_lacking_merges_is_refused_naming_merges_txt()
    {
        var dir = TempDirectory.Create("bpe-nomerges");
        File.WriteAllText(Path.Combine(dir, "vocab.json"), """{"<s>":0,"</s>":2,"<pad>":1,"a":3}""");
        var e = Assert.Throws<ModelPackageException>(() => ModelTokenizer.Load(dir));
        Assert.Contains("merges.txt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_model_onnx_is_refused_naming_it()
    {
        var dir = Path.Combine(TempDirectory.Create("tiny-nli-noonnx"), "tiny-nli");
        _model.WriteTo(dir);
        File.Delete(Path.Combine(dir, "model.onnx"));
        var e = Assert.Throws<ModelPackageException>(() => ModelManifest.FromDirectory(dir));
        Assert.Contains("model.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_ids_without_entailment_are_refused()
    {
        var manifest = new ModelManifest { Kind = ModelKind.Nli, Label2Id = new() { ["positive"] = 0, ["negative"] = 1 } };
        var e = Assert.Throws<ModelPackageException>(() => manifest.NliLabelIds());
        Assert.Contains("entailment", e.Message, StringComparison.Ordinal);
    }
}
