using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLOps.Web.Shared.Catalog;

/// <summary>A document that cannot be read: the message says which field and why.</summary>
public sealed class CatalogFormatException(string message) : Exception(message);

/// <summary>
/// The JSON form of a <see cref="CatalogDocument"/>, shared by import, the Lucene stored source and
/// the Elasticsearch <c>_source</c>: <c>id</c>, <c>title</c>, <c>overview</c>, <c>tagline</c>,
/// <c>genres</c> (strings), <c>release_date</c>, every <c>classification_*</c> score,
/// <c>classification_model</c>, <c>classified_at</c>, and any other field as it came.
/// </summary>
public static class CatalogJson
{
    public const string Id = "id";
    public const string Title = "title";
    public const string Overview = "overview";
    public const string Tagline = "tagline";
    public const string Genres = "genres";
    public const string ReleaseDate = "release_date";
    public const string ClassificationModel = "classification_model";
    public const string ClassifiedAt = "classified_at";

    /// <summary>The parts of each classification score: stored with the document, not indexed (Elasticsearch: <c>enabled: false</c>).</summary>
    public const string ClassifiedParts = "classified_parts";

    /// <summary>Longest id accepted (Elasticsearch's <c>_id</c> limit is 512 bytes).</summary>
    public const int MaxIdLength = 512;

    /// <summary>True for a field that holds a classification score (not the model or timestamp fields).</summary>
    public static bool IsScoreField(string name) =>
        LabelNaming.IsFieldName(name) && !string.Equals(name, ClassificationModel, StringComparison.Ordinal);

    /// <summary>Reads a document; <paramref name="idOverride"/> (a bulk action's <c>_id</c>) wins over the body's id.</summary>
    /// <exception cref="CatalogFormatException">The document is not usable.</exception>
    public static CatalogDocument Parse(JsonElement root, string? idOverride = null)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CatalogFormatException($"expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
        }

        var doc = new CatalogDocument { Id = ReadDocumentId(root, idOverride) };
        var name = "a field name";
        try
        {
            foreach (var p in root.EnumerateObject())
            {
                name = p.Name;
                ReadProperty(doc, p);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // System.Text.Json reads text lazily: invalid UTF-8 or a lone surrogate (\ud800) surfaces here.
            throw new CatalogFormatException($"{CatalogJsonFields.Shorten(name)} is not valid text: {e.Message}");
        }

        if (doc.Title.Length == 0)
        {
            throw new CatalogFormatException("title is missing or empty");
        }

        return doc;
    }

    /// <summary>The bulk action's id, else the body's <c>id</c>; present and at most <see cref="MaxIdLength"/> characters.</summary>
    private static string ReadDocumentId(JsonElement root, string? idOverride)
    {
        var id = idOverride;
        if (id is null && root.TryGetProperty(Id, out var idElement))
        {
            id = ReadId(idElement, Id);
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            throw new CatalogFormatException("id is missing");
        }

        return id.Length <= MaxIdLength ? id : throw new CatalogFormatException($"id is longer than {MaxIdLength} characters");
    }

    /// <summary>One property into its field: a known field, a classification score, or an extra field kept as it came.</summary>
    private static void ReadProperty(CatalogDocument doc, JsonProperty p)
    {
        switch (p.Name)
        {
            case Id:
                break;
            case Title:
                doc.Title = CatalogJsonFields.ReadString(p.Value, Title) ?? "";
                break;
            case Overview:
                doc.Overview = CatalogJsonFields.ReadString(p.Value, Overview);
                break;
            case Tagline:
                doc.Tagline = CatalogJsonFields.ReadString(p.Value, Tagline);
                break;
            case ReleaseDate:
                doc.ReleaseDate = CatalogJsonFields.ReadString(p.Value, ReleaseDate);
                break;
            case Genres:
                doc.Genres = CatalogJsonFields.ReadGenres(p.Value);
                break;
            case ClassificationModel:
                doc.ClassificationModel = CatalogJsonFields.ReadString(p.Value, ClassificationModel);
                break;
            case ClassifiedAt:
                doc.ClassifiedAt = CatalogJsonFields.ReadTimestamp(p.Value);
                break;
            case ClassifiedParts:
                ScorePartsJson.Read(doc.ClassificationParts, p.Value);
                break;
            case var name when IsScoreField(name):
                CatalogJsonFields.ReadScore(doc, p);
                break;
            default:
                CatalogJsonFields.CheckText(p.Value);
                doc.Extra[p.Name] = p.Value.Clone();
                break;
        }
    }

    /// <summary>Reads a document from UTF-8 JSON text.</summary>
    public static CatalogDocument Parse(string json)
    {
        using var parsed = JsonDocument.Parse(json);
        return Parse(parsed.RootElement);
    }

