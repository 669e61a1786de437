using System.Text.Json;
using Elasticsearch.Net;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Catalog;
using Nest;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// Builds the NEST client: the API-compatibility header (so NEST 7.17 talks to 7.17 and 8.x), basic
/// auth, API key or CA fingerprint from configuration (secrets from env or mounted files), and a
/// System.Text.Json source serializer so documents go over the wire exactly as <see cref="CatalogJson"/> writes them.
/// </summary>
public static class ElasticsearchClientFactory
{
    public static IElasticClient Create(ElasticsearchOptions options, IConnection? connection = null) =>
        new ElasticClient(CreateSettings(options, connection));

    public static ConnectionSettings CreateSettings(ElasticsearchOptions options, IConnection? connection = null)
    {
        if (!TryParseUrls(options.Url, out var urls))
        {
            throw new InvalidOperationException("Search:Elasticsearch:Url must be one or more absolute http(s) URLs, comma-separated.");
        }

        IConnectionPool pool = urls.Count == 1 ? new SingleNodeConnectionPool(urls[0]) : new StaticConnectionPool(urls);
        var settings = new ConnectionSettings(pool, connection ?? new HttpConnection(), (_, _) => new SystemTextJsonSourceSerializer())
            .DefaultIndex(options.Index)
            .EnableApiVersioningHeader()
            .RequestTimeout(TimeSpan.FromSeconds(options.RequestTimeoutSeconds))
            .ThrowExceptions(false);

        var apiKey = Secrets.Read(options.ApiKey, options.ApiKeyFile);
        var password = Secrets.Read(options.Password, options.PasswordFile);
        if (apiKey is not null)
        {
            settings.ApiKeyAuthentication(new ApiKeyAuthenticationCredentials(apiKey));
        }
        else if (!string.IsNullOrEmpty(options.Username) && password is not null)
        {
            settings.BasicAuthentication(options.Username, password);
        }

        if (!string.IsNullOrWhiteSpace(options.CertificateFingerprint))
        {
            settings.CertificateFingerprint(options.CertificateFingerprint.Trim());
        }

        return settings;
    }

    public static bool TryParseUrls(string? value, out List<Uri> urls)
    {
        urls = [];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                return false;
            }

            urls.Add(uri);
        }

        return urls.Count > 0;
    }
}

/// <summary>Document bodies (<c>_source</c>, partial docs) through System.Text.Json, compact, one line each.</summary>
internal sealed class SystemTextJsonSourceSerializer : IElasticsearchSerializer
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public object Deserialize(Type type, Stream stream) => JsonSerializer.Deserialize(stream, type, Options)!;

    public T Deserialize<T>(Stream stream) => JsonSerializer.Deserialize<T>(stream, Options)!;

    public async Task<object> DeserializeAsync(Type type, Stream stream, CancellationToken cancellationToken = default) =>
        (await JsonSerializer.DeserializeAsync(stream, type, Options, cancellationToken))!;

    public async Task<T> DeserializeAsync<T>(Stream stream, CancellationToken cancellationToken = default) =>
        (await JsonSerializer.DeserializeAsync<T>(stream, Options, cancellationToken))!;

    public void Serialize<T>(T data, Stream stream, SerializationFormatting formatting = SerializationFormatting.None)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = formatting == SerializationFormatting.Indented });
        JsonSerializer.Serialize(writer, data, data?.GetType() ?? typeof(T), Options);
    }

    public async Task SerializeAsync<T>(T data, Stream stream, SerializationFormatting formatting = SerializationFormatting.None, CancellationToken cancellationToken = default)
    {
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = formatting == SerializationFormatting.Indented });
        JsonSerializer.Serialize(writer, data, data?.GetType() ?? typeof(T), Options);
        await writer.FlushAsync(cancellationToken);
    }
}
