using MLOps.Web.Features.Reclassification;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Reclassification;

public sealed class ChunkScorerTests
{
    private static readonly IReadOnlyList<RunTag> Tags = ReclassificationLabels.FromLabels(["christmas", "ocean", "#SpaceRace"]);

    private static CatalogDocument Doc(string id, string overview) => new() { Id = id, Title = id, Overview = overview };

    private sealed class MemoryCache : IEmbeddingCache
    {
        public Dictionary<string, float[]> Vectors { get; } = [];

        public Task<float[]?[]> GetManyAsync(string modelSha256, IReadOnlyList<string> textKeys, CancellationToken cancellationToken) =>
            Task.FromResult(textKeys.Select(k => Vectors.GetValueOrDefault(modelSha256 + k)).ToArray());

        public Task PutManyAsync(string modelSha256, IReadOnlyList<string> textKeys, IReadOnlyList<float[]> vectors, CancellationToken cancellationToken)
        {
            for (var i = 0; i < textKeys.Count; i++)
            {
                Vectors[modelSha256 + textKeys[i]] = vectors[i];
            }

            return Task.CompletedTask;
        }

        public Task ClearAsync(string modelSha256, CancellationToken cancellationToken)
        {
            foreach (var key in Vectors.Keys.Where(k => k.StartsWith(modelSha256, StringComparison.Ordinal)).ToList())
            {
                Vectors.Remove(key);
            }

            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Each_document_is_embedded_once_for_all_tags_and_identical_texts_once()
    {
        var scorer = new FakeEmbeddingScorer();
        var docs = new[] { Doc("a", "Snowy christmas eve."), Doc("b", "A reef in the ocean."), Doc("a", "Snowy christmas eve.") };

        var result = await new ChunkScorer(new MemoryCache()).ScoreAsync(scorer, docs, Tags, null, null, CancellationToken.None);

        Assert.Equal(2, result.Embedded);
        Assert.Equal(0, result.CacheHits);
        Assert.Equal(2 + Tags.Count, scorer.Embedded.Count); // two distinct documents, three hypotheses
        Assert.Equal(3, result.Scores.Length);
        Assert.All(result.Scores, s => Assert.Equal(Tags.Count, s.Length));
        var hyps = Tags.Select(t => FakeEmbeddingScorer.Embed(scorer.Hypothesis(t.Label, null))).ToList();
        Assert.Equal(scorer.ScoreEmbeddings(FakeEmbeddingScorer.Embed(docs[1].ClassificationText), hyps), result.Scores[1]);
        Assert.Equal(result.Scores[0], result.Scores[2]);
    }

    [Fact]
    public async Task Cached_documents_need_no_inference_but_a_new_model_does()
    {
        var cache = new MemoryCache();
        var docs = new[] { Doc("a", "Snowy christmas eve."), Doc("b", "A reef in the ocean.") };
        var first = new FakeEmbeddingScorer("m@1");
        await new ChunkScorer(cache).ScoreAsync(first, docs, Tags, null, null, CancellationToken.None);

        var again = new FakeEmbeddingScorer("m@1");
        var warm = await new ChunkScorer(cache).ScoreAsync(again, docs, Tags, "A film about {}.", null, CancellationToken.None);
        Assert.Equal(0, warm.Embedded);
        Assert.Equal(2, warm.CacheHits);
        Assert.Equal(Tags.Select(t => again.Hypothesis(t.Label, "A film about {}.")), again.Embedded);

        var other = new FakeEmbeddingScorer("m@2");
        var cold = await new ChunkScorer(cache).ScoreAsync(other, docs, Tags, null, null, CancellationToken.None);
        Assert.Equal(2, cold.Embedded);
    }

    [Fact]
    public async Task A_non_embedding_scorer_scores_all_documents_against_all_labels_in_one_call()
    {
        var nli = new RecordingScorer();
        var docs = new[] { Doc("a", "one"), Doc("b", "two") };
        var result = await new ChunkScorer(new MemoryCache()).ScoreAsync(nli, docs, Tags, "This movie is about {}.", null, CancellationToken.None);

        var call = Assert.Single(nli.Calls);
        Assert.Equal(docs.Select(d => d.ClassificationText), call.Sequences);
        Assert.Equal(["christmas", "ocean", "space race"], call.Labels);
        Assert.True(call.Options.MultiLabel);
        Assert.Equal("This movie is about {}.", call.Options.HypothesisTemplate);
        Assert.Equal(0.25f, result.Scores[1][2]);
    }

    [Fact]
    public void Trending_tags_take_their_words_from_the_display_form_and_their_field_from_the_key()
    {
        var tags = ReclassificationLabels.FromTrending([
            new TrendingTag("christmasmovies", "ChristmasMovies", 10),
            new TrendingTag("christmasmovies", "christmasmovies", 5),
            new TrendingTag("worldcup2026", "WorldCup2026", 3),
        ]);
        Assert.Equal(2, tags.Count);
        Assert.Equal(new RunTag("christmasmovies", "christmas movies", "classification_christmasmovies"), tags[0]);
        Assert.Equal(new RunTag("worldcup2026", "world cup 2026", "classification_worldcup2026"), tags[1]);
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 60)]
    [InlineData(3, 300)]
    [InlineData(7, 300)]
    public void Retry_delays_follow_the_configured_list_and_repeat_the_last(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ReclassificationOptions.RetryDelay(new ReclassificationOptions().EffectiveRetryDelaysSeconds, attempt));

    private sealed class RecordingScorer : IZeroShotScorer
    {
        public List<(IReadOnlyList<string> Sequences, IReadOnlyList<string> Labels, ZeroShotOptions Options)> Calls { get; } = [];

        public ModelDescriptor Model { get; } = new("nli@1", "nli", "1", ModelKind.Nli, new string('0', 64), "/nowhere");

        public Task<float[][]> ScoreAsync(IReadOnlyList<string> sequences, IReadOnlyList<string> labels, ZeroShotOptions options, CancellationToken cancellationToken)
        {
            Calls.Add((sequences, labels, options));
            return Task.FromResult(sequences.Select((_, i) => labels.Select((_, j) => (i + 1) * (j + 1) / 8f - 0.5f).ToArray()).ToArray());
        }
    }
}
