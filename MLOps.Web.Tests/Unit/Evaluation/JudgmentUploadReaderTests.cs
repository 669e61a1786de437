using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Tests.Unit.Evaluation;

/// <summary>The judgment upload reader without a host: body limit, CSV or JSON, where the query comes from, errors by field.</summary>
public sealed class JudgmentUploadReaderTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly JudgedQueryRequest QueryString = new("Family", "christmas", null);

    private const string Csv = "document_id,relevance\nxmas1,3\nxmas2,0\n";

    private const string JsonBody = """
        {"query": {"genre": "Animation", "tag": "ocean", "text": "reef"},
         "judgments": [{"document_id": "fish", "relevance": 3}, {"document_id": "sea", "relevance": 2}]}
        """;

    private static JudgmentUpload Parse(string body, string? contentType, JudgedQueryRequest? queryString = null, int max = 1000) =>
        JudgmentUploadReader.Parse(body, contentType, queryString ?? QueryString, max, Json);

    [Fact]
    public void A_csv_takes_its_query_from_the_query_string()
    {
        var valid = Assert.IsType<JudgmentUpload.Valid>(Parse(Csv, "text/csv"));

        Assert.Equal(new JudgedQuery("Family", "christmas"), valid.Query);
        Assert.Equal([new Judgment("xmas1", 3), new Judgment("xmas2", 0)], valid.Judgments);
    }

    [Fact]
    public void A_json_body_with_a_query_uses_it_over_the_query_string()
    {
        var valid = Assert.IsType<JudgmentUpload.Valid>(Parse(JsonBody, "application/json"));

        Assert.Equal(new JudgedQuery("Animation", "ocean", "reef"), valid.Query);
        Assert.Equal(2, valid.Judgments.Count);
    }

    [Fact]
    public void A_json_body_without_a_query_falls_back_to_the_query_string_and_names_its_fields_plainly()
    {
        var body = """{"judgments": [{"document_id": "fish", "relevance": 3}]}""";

        Assert.Equal(new JudgedQuery("Family", "christmas"), Assert.IsType<JudgmentUpload.Valid>(Parse(body, "application/json")).Query);
        var invalid = Assert.IsType<JudgmentUpload.Invalid>(Parse(body, "application/json", new JudgedQueryRequest(null, null, null)));
        Assert.Equal(["tag"], invalid.Errors.Keys);
    }

    [Fact]
    public void Errors_of_a_json_body_query_are_named_query_fields_and_join_the_judgment_errors()
    {
        var body = """{"query": {"genre": "Family"}, "judgments": [{"document_id": "", "relevance": 9}]}""";

        var invalid = Assert.IsType<JudgmentUpload.Invalid>(Parse(body, "application/json"));

        Assert.Equal(["judgments[0].document_id", "query.tag"], invalid.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Csv_errors_name_the_line_and_a_missing_tag_names_the_query_string_parameter()
    {
        var invalid = Assert.IsType<JudgmentUpload.Invalid>(
            Parse("document_id,relevance\nxmas1,3\nxmas2,7\n", "text/csv", new JudgedQueryRequest("Family", " ", null)));

        Assert.Contains("line 3", Assert.Single(invalid.Errors["csv.line[3].relevance"]), StringComparison.Ordinal);
        Assert.True(invalid.Errors.ContainsKey("tag"));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8", JsonBody, true)]
    [InlineData("application/problem+json", JsonBody, true)]
    [InlineData("text/csv", Csv, false)]
    [InlineData("text/plain", Csv, false)]
    [InlineData(null, JsonBody, true)]
    [InlineData("application/octet-stream", "  \n" + JsonBody, true)]
    [InlineData(null, Csv, false)]
    public void The_format_follows_the_content_type_else_a_leading_brace(string? contentType, string body, bool json)
    {
        var valid = Assert.IsType<JudgmentUpload.Valid>(Parse(body, contentType));

        Assert.Equal(json ? "ocean" : "christmas", valid.Query.Tag);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    public void An_empty_body_is_unreadable(string body)
    {
        var unreadable = Assert.IsType<JudgmentUpload.Unreadable>(Parse(body, "text/csv"));

        Assert.Equal("body", unreadable.Field);
        Assert.Contains("empty", unreadable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_is_unreadable_at_the_path_it_broke_with_the_line()
    {
        var wrongType = Assert.IsType<JudgmentUpload.Unreadable>(Parse(
            """{"query": {"tag": "christmas"}, "judgments": [{"document_id": "a", "relevance": "high"}]}""", "application/json"));
        Assert.Equal("judgments[0].relevance", wrongType.Field);
        Assert.StartsWith("Malformed JSON at line 1", wrongType.Message, StringComparison.Ordinal);

        var broken = Assert.IsType<JudgmentUpload.Unreadable>(Parse("{\n\"judgments\": [", "application/json"));
        Assert.StartsWith("Malformed JSON at line 2", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_unreadable_whether_declared_or_streamed()
    {
        var big = new byte[JudgmentUploadReader.MaxUploadBytes + 1];
        var streamed = new DefaultHttpContext().Request;
        streamed.Body = new MemoryStream(big);
        var declared = new DefaultHttpContext().Request;
        declared.Body = new MemoryStream(Encoding.UTF8.GetBytes(Csv));
        declared.ContentLength = JudgmentUploadReader.MaxUploadBytes + 1L;

        foreach (var request in new[] { streamed, declared })
        {
            var unreadable = Assert.IsType<JudgmentUpload.Unreadable>(
                await JudgmentUploadReader.ReadAsync(request, QueryString, 1000, Json, CancellationToken.None));
            Assert.Equal("body", unreadable.Field);
            Assert.Contains("8 MiB", unreadable.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_body_within_the_limit_is_read()
    {
        var request = new DefaultHttpContext().Request;
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(Csv));
        request.ContentType = "text/csv";

        var valid = Assert.IsType<JudgmentUpload.Valid>(await JudgmentUploadReader.ReadAsync(request, QueryString, 1000, Json, CancellationToken.None));

        Assert.Equal(2, valid.Judgments.Count);
    }
}
