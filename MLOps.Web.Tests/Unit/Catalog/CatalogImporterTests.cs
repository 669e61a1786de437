using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>Import into a real Lucene index on a temp folder.</summary>
public sealed class CatalogImporterTests : IDisposable
{
    private readonly LuceneCatalogIndex _index = new(TempDirectory.Create("import"), NullLogger<LuceneCatalogIndex>.Instance);

    private CatalogImporter Importer(int batchSize = 1000) =>
        new(_index, Options.Create(new CatalogImportOptions { BatchSize = batchSize }), NullLogger<CatalogImporter>.Instance);

    private static Func<CancellationToken, Task<Stream>> Text(string text) =>
        _ => Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    public void Dispose()
    {
        _index.Dispose();
        Directory.Delete(_index.Path, recursive: true);
    }

    [Fact]
    public async Task Elasticsearch_bulk_ndjson_takes_ids_from_the_action_lines()
    {
        var bulk = """
            {"index":{"_index":"tmdb","_id":"19995"}}
            {"title":"Avatar-like","overview":"A marine on a moon.","genres":[{"id":28,"name":"Action"},{"id":878,"name":"Science Fiction"}],"release_date":"2009-12-10","popularity":150.4}
            {"create":{"_id":"285"}}
            {"id":"ignored","title":"Pirates","genres":["Adventure"]}
            """;
        var report = await Importer().ImportAsync(Text(bulk), strict: false, CancellationToken.None);

        Assert.Equal(ImportFormat.ElasticsearchBulk, report.Format);
        Assert.Equal(2, report.Indexed);
        Assert.Empty(report.Errors);
        var avatar = await _index.GetAsync("19995", CancellationToken.None);
        Assert.NotNull(avatar);
        Assert.Equal(["Action", "Science Fiction"], avatar.Genres);
        Assert.Equal(150.4, avatar.Extra["popularity"].GetDouble());
        Assert.NotNull(await _index.GetAsync("285", CancellationToken.None));
        Assert.Null(await _index.GetAsync("ignored", CancellationToken.None));
    }

    [Fact]
    public async Task Json_lines_with_numeric_ids_crlf_and_a_bom_are_imported_in_batches()
    {
        var lines = "\uFEFF" + string.Join("\r\n", Enumerable.Range(1, 25).Select(i =>
            $$"""{"id":{{i}},"title":"Movie {{i}}","overview":"Overview {{i}}","genres":["Drama"]}""")) + "\r\n\r\n";
        var report = await Importer(batchSize: 10).ImportAsync(Text(lines), strict: false, CancellationToken.None);

        Assert.Equal(ImportFormat.JsonLines, report.Format);
        Assert.Equal(25, report.Indexed);
        Assert.Equal(25, await _index.CountAsync(CancellationToken.None));
        Assert.Equal("Movie 7", (await _index.GetAsync("7", CancellationToken.None))?.Title);
    }

