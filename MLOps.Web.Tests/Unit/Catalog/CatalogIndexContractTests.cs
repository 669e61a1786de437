using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>
/// What every <see cref="ICatalogIndex"/> engine must do. Lucene runs it for real, the NEST adapter
/// against recorded wire exchanges (checking every request), and a live cluster when ES_URL is set.
/// </summary>
public abstract class CatalogIndexContractTests
{
    protected static readonly DateTimeOffset At = new(2026, 11, 20, 8, 30, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty index for one test case.</summary>
    protected abstract Task<ICatalogIndex> CreateIndexAsync(string testCase);

    /// <summary>Checks after a case (the recorded engine: every expected request was sent).</summary>
    protected virtual void Verify()
    {
    }

    protected static List<CatalogDocument> Movies() =>
    [
        CatalogJson.Parse("""{"id":"m1","title":"The Lantern Below the Snow","overview":"Siblings follow a lost reindeer to Santa's workshop on Christmas Eve.","genres":["Family","Fantasy"],"release_date":"2019-11-29","runtime":94}"""),
        CatalogJson.Parse("""{"id":"m2","title":"Home Run Hannah","overview":"A girl pitcher leads the summer baseball team to the championship.","genres":[{"name":"Family"},{"name":"Drama"}],"release_date":"2018-06-15"}"""),
        CatalogJson.Parse("""{"id":"m3","title":"The December Heist","overview":"Thieves rob a department store vault on Christmas Eve.","genres":["Crime","Thriller"],"release_date":"2017-12-15","studio":{"name":"Northwind","country":"NZ"}}"""),
    ];

    [SkippableFact]
    public async Task Indexed_documents_come_back_by_id_with_their_extra_fields()
    {
        var index = await CreateIndexAsync("index_and_get");
        await index.EnsureCreatedAsync(CancellationToken.None);
        await index.IndexAsync(Movies(), CancellationToken.None);

        var m1 = await index.GetAsync("m1", CancellationToken.None);
        Assert.NotNull(m1);
        Assert.Equal("The Lantern Below the Snow", m1.Title);
        Assert.Equal(["Family", "Fantasy"], m1.Genres);
        Assert.Equal("2019-11-29", m1.ReleaseDate);
        Assert.Equal(94, m1.Extra["runtime"].GetInt32());
        Assert.Null(await index.GetAsync("missing", CancellationToken.None));

        var many = await index.GetManyAsync(["m3", "missing", "m2"], CancellationToken.None);
        Assert.Equal(["m3", "m2"], many.Select(d => d.Id));
        Assert.Equal("Northwind", many[0].Extra["studio"].GetProperty("name").GetString());
        Assert.Equal(["Family", "Drama"], many[1].Genres);
        Assert.Equal(3, await index.CountAsync(CancellationToken.None));
        Verify();
    }

    [SkippableFact]
    public async Task A_partial_update_sets_and_removes_classification_fields_and_reindexing_keeps_them()
    {
        var index = await CreateIndexAsync("partial_update");
        await index.EnsureCreatedAsync(CancellationToken.None);
        await index.IndexAsync(Movies(), CancellationToken.None);

        await index.UpdateClassificationsAsync(
        [
            new ClassificationUpdate("m1", new Dictionary<string, float> { ["classification_christmas"] = 0.93f, ["classification_sports"] = 0.04f }, "minilm@1", At),
            new ClassificationUpdate("m2", new Dictionary<string, float> { ["classification_christmas"] = 0.08f, ["classification_sports"] = 0.88f }, "minilm@1", At),
        ], CancellationToken.None);
        await index.UpdateClassificationsAsync(
        [
            new ClassificationUpdate("m1", new Dictionary<string, float> { ["classification_space"] = 0.11f }, "minilm@2", At.AddHours(1), ["classification_sports"]),
        ], CancellationToken.None);

        var m1 = await index.GetAsync("m1", CancellationToken.None);
        Assert.NotNull(m1);
        Assert.Equal(0.93f, m1.Classifications["classification_christmas"], 3);
        Assert.Equal(0.11f, m1.Classifications["classification_space"], 3);
        Assert.False(m1.Classifications.ContainsKey("classification_sports"));
        Assert.Equal("minilm@2", m1.ClassificationModel);
        Assert.Equal(At.AddHours(1), m1.ClassifiedAt);
        Assert.Equal("The Lantern Below the Snow", m1.Title);
        Assert.Equal(94, m1.Extra["runtime"].GetInt32());

        // Re-indexing the same id (a re-import) replaces the text and keeps the stored scores.
        var edited = Movies()[0];
        edited.Title = "The Lantern Below the Snow (Director's Cut)";
        await index.IndexAsync([edited], CancellationToken.None);
        var after = await index.GetAsync("m1", CancellationToken.None);
        Assert.NotNull(after);
        Assert.Equal("The Lantern Below the Snow (Director's Cut)", after.Title);
        Assert.Equal(0.93f, after.Classifications["classification_christmas"], 3);
        Assert.Equal("minilm@2", after.ClassificationModel);
        Verify();
    }

    [SkippableFact]
    public async Task Scanning_returns_every_id_once_in_a_stable_order()
    {
        var index = await CreateIndexAsync("scan");
        await index.EnsureCreatedAsync(CancellationToken.None);
        await index.IndexAsync(Movies(), CancellationToken.None);

        var ids = new List<string>();
        await foreach (var id in index.ScanIdsAsync(CancellationToken.None))
        {
            ids.Add(id);
        }

        Assert.Equal(["m1", "m2", "m3"], ids);
        Verify();
    }

    [SkippableFact]
    public async Task Search_filters_by_genre_and_sorts_by_a_classification_field_with_missing_scores_last()
    {
        var index = await CreateIndexAsync("search");
        await index.EnsureCreatedAsync(CancellationToken.None);
        var movies = Movies();
        movies.Add(CatalogJson.Parse("""{"id":"m4","title":"Moonbase Kids","overview":"Children on a lunar base train for a football match.","genres":["Family","Science Fiction"]}"""));
        await index.IndexAsync(movies, CancellationToken.None);
        await index.UpdateClassificationsAsync(
        [
            new ClassificationUpdate("m1", new Dictionary<string, float> { ["classification_christmas"] = 0.93f }, "minilm@1", At),
            new ClassificationUpdate("m2", new Dictionary<string, float> { ["classification_christmas"] = 0.08f }, "minilm@1", At),
            new ClassificationUpdate("m3", new Dictionary<string, float> { ["classification_christmas"] = 0.99f }, "minilm@1", At),
        ], CancellationToken.None);

        var sorted = await index.SearchAsync(new SearchQuery
        {
            Genre = "FAMILY",
            Sort = SearchSortKind.Field,
            SortField = "classification_christmas",
        }, CancellationToken.None);
        Assert.Equal(3, sorted.Total);
        Assert.Equal(["m1", "m2", "m4"], sorted.Hits.Select(h => h.Document.Id));
        Assert.Equal(0.93f, sorted.Hits[0].Document.Classifications["classification_christmas"], 3);

        var text = await index.SearchAsync(new SearchQuery { Text = "christmas", Genre = "family" }, CancellationToken.None);
        Assert.Equal(["m1"], text.Hits.Select(h => h.Document.Id));
        Assert.True(text.Hits[0].Score > 0);
        Verify();
    }
}
