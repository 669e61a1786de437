using System.Globalization;
using CsvHelper;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// Turns an uploaded judgment set (CSV or JSON) into a validated <see cref="JudgmentSet"/>. Every
/// problem is reported with the field or CSV line it concerns; nothing is stored on bad input.
/// </summary>
public static class JudgmentParser
{
    public const int MaxRelevance = 3;
    public const int MaxDocumentIdLength = 256;
    public const int MaxTextLength = 1000;
    public const int MaxGenreLength = 100;
    public const int MaxTagLength = 100;

    /// <summary>Most errors reported for one upload (the rest are summarised).</summary>
    private const int MaxErrors = 20;

    /// <summary>RFC 4180 CSV, comma-separated, line numbers tracked, malformed quoting an error, records up to 64 KiB.</summary>
    private static readonly CsvReaderOptions CsvOptions = CsvReaderOptions.Default with
    {
        Separator = ',',
        TrackLineNumbers = true,
        TrimWhitespace = true,
        MalformedData = CsvMalformedDataHandling.Throw,
        DetectSeparatorHint = false,
        MaxRecordSize = 64 * 1024,
    };

    /// <summary>Parses a <c>document_id,relevance</c> CSV (header line required; quoting per RFC 4180).</summary>
    public static JudgmentParseResult ParseCsv(string csv, int maxJudgments)
    {
        var errors = new ErrorBag();
        var judgments = new List<Judgment>();
        try
        {
            using var reader = CsvReader.FromText(csv, CsvOptions);
            if (ReadHeader(reader, errors) is not { } columns)
            {
                return errors.Result(judgments);
            }

            ReadCsvJudgments(reader, columns, maxJudgments, judgments, errors);
        }
        catch (CsvFormatException ex)
        {
            errors.Add(ex.LineNumber > 0 ? $"csv.line[{ex.LineNumber}]" : "csv", ex.LineNumber > 0 ? $"line {ex.LineNumber}: {ex.Message}" : ex.Message);
        }

        CheckDuplicates(judgments, "csv", errors);
        if (judgments.Count == 0 && errors.Count == 0)
        {
            errors.Add("csv", "the CSV has a header but no judgment lines.");
        }

        return errors.Result(judgments);
    }

    /// <summary>The header's field count and the two columns' positions, or null (and an error) when one is missing.</summary>
    private static (int Fields, int Id, int Relevance)? ReadHeader(CsvReader reader, ErrorBag errors)
    {
        reader.ReadHeader();
        var headers = reader.Headers;
        var idIndex = IndexOf(headers, "document_id");
        var relIndex = IndexOf(headers, "relevance");
        if (idIndex < 0 || relIndex < 0)
        {
            errors.Add("csv.header", $"line 1: the header must be 'document_id,relevance' (got '{string.Join(',', headers)}').");
            return null;
        }

        return (headers.Count, idIndex, relIndex);
    }

    /// <summary>Each line after the header, validated; fields are named <c>csv.line[n]</c>; stops past <paramref name="maxJudgments"/>.</summary>
    private static void ReadCsvJudgments(CsvReader reader, (int Fields, int Id, int Relevance) columns, int maxJudgments, List<Judgment> judgments, ErrorBag errors)
    {
        while (reader.Read())
        {
            var line = reader.LineNumber;
            if (reader.FieldCount != columns.Fields)
            {
                errors.Add($"csv.line[{line}]", $"line {line}: expected {columns.Fields} fields, got {reader.FieldCount}.");
                continue;
            }

            var id = reader.GetString(columns.Id);
            var relText = reader.GetString(columns.Relevance);
            if (ValidateJudgment(id, ParseRelevance(relText), $"csv.line[{line}]", $"line {line}: ", relText, errors) is { } j)
            {
                judgments.Add(j);
            }

            if (judgments.Count > maxJudgments)
            {
                errors.Add("csv", $"more than {maxJudgments} judgments in one set.");
                break;
            }
        }
    }

