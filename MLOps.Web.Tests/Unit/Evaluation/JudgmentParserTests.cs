using System.Globalization;
using System.Text;
using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Tests.Unit.Evaluation;

public sealed class JudgmentParserTests
{
    /// <summary>40 judgment lines; ids and relevances chosen so that each can be checked independently.</summary>
    private static string FortyRowCsv()
    {
        var sb = new StringBuilder("document_id,relevance\n");
        for (var i = 1; i <= 40; i++)
        {
            // a quoted id containing the separator on row 7, CRLF endings on even rows, padding on row 12
            var id = i == 7 ? "\"tt,0007\"" : $"{1000 + i}";
            var rel = (i * 7 % 4).ToString(CultureInfo.InvariantCulture);
            sb.Append(i == 12 ? $" {id} , {rel} " : $"{id},{rel}").Append(i % 2 == 0 ? "\r\n" : "\n");
        }

        return sb.ToString();
    }

    [Fact]
    public void A_forty_row_csv_with_a_header_parses_into_forty_judgments()
    {
        var result = JudgmentParser.ParseCsv(FortyRowCsv(), maxJudgments: 1000);

        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        Assert.Equal(40, result.Judgments.Count);
        Assert.Equal(new Judgment("1001", 3), result.Judgments[0]);   // 7 % 4 = 3
        Assert.Equal(new Judgment("tt,0007", 1), result.Judgments[6]); // 49 % 4 = 1
        Assert.Equal(new Judgment("1012", 0), result.Judgments[11]);  // 84 % 4 = 0, padding trimmed
        Assert.Equal(new Judgment("1040", 0), result.Judgments[39]);  // 280 % 4 = 0
        Assert.Equal(10, result.Judgments.Count(j => j.Relevance == 2));
    }

    [Fact]
    public void A_relevance_out_of_range_is_reported_with_its_line_number()
    {
        var result = JudgmentParser.ParseCsv("document_id,relevance\n10,1\n11,4\n12,2\n", 1000);

        Assert.False(result.IsValid);
        Assert.Empty(result.Judgments);
        var (field, messages) = Assert.Single(result.Errors);
        Assert.Equal("csv.line[3].relevance", field);
        Assert.Contains("line 3", messages[0], StringComparison.Ordinal);
        Assert.Contains("'4'", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_relevance_that_is_not_an_integer_is_refused()
    {
        var result = JudgmentParser.ParseCsv("document_id,relevance\n10,high\n11,2.5\n", 1000);
        Assert.Contains("csv.line[2].relevance", result.Errors.Keys);
        Assert.Contains("csv.line[3].relevance", result.Errors.Keys);
    }

    [Fact]
    public void A_csv_without_the_expected_header_is_refused()
    {
        var result = JudgmentParser.ParseCsv("10,1\n11,2\n", 1000);
        Assert.Contains("csv.header", result.Errors.Keys);
    }

    [Fact]
    public void Header_columns_may_come_in_any_order()
    {
        var result = JudgmentParser.ParseCsv("relevance,document_id\n2,abc\n", 1000);
        Assert.Equal([new Judgment("abc", 2)], result.Judgments);
    }

    [Fact]
    public void An_empty_document_id_and_a_missing_field_are_named_by_line()
    {
        var result = JudgmentParser.ParseCsv("document_id,relevance\n,1\n12\n", 1000);
        Assert.Contains("csv.line[2].document_id", result.Errors.Keys);
        Assert.Contains("csv.line[3]", result.Errors.Keys);
    }

    [Fact]
    public void A_document_judged_twice_is_refused()
    {
        var result = JudgmentParser.ParseCsv("document_id,relevance\n10,1\n10,3\n", 1000);
        Assert.False(result.IsValid);
        Assert.Contains("'10'", result.Errors["csv"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void More_judgments_than_the_limit_are_refused()
    {
        var result = JudgmentParser.ParseCsv(FortyRowCsv(), maxJudgments: 39);
        Assert.False(result.IsValid);
        Assert.Contains("39", result.Errors["csv"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Json_judgments_name_the_index_of_a_bad_item()
    {
        var result = JudgmentParser.ParseJson([new JudgmentRequest("10", 2), new JudgmentRequest(null, 1), new JudgmentRequest("12", -1)], 1000);
        Assert.Contains("judgments[1].document_id", result.Errors.Keys);
        Assert.Contains("judgments[2].relevance", result.Errors.Keys);
        Assert.Empty(result.Judgments);
    }

    [Fact]
    public void A_query_needs_a_tag_that_can_become_a_field_name()
    {
        var errors = new Dictionary<string, string[]>();
        Assert.Null(JudgmentParser.ParseQuery("Family", null, null, "query.", errors));
        Assert.Contains("query.tag", errors.Keys);

        errors.Clear();
        Assert.Null(JudgmentParser.ParseQuery("Family", "###", null, "", errors));
        Assert.Contains("tag", errors.Keys);

        errors.Clear();
        Assert.Equal(new JudgedQuery("Family", "christmas", null), JudgmentParser.ParseQuery(" Family ", "christmas", " ", "", errors));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("family-christmas", true)]
    [InlineData("Set_01", true)]
    [InlineData("", false)]
    [InlineData("../etc", false)]
    [InlineData("a b", false)]
    [InlineData("x.json", false)]
    public void Set_names_allow_only_letters_digits_underscore_and_dash(string name, bool valid) =>
        Assert.Equal(valid, JudgmentSetName.IsValid(name));

    [Fact]
    public void Set_names_longer_than_64_characters_are_refused()
    {
        Assert.True(JudgmentSetName.IsValid(new string('a', 64)));
        Assert.False(JudgmentSetName.IsValid(new string('a', 65)));
    }
}
