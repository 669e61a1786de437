using System.Text;
using MLOps.Web.Features.Catalog;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The import parser on its own: bytes in, records out, no stream and no index.</summary>
public sealed class CatalogRecordParserTests
{
    private const int DefaultMaxLine = 16 * 1024 * 1024;

    private static (ImportFormat Format, IReadOnlyList<CatalogRecord> Records) Parse(string text, int maxLineBytes = DefaultMaxLine, int chunkBytes = int.MaxValue) =>
        CatalogRecordParser.ParseAll(Encoding.UTF8.GetBytes(text), maxLineBytes, chunkBytes);

    /// <summary>A record as one comparable line: kind, position, id or message.</summary>
    private static string Describe(CatalogRecord record) => record switch
    {
        CatalogRecord.Document d => $"doc {d.Value.Id} line {d.Line} item {d.Item}",
        CatalogRecord.Rejected r => $"bad line {r.Error.Line} item {r.Error.Item}: {r.Error.Message}",
        CatalogRecord.Stopped s => $"stop: {s.Reason} ({s.Error})",
        _ => throw new ArgumentOutOfRangeException(nameof(record)),
    };

    private static List<CatalogRecord.Document> Documents(IReadOnlyList<CatalogRecord> records) => [.. records.OfType<CatalogRecord.Document>()];

    private static List<ImportError> Errors(IReadOnlyList<CatalogRecord> records) => [.. records.OfType<CatalogRecord.Rejected>().Select(r => r.Error)];

    private const string Bulk = """
        {"index":{"_index":"tmdb","_id":"19995"}}
        {"title":"Avatar-like","overview":"A marine on a moon.","genres":[{"id":28,"name":"Action"},{"id":878,"name":"Science Fiction"}],"popularity":150.4}
        {"create":{"_id":285}}
        {"id":"ignored","title":"Pirates","genres":["Adventure"]}
        """;

    private const string BadLines = """
        {"id":"1","title":"Good one"}
        {"id":"2","title":"Broken" "genres":[]}
        {"id":"3","title":"Bad genres","genres":[42]}

        {"id":"4","title":"Good two"}
        """;

    private const string BadBulk = """
        {"index":{"_id":"1"}}
        {"title":"One"}
        {"delete":{"_id":"9"}}
        {"update":{"_id":"1"}}
        {"doc":{"title":"x"}}
        {"index":{"_id":"2"}}
        """;

    private const string Array = """
        [
          {"id":"a","title":"First","genres":["Comedy"]},
          {"id":"b","genres":["Comedy"]},
          {"id":"c","title":"Third","genres":[{"name":"Horror"}],"tagline":"Boo"}
        ]
        """;

    [Fact]
    public void Elasticsearch_bulk_pairs_take_the_id_from_the_action_line_and_the_line_number_from_the_document()
    {
        var (format, records) = Parse(Bulk);

        Assert.Equal(ImportFormat.ElasticsearchBulk, format);
        Assert.Equal(["doc 19995 line 2 item ", "doc 285 line 4 item "], records.Select(Describe));
        var avatar = Documents(records)[0].Value;
        Assert.Equal(["Action", "Science Fiction"], avatar.Genres);
        Assert.Equal(150.4, avatar.Extra["popularity"].GetDouble());
    }

