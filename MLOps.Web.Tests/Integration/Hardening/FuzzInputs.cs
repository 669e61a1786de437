using System.Text;
using System.Text.Json;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>One documented operation of the Swagger document.</summary>
public sealed record FuzzOperation(string Method, string Path, IReadOnlyList<(string Name, string In)> Parameters, IReadOnlyList<string> ContentTypes, string? Example)
{
    public override string ToString() => $"{Method} {Path}";

    /// <summary>Every operation of an OpenAPI 3 document, with its parameters, body media types and first JSON example.</summary>
    public static List<FuzzOperation> FromSwagger(JsonElement document)
    {
        var operations = new List<FuzzOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                var parameters = op.Value.TryGetProperty("parameters", out var ps)
                    ? ps.EnumerateArray().Select(p => (p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!)).ToList()
                    : [];
                var types = new List<string>();
                string? example = null;
                if (op.Value.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content))
                {
                    foreach (var media in content.EnumerateObject())
                    {
                        types.Add(media.Name);
                        if (example is null && media.Name.Contains("json", StringComparison.Ordinal) && media.Value.TryGetProperty("example", out var ex))
                        {
                            example = ex.GetRawText();
                        }
                    }
                }

                operations.Add(new FuzzOperation(op.Name.ToUpperInvariant(), path.Name, parameters, types, example));
            }
        }

        return operations;
    }
}

/// <summary>
/// A seeded generator of hostile and clumsy inputs: values for path and query parameters, bodies
/// (malformed JSON, wrong types, deep nesting, invalid UTF-8, lone surrogates, huge strings,
/// mutated examples, multipart oddities) and content types (charsets, missing boundaries, garbage).
/// The same seed gives the same requests, so a failure can be replayed.
/// </summary>
public sealed class FuzzInputs(int seed)
{
    private static readonly string[] PathValues =
    [
        "", "x", "all-MiniLM-L6-v2@1", "snowflake-arctic-embed-xs@1", "zero-shot-classifier", "all-MiniLM-L6-v2", "family-christmas",
        "..", "%2e%2e", "a@b@c", "@", "name@", "-1", "99999999999999999999", "ñ😀", "<script>", new string('a', 3000), " ", "%00", "con",
    ];

    private static readonly string[] QueryValues =
    [
        "", "0", "-1", "1", "10", "1000", "1001", "2147483648", "-2147483649", "abc", "true", "1e309", "NaN", "christ*", "snow~2",
        "/[ab]*a[ab]{14}/", "/[/", "/a{99999}/", "(", "a*b*c*d*e*f*g*h*i*j*", "*mas", "title:(", "\"unclosed", "classification_christmas",
        "classification_", "trending", "relevance", "index", "in_memory", "Family", "ñ", "%00", new string('a', 5000),
        string.Concat(Enumerable.Repeat("(a*)", 300)), "AND", "OR NOT", "[a TO z]", "christmas^1000000",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=bogus", "application/json; charset=utf-16",
        "application/json; charset=\"\"", "text/plain", "text/csv", "application/x-ndjson", "multipart/form-data", "multipart/form-data; boundary=zz",
        "application/x-www-form-urlencoded", "???", "application/", "application/json;;;", "",
    ];

    private readonly Random _random = new(seed);

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    public bool Chance(double p) => _random.NextDouble() < p;

    public string PathValue(bool allowValidModelIds) =>
        Pick(PathValues) is var v && (allowValidModelIds || !v.Contains('@', StringComparison.Ordinal) || v.Length < 8) ? v : "x";

    public string QueryValue() => Pick(QueryValues);

    public string ContentType(IReadOnlyList<string> documented) =>
        documented.Count > 0 && Chance(0.4) ? documented[_random.Next(documented.Count)] : Pick(ContentTypes);

    /// <summary>A body: the example (sometimes mangled), or one of the hostile shapes.</summary>
    public byte[] Body(string? example)
    {
        if (example is not null && Chance(0.35))
        {
            return Chance(0.3) ? Encoding.UTF8.GetBytes(example) : Mutate(example);
        }

        return _random.Next(16) switch
        {
            0 => [],
            1 => "{"u8.ToArray(),
            2 => "null"u8.ToArray(),
            3 => "[]"u8.ToArray(),
            4 => "{}"u8.ToArray(),
            5 => Encoding.UTF8.GetBytes(new string('[', 5000)),
            6 => Bytes(_random.Next(1, 512)),
            7 => "{\"sequence\":\"\\ud800\",\"labels\":[\"\\udfff\"],\"path\":\"\\ud800\",\"set\":\"\\ud800\"}"u8.ToArray(),
            8 => Encoding.UTF8.GetBytes("{\"sequence\":\"" + new string('x', 200_000) + "\",\"labels\":[\"a\"]}"),
            9 => "{\"k\":1e309,\"size\":-1,\"labels\":7,\"instances\":{},\"sequences\":[null,1],\"judgments\":[{\"relevance\":1e39}]}"u8.ToArray(),
            10 => "document_id,relevance\n1,5\n,\n\"unterminated\n"u8.ToArray(),
            11 => "--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.zip\"\r\n\r\nPK\u0003\u0004"u8.ToArray(),
            12 => "--zz\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--zz--\r\n"u8.ToArray(),
            13 => "{\"id\":\"f1\",\"title\":\"t\",\"classification_x\":3.5e38}\n{\"index\":{\"_id\":\"f2\"}}\n{\"title\":\"\\ud800\"}\n"u8.ToArray(),
            14 => "[{\"text\":\"#a\"},{\"text\":null,\"hashtags\":[1,2]},{}]"u8.ToArray(),
            _ => "\"just a string\""u8.ToArray(),
        };
    }

    private byte[] Mutate(string example)
    {
        var bytes = Encoding.UTF8.GetBytes(example);
        switch (_random.Next(4))
        {
            case 0:
                return bytes[.._random.Next(bytes.Length)];
            case 1:
                bytes[_random.Next(bytes.Length)] = (byte)_random.Next(256);
                return bytes;
            case 2:
                return Encoding.UTF8.GetBytes(example.Replace("\"", "", StringComparison.Ordinal));
            default:
                return Encoding.UTF8.GetBytes(example.Replace(":", ": 1e309, \"x\":", StringComparison.Ordinal));
        }
    }

    private byte[] Bytes(int length)
    {
        var data = new byte[length];
        _random.NextBytes(data);
        return data;
    }
}