    /// <summary>Validates the judgments of a JSON body; field names follow the JSON (<c>judgments[3].relevance</c>).</summary>
    public static JudgmentParseResult ParseJson(IReadOnlyList<JudgmentRequest>? items, int maxJudgments)
    {
        var errors = new ErrorBag();
        var judgments = new List<Judgment>();
        if (items is null || items.Count == 0)
        {
            errors.Add("judgments", "at least one judgment is required.");
            return errors.Result(judgments);
        }

        if (items.Count > maxJudgments)
        {
            errors.Add("judgments", $"more than {maxJudgments} judgments in one set.");
            return errors.Result(judgments);
        }

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null)
            {
                errors.Add($"judgments[{i}]", "a judgment must be an object {document_id, relevance}.");
                continue;
            }

            if (ValidateJudgment(item.DocumentId, item.Relevance, $"judgments[{i}]", "", item.Relevance?.ToString(CultureInfo.InvariantCulture), errors) is { } j)
            {
                judgments.Add(j);
            }
        }

        CheckDuplicates(judgments, "judgments", errors);
        return errors.Result(judgments);
    }

    /// <summary>Validates the judged query; <paramref name="prefix"/> names the fields (<c>query.tag</c> or <c>tag</c>).</summary>
    public static JudgedQuery? ParseQuery(string? genre, string? tag, string? text, string prefix, IDictionary<string, string[]> errors)
    {
        genre = string.IsNullOrWhiteSpace(genre) ? null : genre.Trim();
        text = string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        tag = tag?.Trim();
        var before = errors.Count;
        if (string.IsNullOrEmpty(tag))
        {
            errors[prefix + "tag"] = ["the tag whose classification field ranks the results is required (e.g. 'christmas')."];
        }
        else if (tag.Length > MaxTagLength || LabelNaming.ToFieldName(tag).Length == 0)
        {
            errors[prefix + "tag"] = [$"'{Truncate(tag)}' is not a usable tag: it needs letters or digits and at most {MaxTagLength} characters."];
        }

        if (genre is { Length: > MaxGenreLength })
        {
            errors[prefix + "genre"] = [$"at most {MaxGenreLength} characters."];
        }

        if (text is { Length: > MaxTextLength })
        {
            errors[prefix + "text"] = [$"at most {MaxTextLength} characters."];
        }

        return errors.Count == before ? new JudgedQuery(genre, tag!, text) : null;
    }

    private static Judgment? ValidateJudgment(string? id, int? relevance, string field, string where, string? rawRelevance, ErrorBag errors)
    {
        id = id?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            errors.Add(field + ".document_id", $"{where}document_id is empty.");
            return null;
        }

        if (id.Length > MaxDocumentIdLength)
        {
            errors.Add(field + ".document_id", $"{where}document_id is longer than {MaxDocumentIdLength} characters.");
            return null;
        }

        if (relevance is not (>= 0 and <= MaxRelevance))
        {
            errors.Add(field + ".relevance", $"{where}relevance must be an integer from 0 to {MaxRelevance} (got '{Truncate(rawRelevance ?? "")}').");
            return null;
        }

        return new Judgment(id, relevance.Value);
    }

    private static int? ParseRelevance(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static void CheckDuplicates(List<Judgment> judgments, string field, ErrorBag errors)
    {
        foreach (var dup in judgments.GroupBy(j => j.DocumentId, StringComparer.Ordinal).Where(g => g.Count() > 1).Take(5))
        {
            errors.Add(field, $"document_id '{Truncate(dup.Key)}' is judged {dup.Count()} times; judge each document once.");
        }
    }

    private static int IndexOf(IReadOnlyList<string> headers, string name)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Trim().TrimStart('\uFEFF'), name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private sealed class ErrorBag
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
        private int _dropped;

        public int Count => _errors.Count;

        public void Add(string field, string message)
        {
            if (_errors.Values.Sum(v => v.Count) >= MaxErrors)
            {
                _dropped++;
                return;
            }

            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            list.Add(message);
        }

        public JudgmentParseResult Result(List<Judgment> judgments)
        {
            if (_dropped > 0)
            {
                _errors["more"] = [$"{_dropped} more problems not listed."];
            }

            return new JudgmentParseResult(
                _errors.Count == 0 ? judgments : [],
                _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}

/// <summary>Parsed judgments, or the errors (field -> messages) that prevent storing them.</summary>
public sealed record JudgmentParseResult(IReadOnlyList<Judgment> Judgments, IDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
