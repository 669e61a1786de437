using System.Globalization;
using System.Text.Json;

namespace MLOps.Web.Shared.Catalog;

/// <summary>How <see cref="CatalogJson"/> reads one field's value: strings, timestamps, genres, scores, kept values.</summary>
internal static class CatalogJsonFields
{
    /// <summary>
    /// A score is a finite number a float holds (<c>1e39</c>, <c>3.5e38</c> and <c>1e309</c> are not: they
    /// would be infinities that no JSON writer can store); null is how Elasticsearch partial updates
    /// remove one (absent and null read the same).
    /// </summary>
    public static void ReadScore(CatalogDocument doc, JsonProperty p)
    {
        if (p.Value.ValueKind == JsonValueKind.Number)
        {
            if (!p.Value.TryGetDouble(out var value) || !double.IsFinite(value) || !float.IsFinite((float)value))
            {
                throw new CatalogFormatException($"{p.Name} is {Shorten(p.Value.GetRawText())}, outside the range of a score (a finite float)");
            }

            doc.Classifications[p.Name] = (float)value;
        }
        else if (p.Value.ValueKind != JsonValueKind.Null)
        {
            throw new CatalogFormatException($"{p.Name} must be a number");
        }
    }

    /// <summary>Reads every string of a kept value once, so text that cannot be decoded is refused now, not when the stored document is read back.</summary>
    public static void CheckText(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                _ = value.GetString();
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    CheckText(item);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    _ = property.Name;
                    CheckText(property.Value);
                }

                break;
        }
    }

    public static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public static string? ReadString(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null => null,
        _ => throw new CatalogFormatException($"{field} must be a string"),
    };

    public static DateTimeOffset? ReadTimestamp(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        throw new CatalogFormatException($"{CatalogJson.ClassifiedAt} must be an ISO 8601 timestamp");
    }

    public static string[] ReadGenres(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return [element.GetString()!];
            case JsonValueKind.Array:
                var genres = new List<string>(element.GetArrayLength());
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    var name = item.ValueKind switch
                    {
                        JsonValueKind.String => item.GetString(),
                        JsonValueKind.Object when item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String => n.GetString(),
                        _ => throw new CatalogFormatException($"genres[{i}] must be a string or an object with a string \"name\""),
                    };
                    if (!string.IsNullOrWhiteSpace(name))
                    {
                        genres.Add(name.Trim());
                    }

                    i++;
                }

                return [.. genres];
            default:
                throw new CatalogFormatException("genres must be an array of strings or of {\"name\": ...} objects");
        }
    }
}
