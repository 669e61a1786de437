using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The lexical evidence query on a real Lucene index in a temp folder.</summary>
public sealed class LuceneLexicalSearchTests : IDisposable
{
    private readonly TempLuceneIndex _lucene = new("lucene-lexical");

    private LuceneCatalogIndex Index => _lucene.Index;

    public void Dispose() => _lucene.Dispose();

    private static CatalogDocument Doc(string id, string title, string overview, string? tagline = null) =>
        new() { Id = id, Title = title, Overview = overview, Tagline = tagline };

    private async Task IndexAsync()
    {
        await Index.IndexAsync(
        [
            Doc("m1", "The Heist", "A crew plans one last heist of a casino vault.", "One last job."),
            Doc("m2", "Vault", "Robbers break into a bank; the heist goes wrong."),
            Doc("m3", "Snow Day", "Kids build a fort and wait for the plows."),
            Doc("m4", "Heists", "Two heists in one night."),
            Doc("b2", "Twins", "A heist."),
            Doc("b1", "Twins", "A heist."),
            Doc("m5", "Boxing Day", "A family opens presents; nobody boxes."),
        ], CancellationToken.None);
    }

    [Fact]
    public async Task A_text_scores_the_sum_of_its_words_bm25_over_title_overview_and_tagline_with_no_title_boost()
    {
        await IndexAsync();
        var lexical = await Index.LexicalSearchAsync([new WeightedText("heist", 1f)], 100, LexicalFields.All, CancellationToken.None);

        // The same fields queried one by one, unboosted (explicit fields take no boost in the q= syntax): the sum is the score.
        var perField = await Index.SearchAsync(new SearchQuery { Text = "title:heist OR overview:heist OR tagline:heist", Size = 100 }, CancellationToken.None);
        var expected = perField.Hits.ToDictionary(h => h.Document.Id, h => h.Score);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), lexical.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.All(lexical.Hits, h => Assert.Equal(expected[h.Id], h.Score, 5));
        Assert.Equal(5, lexical.Total); // m1, m2, m4 (heists -> heist), b1, b2

        // Score descending, ties (identical documents) by id in ordinal order.
        Assert.Equal([.. lexical.Hits.OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal)], lexical.Hits);
        Assert.True(lexical.Hits.Select(h => h.Id).ToList().IndexOf("b1") < lexical.Hits.Select(h => h.Id).ToList().IndexOf("b2"));
    }

    [Fact]
    public async Task Weights_multiply_a_texts_score_and_texts_add_up()
    {
        await IndexAsync();
        var one = (await Index.LexicalSearchAsync([new WeightedText("heist", 1f)], 100, LexicalFields.All, CancellationToken.None)).Hits.ToDictionary(h => h.Id, h => h.Score);
        var vault = (await Index.LexicalSearchAsync([new WeightedText("vault", 1f)], 100, LexicalFields.All, CancellationToken.None)).Hits.ToDictionary(h => h.Id, h => h.Score);
        var both = await Index.LexicalSearchAsync([new WeightedText("heist", 2f), new WeightedText("vault", 0.5f)], 100, LexicalFields.All, CancellationToken.None);

        Assert.All(both.Hits, h => Assert.Equal((2 * one.GetValueOrDefault(h.Id)) + (0.5f * vault.GetValueOrDefault(h.Id)), h.Score, 4));
        Assert.Contains(both.Hits, h => h.Id == "m2" && vault.ContainsKey("m2") && one.ContainsKey("m2"));
    }

    [Fact]
    public async Task Top_cuts_the_hits_not_the_total_and_texts_without_words_match_nothing()
    {
        await IndexAsync();
        var top2 = await Index.LexicalSearchAsync([new WeightedText("heist", 1f)], 2, LexicalFields.All, CancellationToken.None);
        Assert.Equal(2, top2.Hits.Count);
        Assert.Equal(5, top2.Total);

        var none = await Index.LexicalSearchAsync([new WeightedText("the of and", 1f), new WeightedText("heist", 0f), new WeightedText(" ", 1f)], 10, LexicalFields.All, CancellationToken.None);
        Assert.Empty(none.Hits);
        Assert.Equal(0, none.Total);

        // English stemming as in search: "boxing" also matches "boxes" and "Boxing" (the reason the pipeline adds "boxer").
        var boxing = await Index.LexicalSearchAsync([new WeightedText("boxing", 1f)], 10, LexicalFields.All, CancellationToken.None);
        Assert.Equal(["m5"], boxing.Hits.Select(h => h.Id));
    }
    [Fact]
    public async Task Title_scope_matches_titles_alone_with_the_same_words()
    {
        await IndexAsync();
        var title = await Index.LexicalSearchAsync([new WeightedText("heist", 1f)], 100, LexicalFields.Title, CancellationToken.None);
        var all = await Index.LexicalSearchAsync([new WeightedText("heist", 1f)], 100, LexicalFields.All, CancellationToken.None);

        // "The Heist" (m1) and "Heists" (m4) name a heist in the title; m2, b1 and b2 only in the overview.
        Assert.Equal(["m1", "m4"], title.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.Equal(2, title.Total);
        Assert.Equal(5, all.Total);
        var perField = (await Index.SearchAsync(new SearchQuery { Text = "title:heist", Size = 10 }, CancellationToken.None)).Hits.ToDictionary(h => h.Document.Id, h => h.Score);
        Assert.All(title.Hits, h => Assert.Equal(perField[h.Id], h.Score, 5));
    }
}