    [Fact]
    public void Json_lines_with_numeric_ids_crlf_a_bom_and_trailing_blank_lines_are_one_document_a_line()
    {
        var text = "\uFEFF" + string.Join("\r\n", Enumerable.Range(1, 25).Select(i =>
            $$"""{"id":{{i}},"title":"Movie {{i}}","genres":["Drama"]}""")) + "\r\n\r\n";

        var (format, records) = Parse(text);

        Assert.Equal(ImportFormat.JsonLines, format);
        Assert.Equal(25, records.Count);
        var docs = Documents(records);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long?)i), docs.Select(d => d.Line));
        Assert.Equal("7", docs[6].Value.Id);
        Assert.Equal("Movie 7", docs[6].Value.Title);
    }

    [Fact]
    public void A_json_array_is_read_item_by_item_and_a_bad_item_is_reported_by_position()
    {
        var (format, records) = Parse(Array);

        Assert.Equal(ImportFormat.JsonArray, format);
        Assert.Equal(["doc a line  item 1", "doc c line  item 3"], Documents(records).Select(d => Describe(d)));
        var error = Assert.Single(Errors(records));
        Assert.Equal(2, error.Item);
        Assert.Null(error.Line);
        Assert.Contains("title", error.Message, StringComparison.Ordinal);
        Assert.Equal("Boo", Documents(records)[1].Value.Tagline);
    }

    [Fact]
    public void An_array_item_that_is_not_an_object_is_rejected_and_the_rest_is_read()
    {
        var (_, records) = Parse("""[1, null, {"id":"x","title":"X"}]""");

        Assert.Equal([1L, 2L], Errors(records).Select(e => e.Item!.Value));
        Assert.Contains("expected a JSON object", Errors(records)[0].Message, StringComparison.Ordinal);
        Assert.Equal("x", Assert.Single(Documents(records)).Value.Id);
    }

    [Fact]
    public void A_malformed_array_stops_with_the_line_and_the_item_it_broke_at()
    {
        var (_, records) = Parse("""
            [
              {"id":"a","title":"First"},
              {"id":"b","title": oops}
            ]
            """);

        Assert.Equal("a", Assert.Single(Documents(records)).Value.Id);
        var stop = Assert.IsType<CatalogRecord.Stopped>(records[^1]);
        Assert.Contains("malformed after item 1", stop.Reason, StringComparison.Ordinal);
        Assert.Equal(3, stop.Error!.Line);
        Assert.Equal(2, stop.Error.Item);
        Assert.StartsWith("invalid JSON", stop.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"id":"a","title":"A"}""")]
    [InlineData("""[{"id":"a","title":"A"}] [""")]
    [InlineData("""[{"id":"a","title":"A"},""")]
    public void A_truncated_array_or_content_after_it_stops_after_the_good_items(string text)
    {
        var (_, records) = Parse(text);

        Assert.Equal("a", Assert.Single(Documents(records)).Value.Id);
        Assert.IsType<CatalogRecord.Stopped>(records[^1]);
    }

    [Fact]
    public void Bad_lines_are_rejected_with_their_line_numbers_counting_blank_lines_and_the_rest_is_read()
    {
        var (format, records) = Parse(BadLines);

        Assert.Equal(ImportFormat.JsonLines, format);
        Assert.Equal([2L, 3L], Errors(records).Select(e => e.Line!.Value));
        Assert.Contains("invalid JSON", Errors(records)[0].Message, StringComparison.Ordinal);
        Assert.Contains("genres[0]", Errors(records)[1].Message, StringComparison.Ordinal);
        Assert.Equal([1L, 5L], Documents(records).Select(d => d.Line!.Value));
    }

    [Fact]
    public void Two_json_values_on_one_line_are_rejected()
    {
        var (_, records) = Parse("""
            {"id":"1","title":"One"} {"id":"2","title":"Two"}
            {"id":"3","title":"Three"}
            """);

        var error = Assert.Single(Errors(records));
        Assert.Equal(1, error.Line);
        Assert.StartsWith("invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Equal("3", Assert.Single(Documents(records)).Value.Id);
    }

    [Fact]
    public void A_bulk_action_without_a_document_and_unsupported_actions_are_rejected_and_an_update_body_is_skipped()
    {
        var (format, records) = Parse(BadBulk);

        Assert.Equal(ImportFormat.ElasticsearchBulk, format);
        Assert.Equal("1", Assert.Single(Documents(records)).Value.Id);
        Assert.Equal([3L, 4L, 6L], Errors(records).Select(e => e.Line!.Value));
        Assert.Contains("'delete' is not supported", Errors(records)[0].Message, StringComparison.Ordinal);
        Assert.Contains("no document line", Errors(records)[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_bulk_a_document_where_an_action_belongs_and_an_unusable_id_are_rejected()
    {
        var (_, records) = Parse("""
            {"index":{"_id":"1"}}
            {"title":"One"}
            {"title":"not an action"}
            {"index":{"_id":true}}
            {"title":"body of the bad action, skipped"}
            {"index":{}}
            {"id":"from-body","title":"Body id"}
            """);

        Assert.Equal([3L, 4L], Errors(records).Select(e => e.Line!.Value));
        Assert.Contains("expected a bulk action line", Errors(records)[0].Message, StringComparison.Ordinal);
        Assert.Equal(["1", "from-body"], Documents(records).Select(d => d.Value.Id));
    }

    [Fact]
    public void Invalid_json_after_a_bulk_action_drops_the_action_and_the_next_line_is_an_action_again()
    {
        var (_, records) = Parse("""
            {"index":{"_id":"1"}}
            {"title": broken
            {"index":{"_id":"2"}}
            {"title":"Two"}
            """);

        Assert.Equal(2, Assert.Single(Errors(records)).Line);
        Assert.Equal("2", Assert.Single(Documents(records)).Value.Id);
    }

    [Theory]
    [InlineData("", "the input is empty")]
    [InlineData("   \n  ", "the input is empty")]
    [InlineData("\uFEFF", "the input is empty")]
    [InlineData("title,overview\nA,B", "unrecognised format")]
    public void Input_that_is_not_json_stops_with_a_reason(string text, string reason)
    {
        var (format, records) = Parse(text);

        Assert.Equal(ImportFormat.Unknown, format);
        var stop = Assert.IsType<CatalogRecord.Stopped>(Assert.Single(records));
        Assert.Contains(reason, stop.Reason, StringComparison.Ordinal);
        Assert.Null(stop.Error);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1000)]
    [InlineData(64)]
    public void A_line_longer_than_the_limit_stops_the_input_there_however_it_arrives(int chunkBytes)
    {
        var text = """{"id":"1","title":"ok"}""" + "\n" + """{"id":"2","title":" """ + new string('x', 20_000) + "\"}\n" + """{"id":"3","title":"never read"}""";

        var (_, records) = Parse(text, maxLineBytes: 4096, chunkBytes);

        Assert.Equal("1", Assert.Single(Documents(records)).Value.Id);
        var stop = Assert.IsType<CatalogRecord.Stopped>(records[^1]);
        Assert.Contains("line 2", stop.Reason, StringComparison.Ordinal);
        Assert.Equal(2, stop.Error!.Line);
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_read()
    {
        var prefix = """{"id":"1","title":" """;
        var line = prefix + new string('x', 1024 - prefix.Length - 2) + "\"}";
        Assert.Equal(1024, Encoding.UTF8.GetByteCount(line));

        var (_, records) = Parse(line + "\n", maxLineBytes: 1024, chunkBytes: 100);

        Assert.Equal("1", Assert.Single(Documents(records)).Value.Id);
    }

    public static TheoryData<string> Inputs() => new() { Bulk, BadLines, BadBulk, Array, "\uFEFF" + Bulk, """[{"id":"a","title":"A"}, {"id":"b","title": oops}]""" };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void The_records_do_not_depend_on_how_the_input_is_cut(string text)
    {
        var whole = Parse(text).Records.Select(Describe).ToList();

        foreach (var chunk in new[] { 1, 2, 3, 7, 64 })
        {
            Assert.Equal(whole, Parse(text, chunkBytes: chunk).Records.Select(Describe));
        }
    }

    [Fact]
    public void Pushed_input_is_consumed_up_to_the_last_complete_record_only()
    {
        var parser = new CatalogRecordParser(DefaultMaxLine);
        var records = new List<CatalogRecord>();
        var bytes = Encoding.UTF8.GetBytes("""{"id":"1","title":"One"}""" + "\n" + """{"id":"2","ti""");
        var buffer = new System.Buffers.ReadOnlySequence<byte>(bytes);

        var consumed = parser.Parse(buffer, isFinal: false, records);

        Assert.Equal(25, buffer.Slice(0, consumed).Length);
        Assert.Single(records);
        Assert.False(parser.IsDone);
    }
}
