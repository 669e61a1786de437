using System.Net.Http.Json;
using System.Text.Json;
using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>Topics from real posts through the real extractor and counters (what the rules really do).</summary>
public sealed class TopicTests
{
    private static TrendingHarness Harness() => new(new Dictionary<string, string?> { ["Trending:Source"] = "push" });

    private static void Post(TrendingHarness harness, int times, string text)
    {
        for (var i = 0; i < times; i++)
        {
            harness.Ingestor.Ingest(text, null);
        }
    }

    [Fact]
    public async Task Five_spellings_of_christmas_are_one_topic_and_halloween_stays_apart()
    {
        using var harness = Harness();
        Post(harness, 12, "Movie night #Christmas");
        Post(harness, 6, "Same thing #xmas #Christmas");
        Post(harness, 8, "Marathon #ChristmasMovies");
        Post(harness, 6, "今年も #クリスマス #Christmas");
        Post(harness, 5, "Joyeux #Noël #Christmas");
        Post(harness, 1, "Joyeux #Noël");
        Post(harness, 12, "Pumpkins #Halloween");
        Post(harness, 4, "Scary #HalloweenMovies");
        Post(harness, 2, "From one to the next #Halloween #Christmas");
        Post(harness, 60, "Nothing to see here");

        var snapshot = await harness.Get<ITrendingReader>().GetTopAsync(new TrendingQuery(10) { Explain = true }, CancellationToken.None);

        Assert.Equal(2, snapshot.Tags.Count);
        var christmas = snapshot.Tags[0];
        Assert.Equal(("christmas", "Christmas", 31L + 8 + 6 + 6 + 6), (christmas.Tag, christmas.Display, christmas.Count));
        // Most frequent first; equal counts as Redis orders them (greater key first).
        Assert.Equal(["christmas", "christmasmovies", "クリスマス", "xmas", "noël"], christmas.Variants.Select(v => v.Tag));
        var reasons = christmas.Variants.ToDictionary(v => v.Tag, v => v.Reason!);
        Assert.Equal("label", reasons["christmas"].Rule);
        Assert.Equal(("words", "christmas"), (reasons["christmasmovies"].Rule, reasons["christmasmovies"].With));
        Assert.Equal(("co_occurrence", "christmas", 1.0), (reasons["xmas"].Rule, reasons["xmas"].With, reasons["xmas"].Value));
        Assert.Equal(("co_occurrence", "christmas", 1.0), (reasons["クリスマス"].Rule, reasons["クリスマス"].With, reasons["クリスマス"].Value));
        Assert.Equal(("co_occurrence", "christmas", 0.8333), (reasons["noël"].Rule, reasons["noël"].With, reasons["noël"].Value));

        Assert.Equal(["christmas", "christmas movies", "クリスマス", "xmas", "noël"], christmas.Terms);
        Assert.Equal("classification_christmas", christmas.Field);

        var halloween = snapshot.Tags[1];
        // 2 of its 14 posts also carry #Christmas: not enough to merge.
        Assert.Equal(["halloween", "halloweenmovies"], halloween.Variants.Select(v => v.Tag));
        Assert.Contains("embedding rule skipped: no model is loaded", snapshot.Notes);
    }

    [Fact]
    public async Task Without_topics_every_tag_is_its_own_entry()
    {
        using var harness = Harness();
        Post(harness, 3, "#xmas #Christmas");
        Post(harness, 2, "#ChristmasMovies");

        var snapshot = await harness.Get<ITrendingReader>().GetTopAsync(new TrendingQuery(10) { Topics = false, Rank = TrendingRank.Count }, CancellationToken.None);

        Assert.Equal(["xmas", "christmas", "christmasmovies"], snapshot.Tags.Select(t => t.Tag));
        Assert.All(snapshot.Tags, t => Assert.Empty(t.Variants));
    }

    [Fact]
    public void Accents_merge_words_need_three_letters_and_embeddings_compare_heads_only()
    {
        CandidateTag Tag(string key, long count, string? display = null) => new(key, display ?? key, count, 0);
        var tags = new[] { Tag("noël", 9, "Noël"), Tag("alpha", 8), Tag("beta", 7), Tag("noel", 5), Tag("gamma", 4), Tag("i", 3, "I"), Tag("iloveny", 2, "ILoveNY") };
        var vectors = new Dictionary<string, float[]>
        {
            ["alpha"] = [1, 0, 0],
            ["beta"] = [0.9f, 0.43589f, 0],
            ["gamma"] = [0.62f, 0.78f, 0.1f], // close to beta (0.9), far from alpha (0.62)
        };

        var groups = TopicGrouping.Group(tags, [], new TopicVectors(vectors, null, "test@1", 0.8), new TopicOptions());
        var byHead = groups.ToDictionary(g => tags[g.Members[0]].Key, g => g.Members.Select(m => tags[m].Key).ToArray());

        Assert.Equal(["noël", "noel"], byHead["noël"]);
        Assert.Equal("accents", groups.Single(g => tags[g.Members[0]].Key == "noël").Reasons.Single().Value.Rule);
        Assert.Equal(["alpha", "beta"], byHead["alpha"]);
        Assert.Equal(["gamma"], byHead["gamma"]);
        Assert.Equal(["i"], byHead["i"]);
        Assert.Equal(["iloveny"], byHead["iloveny"]);
    }
}

/// <summary>The embedding rule with the real default model (MiniLM), in the whole app.</summary>
[Collection(TrendingAppHostsCollection.Name)]
public sealed class TopicEmbeddingTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task With_the_default_model_xmas_joins_christmas_by_embedding_and_halloween_stays_apart()
    {
        await using var app = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Trending:Source"] = "push",
            ["Reclassification:RunAtStartup"] = "false",
            ["Search:LoadSampleCatalog"] = "false",
        });
        using var client = app.CreateClient();
        var posts = Enumerable.Repeat(new { text = "#Christmas" }, 5)
            .Concat(Enumerable.Repeat(new { text = "#xmas" }, 3))
            .Concat(Enumerable.Repeat(new { text = "#Halloween" }, 4));
        Assert.True((await client.PostAsJsonAsync("/api/posts", posts)).IsSuccessStatusCode);

        TrendingSnapshot? snapshot = null;
        await Eventually.TrueAsync(async () =>
        {
            snapshot = await client.GetFromJsonAsync<TrendingSnapshot>("/api/trending?explain=true", Web);
            return snapshot!.Notes.Count == 0;
        }, TimeSpan.FromSeconds(60), "the model is loaded and the hypotheses are embedded");

        Assert.Equal(["christmas", "halloween"], snapshot!.Tags.Select(t => t.Tag));
        var xmas = Assert.Single(snapshot.Tags[0].Variants, v => v.Tag == "xmas");
        Assert.Equal(("embedding", "christmas"), (xmas.Reason!.Rule, xmas.Reason.With));
        Assert.InRange(xmas.Reason.Value!.Value, 0.8, 1.0);
        Assert.Equal(8, snapshot.Tags[0].Count);
        Assert.Single(snapshot.Tags[1].Variants);
    }
}