    [Fact]
    public async Task A_json_array_is_streamed_and_bad_items_are_reported_by_position()
    {
        var array = """
            [
              {"id":"a","title":"First","genres":["Comedy"]},
              {"id":"b","genres":["Comedy"]},
              {"id":"c","title":"Third","genres":[{"name":"Horror"}],"tagline":"Boo"}
            ]
            """;
        var report = await Importer().ImportAsync(Text(array), strict: false, CancellationToken.None);

        Assert.Equal(ImportFormat.JsonArray, report.Format);
        Assert.Equal(2, report.Indexed);
        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Item);
        Assert.Contains("title", error.Message, StringComparison.Ordinal);
        Assert.Equal("Boo", (await _index.GetAsync("c", CancellationToken.None))?.Tagline);
    }

    [Fact]
    public async Task A_bad_line_is_reported_with_its_line_number_and_the_rest_is_imported()
    {
        var lines = """
            {"id":"1","title":"Good one"}
            {"id":"2","title":"Broken" "genres":[]}
            {"id":"3","title":"Bad genres","genres":[42]}

            {"id":"4","title":"Good two"}
            """;
        var report = await Importer().ImportAsync(Text(lines), strict: false, CancellationToken.None);

        Assert.True(report.Succeeded);
        Assert.Equal(2, report.Indexed);
        Assert.Equal(2, report.Skipped);
        Assert.Equal([2L, 3L], report.Errors.Select(e => e.Line!.Value));
        Assert.Contains("invalid JSON", report.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("genres[0]", report.Errors[1].Message, StringComparison.Ordinal);
        Assert.Equal(2, await _index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_strict_import_with_one_bad_line_writes_nothing()
    {
        var lines = string.Join('\n', Enumerable.Range(1, 30).Select(i => i == 27
            ? """{"id":"27"}"""
            : $$"""{"id":"{{i}}","title":"Movie {{i}}"}"""));
        var report = await Importer(batchSize: 5).ImportAsync(Text(lines), strict: true, CancellationToken.None);

        Assert.False(report.Succeeded);
        Assert.Equal(0, report.Indexed);
        Assert.Equal(27, Assert.Single(report.Errors).Line);
        Assert.Equal(0, await _index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_strict_import_of_good_input_writes_everything()
    {
        var report = await Importer().ImportAsync(Text("""
            {"id":"1","title":"One"}
            {"id":"2","title":"Two"}
            """), strict: true, CancellationToken.None);

        Assert.True(report.Succeeded);
        Assert.Equal(2, report.Indexed);
        Assert.Equal(2, await _index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Re_importing_updates_by_id_and_keeps_classification_fields()
    {
        await Importer().ImportAsync(Text("""{"id":"x","title":"Old title","overview":"Old"}"""), strict: false, CancellationToken.None);
        await _index.UpdateClassificationsAsync(
            [new ClassificationUpdate("x", new Dictionary<string, float> { ["classification_christmas"] = 0.7f }, "m@1", DateTimeOffset.UnixEpoch)],
            CancellationToken.None);

        var report = await Importer().ImportAsync(Text("""{"id":"x","title":"New title","overview":"New"}"""), strict: false, CancellationToken.None);

        Assert.Equal(1, report.Indexed);
        var doc = await _index.GetAsync("x", CancellationToken.None);
        Assert.NotNull(doc);
        Assert.Equal("New title", doc.Title);
        Assert.Equal(0.7f, doc.Classifications["classification_christmas"]);
        Assert.Equal("m@1", doc.ClassificationModel);
        Assert.Equal(1, await _index.CountAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   \n  ", "empty")]
    [InlineData("title,overview\nA,B", "unrecognised format")]
    public async Task Input_that_is_not_json_fails_with_a_reason(string text, string reason)
    {
        var report = await Importer().ImportAsync(Text(text), strict: false, CancellationToken.None);

        Assert.False(report.Succeeded);
        Assert.Contains(reason, report.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bulk_action_without_a_document_and_unsupported_actions_are_reported()
    {
        var bulk = """
            {"index":{"_id":"1"}}
            {"title":"One"}
            {"delete":{"_id":"9"}}
            {"update":{"_id":"1"}}
            {"doc":{"title":"x"}}
            {"index":{"_id":"2"}}
            """;
        var report = await Importer().ImportAsync(Text(bulk), strict: false, CancellationToken.None);

        Assert.Equal(1, report.Indexed);
        Assert.Equal([3L, 4L, 6L], report.Errors.Select(e => e.Line!.Value));
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_stops_the_import_instead_of_buffering_it()
    {
        var importer = new CatalogImporter(_index, Options.Create(new CatalogImportOptions { MaxLineBytes = 4096 }), NullLogger<CatalogImporter>.Instance);
        var huge = """{"id":"1","title":"ok"}""" + "\n" + """{"id":"2","title":" """ + new string('x', 200_000) + "\"}\n";

        var report = await importer.ImportAsync(Text(huge), strict: false, CancellationToken.None);

        Assert.False(report.Succeeded);
        Assert.Contains("line 2", report.Failure, StringComparison.Ordinal);
        Assert.Equal(1, report.Indexed);
    }

    [Fact]
    public async Task The_bundled_sample_catalog_imports_cleanly_with_christmas_and_other_family_films()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "SampleData", "catalog.jsonl");
        var report = await Importer().ImportFileAsync(path, strict: true, CancellationToken.None);

        Assert.True(report.Succeeded, report.Failure);
        Assert.InRange(report.Indexed, 140, 170);
        var family = await _index.SearchAsync(new SearchQuery { Genre = "Family", Size = 1000 }, CancellationToken.None);
        var christmas = family.Hits.Count(h => h.Document.ClassificationText.Contains("Christmas", StringComparison.OrdinalIgnoreCase));
        Assert.True(christmas >= 8, $"{christmas} Christmas family films");
        Assert.True(family.Hits.Count - christmas >= 8, $"{family.Hits.Count - christmas} other family films");
    }
}
