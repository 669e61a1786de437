using Lucene.Net.QueryParsers.Classic;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>Lucene specifics beyond the contract: durability, concurrency, blending, English analysis.</summary>
public sealed class LuceneCatalogIndexTests : IDisposable
{
    private readonly string _path = TempDirectory.Create("lucene-index");

    public void Dispose() => Directory.Delete(_path, recursive: true);

    private LuceneCatalogIndex Open() => new(_path, NullLogger<LuceneCatalogIndex>.Instance);

    private static CatalogDocument Doc(string id, string title, string overview, params string[] genres) =>
        new() { Id = id, Title = title, Overview = overview, Genres = genres };

    [Fact]
    public async Task Documents_and_classification_fields_survive_closing_and_reopening_the_index()
    {
        using (var index = Open())
        {
            await index.IndexAsync([Doc("a", "Snow Day", "Kids build a fort.", "Family")], CancellationToken.None);
            await index.UpdateClassificationsAsync(
                [new ClassificationUpdate("a", new Dictionary<string, float> { ["classification_winter"] = 0.8f }, "m@1", DateTimeOffset.UnixEpoch)],
                CancellationToken.None);
        }

        using var reopened = Open();
        var doc = await reopened.GetAsync("a", CancellationToken.None);
        Assert.NotNull(doc);
        Assert.Equal(0.8f, doc.Classifications["classification_winter"]);
        var sorted = await reopened.SearchAsync(new SearchQuery { Sort = SearchSortKind.Field, SortField = "classification_winter" }, CancellationToken.None);
        Assert.Equal("a", Assert.Single(sorted.Hits).Document.Id);
    }