    /// <summary>An id given as a string or a number (TMDB ids are numbers).</summary>
    public static string ReadId(JsonElement element, string field)
    {
        try
        {
            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString()!,
                JsonValueKind.Number => element.GetRawText(),
                _ => throw new CatalogFormatException($"{field} must be a string or a number"),
            };
        }
        catch (InvalidOperationException e)
        {
            throw new CatalogFormatException($"{field} is not valid text: {e.Message}");
        }
    }

    /// <summary>Writes the document's JSON form. <paramref name="writeNulls"/> writes absent optional fields as null.</summary>
    public static void Write(Utf8JsonWriter writer, CatalogDocument doc, bool writeNulls = false)
    {
        writer.WriteStartObject();
        writer.WriteString(Id, doc.Id);
        writer.WriteString(Title, doc.Title);
        WriteOptional(writer, Overview, doc.Overview, writeNulls);
        WriteOptional(writer, Tagline, doc.Tagline, writeNulls);
        writer.WriteStartArray(Genres);
        foreach (var g in doc.Genres)
        {
            writer.WriteStringValue(g);
        }

        writer.WriteEndArray();
        WriteOptional(writer, ReleaseDate, doc.ReleaseDate, writeNulls);
        foreach (var (name, value) in doc.Extra)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }

        foreach (var (name, score) in doc.Classifications.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            writer.WriteNumber(name, score);
        }

        WriteOptional(writer, ClassificationModel, doc.ClassificationModel, writeNulls: false);
        if (doc.ClassifiedAt is { } at)
        {
            writer.WriteString(ClassifiedAt, FormatTimestamp(at));
        }

        ScorePartsJson.Write(writer, doc.ClassificationParts);
        writer.WriteEndObject();
    }

    /// <summary>The document's JSON text.</summary>
    public static string Serialize(CatalogDocument doc, bool writeNulls = false)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, doc, writeNulls);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The document as a mutable JSON object (what the Elasticsearch adapter sends).</summary>
    public static JsonObject ToJsonObject(CatalogDocument doc, bool writeNulls = false) =>
        JsonNode.Parse(Serialize(doc, writeNulls))!.AsObject();

    /// <summary>UTC, millisecond precision, ISO 8601: readable by Elasticsearch's default date format.</summary>
    public static string FormatTimestamp(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A copy of <paramref name="incoming"/> that keeps the classification fields already stored in
    /// <paramref name="existing"/>; scores the incoming document carries win.
    /// </summary>
    public static CatalogDocument MergeKeepingClassifications(CatalogDocument? existing, CatalogDocument incoming)
    {
        if (existing is null || (existing.Classifications.Count == 0 && existing.ClassificationModel is null && existing.ClassifiedAt is null))
        {
            return incoming;
        }

        var merged = new Dictionary<string, float>(existing.Classifications, StringComparer.Ordinal);
        foreach (var (k, v) in incoming.Classifications)
        {
            merged[k] = v;
        }

        var parts = new Dictionary<string, IReadOnlyDictionary<string, float>>(existing.ClassificationParts, StringComparer.Ordinal);
        foreach (var (k, v) in incoming.ClassificationParts)
        {
            parts[k] = v;
        }

        return new CatalogDocument
        {
            Id = incoming.Id,
            Title = incoming.Title,
            Overview = incoming.Overview,
            Tagline = incoming.Tagline,
            Genres = incoming.Genres,
            ReleaseDate = incoming.ReleaseDate,
            Extra = incoming.Extra,
            Classifications = merged,
            ClassificationParts = parts,
            ClassificationModel = incoming.ClassificationModel ?? existing.ClassificationModel,
            ClassifiedAt = incoming.ClassifiedAt ?? existing.ClassifiedAt,
        };
    }

    /// <summary>Applies a classification update in place: sets scores, removes fields, records model and time.</summary>
    public static void Apply(CatalogDocument doc, ClassificationUpdate update)
    {
        if (update.RemoveFields is { } remove)
        {
            foreach (var field in remove)
            {
                doc.Classifications.Remove(field);
                doc.ClassificationParts.Remove(field);
            }
        }

        foreach (var (field, score) in update.Scores)
        {
            doc.Classifications[field] = score;
            if (update.Parts?.GetValueOrDefault(field) is { } parts)
            {
                doc.ClassificationParts[field] = parts;
            }
            else
            {
                doc.ClassificationParts.Remove(field);
            }
        }

        doc.ClassificationModel = update.ModelId;
        doc.ClassifiedAt = update.ClassifiedAt;
    }

    /// <summary>Throws when an update names a field that is not a classification score field.</summary>
    public static void Validate(ClassificationUpdate update)
    {
        foreach (var field in update.Scores.Keys.Concat(update.RemoveFields ?? []))
        {
            if (!IsScoreField(field))
            {
                throw new ArgumentException($"'{field}' is not a classification field (classification_[a-z0-9_]+).", nameof(update));
            }
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value, bool writeNulls)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
        else if (writeNulls)
        {
            writer.WriteNull(name);
        }
    }
}
