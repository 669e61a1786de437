using System.Buffers;
using System.Text.Json;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>
/// The meaning of one line of a line format, given the lines before it: JSON lines (one document a
/// line) or Elasticsearch bulk NDJSON (an <c>index</c>/<c>create</c> action line, then its document
/// line; <c>update</c>/<c>delete</c> are rejected, an update's body line skipped). The first record
/// decides between the two. Blank lines are skipped but counted by the caller.
/// </summary>
internal sealed class CatalogLineInterpreter
{
    private static readonly HashSet<string> DocumentActions = new(StringComparer.Ordinal) { "index", "create" };
    private static readonly HashSet<string> OtherActions = new(StringComparer.Ordinal) { "update", "delete" };

    /// <summary>Null until the first record decides between JSON lines and bulk.</summary>
    private bool? _bulk;

    /// <summary>Line of a bulk index/create action waiting for its document.</summary>
    private long? _pendingAction;

    private string? _pendingId;

    /// <summary>The line after an unsupported update action (or a bad action) is its body; skip it.</summary>
    private bool _skipNext;

    /// <summary><see cref="ImportFormat.Unknown"/> until the first record is seen.</summary>
    public ImportFormat Format => _bulk switch
    {
        true => ImportFormat.ElasticsearchBulk,
        false => ImportFormat.JsonLines,
        null => ImportFormat.Unknown,
    };

    /// <summary>The record line <paramref name="number"/> makes, or null (blank, skipped, or a bulk action waiting for its document).</summary>
    public CatalogRecord? Interpret(ReadOnlySequence<byte> line, long number)
    {
        if (IsBlank(line))
        {
            return null;
        }

        if (_skipNext)
        {
            _skipNext = false;
            return null;
        }

        if (!TryParse(line, out var parsed, out var invalid))
        {
            _pendingAction = null;
            _pendingId = null;
            return Rejected(number, $"invalid JSON: {invalid}");
        }

        using (parsed)
        {
            var root = parsed.RootElement;
            _bulk ??= TryGetAction(root, out _, out _);
            if (_bulk == true && _pendingAction is null)
            {
                return Action(root, number);
            }

            return Source(root, number);
        }
    }

    /// <summary>The record the end of input makes: a bulk action left without its document, or null.</summary>
    public CatalogRecord? Complete() =>
        _pendingAction is { } pending ? Rejected(pending, "bulk action has no document line after it") : null;

    /// <summary>A bulk action line: null when it waits for its document line, else why it is rejected.</summary>
    private CatalogRecord.Rejected? Action(JsonElement root, long number)
    {
        if (!TryGetAction(root, out var action, out var meta))
        {
            return Rejected(number, "expected a bulk action line such as {\"index\":{\"_id\":\"...\"}}");
        }

        if (OtherActions.Contains(action))
        {
            _skipNext = action == "update";
            return Rejected(number, $"bulk action '{action}' is not supported by import; only index and create");
        }

        try
        {
            _pendingId = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("_id", out var id)
                ? CatalogJson.ReadId(id, "_id")
                : null;
            _pendingAction = number;
            return null;
        }
        catch (CatalogFormatException ex)
        {
            _skipNext = true;
            return Rejected(number, ex.Message);
        }
    }

    private CatalogRecord Source(JsonElement root, long number)
    {
        var idOverride = _pendingId;
        _pendingAction = null;
        _pendingId = null;
        try
        {
            return new CatalogRecord.Document(CatalogJson.Parse(root, idOverride), number, null);
        }
        catch (CatalogFormatException ex)
        {
            return Rejected(number, ex.Message);
        }
    }

    private static CatalogRecord.Rejected Rejected(long line, string message) => new(new ImportError(line, null, message));

    /// <summary>Exactly one JSON value on the line.</summary>
    private static bool TryParse(ReadOnlySequence<byte> line, out JsonDocument parsed, out string? error)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            parsed = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                parsed.Dispose();
                throw new JsonException("more than one JSON value on the line");
            }

            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            parsed = null!;
            error = ex.Message;
            return false;
        }
    }

    private static bool TryGetAction(JsonElement root, out string action, out JsonElement meta)
    {
        action = "";
        meta = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        using var props = root.EnumerateObject();
        if (!props.MoveNext())
        {
            return false;
        }

        var first = props.Current;
        if (props.MoveNext() || first.Value.ValueKind != JsonValueKind.Object
            || !(DocumentActions.Contains(first.Name) || OtherActions.Contains(first.Name)))
        {
            return false;
        }

        action = first.Name;
        meta = first.Value;
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept((byte)' ', (byte)'\t', (byte)'\r') >= 0)
            {
                return false;
            }
        }

        return true;
    }
}
