using System.Text;
using System.Text.Json;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Features.Evaluation;

/// <summary>What <see cref="JudgmentUploadReader"/> made of a <c>PUT /api/judgments/{set}</c> body.</summary>
public abstract record JudgmentUpload
{
    private JudgmentUpload()
    {
    }

    /// <summary>A valid query and its judgments, ready to store.</summary>
    public sealed record Valid(JudgedQuery Query, IReadOnlyList<Judgment> Judgments) : JudgmentUpload;

    /// <summary>The body could not be read as an upload (too large, empty, malformed JSON); <see cref="Field"/> names where.</summary>
    public sealed record Unreadable(string Field, string Message) : JudgmentUpload;

    /// <summary>The body was read but the set is invalid: messages by field (<c>tag</c>, <c>query.tag</c>, <c>csv.line[3].relevance</c>, ...).</summary>
    public sealed record Invalid(IDictionary<string, string[]> Errors) : JudgmentUpload;
}

/// <summary>
/// Reads a judgment upload: the body up to <see cref="MaxUploadBytes"/>, CSV or JSON (by content type,
/// else by a leading <c>{</c>), the judged query from the JSON body's <c>query</c> when there is one,
/// else from the query string (<c>genre</c>, <c>tag</c>, <c>q</c>), every problem by field.
/// </summary>
public static class JudgmentUploadReader
{
    /// <summary>Largest judgment upload read (CSV or JSON).</summary>
    public const int MaxUploadBytes = 8 * 1024 * 1024;

    /// <summary>Reads the request body and validates it (<see cref="Parse"/>).</summary>
    public static async Task<JudgmentUpload> ReadAsync(
        HttpRequest request, JudgedQueryRequest queryString, int maxJudgments, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(request.Body, request.ContentLength, cancellationToken);
        return body is null
            ? new JudgmentUpload.Unreadable("body", $"The body is larger than {MaxUploadBytes / (1024 * 1024)} MiB.")
            : Parse(body, request.ContentType, queryString, maxJudgments, json);
    }

    /// <summary>Validates an upload's text; <paramref name="queryString"/> is the query when the body carries none (always for CSV).</summary>
    public static JudgmentUpload Parse(string body, string? contentType, JudgedQueryRequest queryString, int maxJudgments, JsonSerializerOptions json)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new JudgmentUpload.Unreadable("body", "The body is empty: send a CSV (document_id,relevance) or JSON {query, judgments}.");
        }

        if (!IsJson(contentType, body))
        {
            return Validate(queryString, "", JudgmentParser.ParseCsv(body, maxJudgments));
        }

        JudgmentSetRequest? payload;
        try
        {
            payload = JsonSerializer.Deserialize<JudgmentSetRequest>(body, json);
        }
        catch (JsonException ex)
        {
            return new JudgmentUpload.Unreadable(string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.'),
                $"Malformed JSON at line {(ex.LineNumber ?? 0) + 1}: {ex.Message}");
        }

        return FromJson(payload, queryString, maxJudgments);
    }

    /// <summary>A JSON body's set; its <c>query</c> (fields named <c>query.*</c>) wins over <paramref name="fallbackQuery"/> (fields named plainly).</summary>
    public static JudgmentUpload FromJson(JudgmentSetRequest? payload, JudgedQueryRequest? fallbackQuery, int maxJudgments)
    {
        var parsed = JudgmentParser.ParseJson(payload?.Judgments, maxJudgments);
        return payload?.Query is not null || fallbackQuery is null
            ? Validate(payload?.Query, "query.", parsed)
            : Validate(fallbackQuery, "", parsed);
    }

    private static JudgmentUpload Validate(JudgedQueryRequest? query, string prefix, JudgmentParseResult parsed)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var judged = JudgmentParser.ParseQuery(query?.Genre, query?.Tag, query?.Text, prefix, errors);
        foreach (var (field, messages) in parsed.Errors)
        {
            errors[field] = messages;
        }

        return errors.Count > 0 || judged is null
            ? new JudgmentUpload.Invalid(errors)
            : new JudgmentUpload.Valid(judged, parsed.Judgments);
    }

    private static bool IsJson(string? contentType, string body)
    {
        var type = contentType ?? "";
        if (type.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (type.Contains("csv", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return body.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal);
    }

    /// <summary>The body as UTF-8 text, or null when it (or its declared length) exceeds <see cref="MaxUploadBytes"/>.</summary>
    internal static async Task<string?> ReadBodyAsync(Stream body, long? contentLength, CancellationToken cancellationToken)
    {
        if (contentLength > MaxUploadBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxUploadBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