    [Fact]
    public async Task A_second_writer_on_the_same_folder_is_refused_with_a_clear_message()
    {
        using var first = Open();
        await first.EnsureCreatedAsync(CancellationToken.None);

        var ex = Assert.Throws<InvalidOperationException>(Open);

        Assert.Contains("locked", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readers_see_consistent_results_while_updates_are_written_concurrently()
    {
        using var index = Open();
        await index.IndexAsync([.. Enumerable.Range(0, 200).Select(i => Doc($"d{i:000}", $"Movie {i}", "A family story.", "Family"))], CancellationToken.None);

        var writer = Task.Run(async () =>
        {
            for (var round = 1; round <= 10; round++)
            {
                var updates = Enumerable.Range(0, 200).Select(i => new ClassificationUpdate($"d{i:000}",
                    new Dictionary<string, float> { ["classification_christmas"] = round / 10f }, $"m@{round}", DateTimeOffset.UnixEpoch)).ToList();
                await index.UpdateClassificationsAsync(updates, CancellationToken.None);
            }
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!writer.IsCompleted)
            {
                var result = await index.SearchAsync(new SearchQuery { Genre = "family", Size = 5 }, CancellationToken.None);
                Assert.Equal(200, result.Total);
            }
        })).ToList();
        await Task.WhenAll(readers.Append(writer));

        var doc = await index.GetAsync("d150", CancellationToken.None);
        Assert.Equal(1f, doc!.Classifications["classification_christmas"]);
        Assert.Equal(200, await index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task English_analysis_matches_word_forms_in_title_overview_and_tagline()
    {
        using var index = Open();
        await index.IndexAsync(
        [
            Doc("1", "Runners", "She runs every morning."),
            new CatalogDocument { Id = "2", Title = "Quiet", Tagline = "The running never stops." },
            Doc("3", "Painting", "Nothing about sport."),
        ], CancellationToken.None);

        var result = await index.SearchAsync(new SearchQuery { Text = "run" }, CancellationToken.None);

        Assert.Equal(["1", "2"], result.Hits.Select(h => h.Document.Id).Order());
    }

    [Fact]
    public async Task Trending_blend_ranks_by_weighted_text_and_tag_scores_and_pages()
    {
        using var index = Open();
        await index.IndexAsync(
        [
            Doc("text-best", "Christmas Christmas", "Christmas christmas christmas.", "Family"),
            Doc("tag-best", "A winter tale", "Christmas morning.", "Family"),
            Doc("neither", "Space", "Rockets and christmas lights.", "Family"),
        ], CancellationToken.None);
        await index.UpdateClassificationsAsync(
        [
            new ClassificationUpdate("text-best", new Dictionary<string, float> { ["classification_christmas"] = 0.1f }, "m", DateTimeOffset.UnixEpoch),
            new ClassificationUpdate("tag-best", new Dictionary<string, float> { ["classification_christmas"] = 1f }, "m", DateTimeOffset.UnixEpoch),
        ], CancellationToken.None);

        async Task<List<string>> RankAsync(float textWeight, float tagWeight, int from = 0, int size = 10) =>
            [.. (await index.SearchAsync(new SearchQuery
            {
                Text = "christmas",
                Sort = SearchSortKind.Trending,
                TextWeight = textWeight,
                FieldWeights = new Dictionary<string, float> { ["classification_christmas"] = tagWeight },
                From = from,
                Size = size,
            }, CancellationToken.None)).Hits.Select(h => h.Document.Id)];

        Assert.Equal("text-best", (await RankAsync(1f, 0f))[0]);
        Assert.Equal("tag-best", (await RankAsync(0.2f, 1f))[0]);
        Assert.Equal((await RankAsync(0.2f, 1f))[1..], await RankAsync(0.2f, 1f, from: 1, size: 2));
        var best = await index.SearchAsync(new SearchQuery { Text = "christmas", Sort = SearchSortKind.Trending, TextWeight = 1f, Explain = true }, CancellationToken.None);
        Assert.Equal(1f, best.Hits[0].Score, 4);
        Assert.StartsWith("blend 1 = 1 × text 1 (bm25 ", best.Hits[0].Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_query_syntax_is_a_parse_error_not_a_search()
    {
        Assert.Throws<ParseException>(() => CatalogQuerySyntax.Parse("title:(unclosed"));
        Assert.Throws<ParseException>(() => CatalogQuerySyntax.Parse("AND"));
    }

    [Fact]
    public async Task Updates_naming_a_field_that_is_not_a_classification_field_are_rejected_before_writing()
    {
        using var index = Open();
        await index.IndexAsync([Doc("a", "A", "a")], CancellationToken.None);

        await Assert.ThrowsAsync<ArgumentException>(() => index.UpdateClassificationsAsync(
            [new ClassificationUpdate("a", new Dictionary<string, float> { ["title"] = 1f }, "m", DateTimeOffset.UnixEpoch)],
            CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => index.UpdateClassificationsAsync(
            [new ClassificationUpdate("a", new Dictionary<string, float> { ["classification_x\"; drop"] = 1f }, "m", DateTimeOffset.UnixEpoch)],
            CancellationToken.None));
        Assert.Empty((await index.GetAsync("a", CancellationToken.None))!.Classifications);
    }

    [Fact]
    public async Task Updates_for_unknown_ids_are_skipped_and_the_others_applied()
    {
        using var index = Open();
        await index.IndexAsync([Doc("a", "A", "a")], CancellationToken.None);

        await index.UpdateClassificationsAsync(
        [
            new ClassificationUpdate("ghost", new Dictionary<string, float> { ["classification_x"] = 1f }, "m", DateTimeOffset.UnixEpoch),
            new ClassificationUpdate("a", new Dictionary<string, float> { ["classification_x"] = 0.5f }, "m", DateTimeOffset.UnixEpoch),
        ], CancellationToken.None);

        Assert.Null(await index.GetAsync("ghost", CancellationToken.None));
        Assert.Equal(0.5f, (await index.GetAsync("a", CancellationToken.None))!.Classifications["classification_x"]);
        Assert.Equal(1, await index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Sorting_by_a_field_no_document_has_returns_every_match()
    {
        using var index = Open();
        await index.IndexAsync([Doc("b", "B", "b", "Family"), Doc("a", "A", "a", "Family")], CancellationToken.None);

        var result = await index.SearchAsync(new SearchQuery { Genre = "family", Sort = SearchSortKind.Field, SortField = "classification_never" }, CancellationToken.None);

        Assert.Equal(["a", "b"], result.Hits.Select(h => h.Document.Id));
    }

    [Fact]
    public async Task Relevance_is_scored_with_bm25_as_elasticsearch_does()
    {
        using var index = Open();
        await index.IndexAsync([Doc("a", "Christmas", "A christmas story.")], CancellationToken.None);

        var result = await index.SearchAsync(new SearchQuery { Text = "christmas", Explain = true }, CancellationToken.None);

        Assert.Contains("BM25Similarity", result.Hits[0].Explanation, StringComparison.Ordinal);
    }
}
