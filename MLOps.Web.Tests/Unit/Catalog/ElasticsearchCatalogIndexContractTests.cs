using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Elasticsearch;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>
/// The contract suite for the NEST adapter through InMemoryConnection: each case replays a recorded
/// conversation and fails on any request that differs from the recording (method, path, query, body).
/// </summary>
public sealed class ElasticsearchCatalogIndexContractTests : CatalogIndexContractTests, IDisposable
{
    private RecordedElasticsearchConnection? _connection;
    private string _testCase = "";

    internal static ElasticsearchOptions Options() => new() { Url = "http://es.test:9200", Index = "tmdb", Refresh = "wait_for" };

    protected override Task<ICatalogIndex> CreateIndexAsync(string testCase)
    {
        var record = Environment.GetEnvironmentVariable("ES_RECORD_FIXTURES") == "1";
        _testCase = testCase;
        _connection = new RecordedElasticsearchConnection(RecordedElasticsearchConnection.LoadFixture(testCase), record);
        var client = ElasticsearchClientFactory.Create(Options(), _connection);
        return Task.FromResult<ICatalogIndex>(new ElasticsearchCatalogIndex(client, Options(), NullLogger<ElasticsearchCatalogIndex>.Instance));
    }

    protected override void Verify()
    {
        Assert.NotNull(_connection);
        if (Environment.GetEnvironmentVariable("ES_RECORD_DIR") is { Length: > 0 } dir)
        {
            // Re-recording: write what NEST sent, with the recorded responses, for review.
            File.WriteAllText(Path.Combine(dir, _testCase + ".json"), _connection.DumpSent());
        }

        Assert.True(_connection.Mismatches.Count == 0, string.Join("\n", _connection.Mismatches));
        Assert.Equal(0, _connection.Remaining);
        Assert.All(_connection.Sent, s => Assert.Equal("application/vnd.elasticsearch+json; compatible-with=7", s.Accept));
        Assert.All(_connection.Sent, s => Assert.DoesNotContain("\"script\"", s.Body ?? "", StringComparison.Ordinal));
        // NEST 7.17 in compatibility mode labels every body, _bulk included, with the JSON compatibility type.
        Assert.All(_connection.Sent.Where(s => s.Body is not null),
            s => Assert.Equal("application/vnd.elasticsearch+json; compatible-with=7", s.ContentType));
    }

    public void Dispose() => ((IDisposable?)_connection)?.Dispose();
}

/// <summary>The contract suite against a real cluster; skipped, saying why, unless ES_URL is set.</summary>
public sealed class LiveElasticsearchCatalogIndexContractTests : CatalogIndexContractTests, IAsyncLifetime
{
    private readonly List<(ElasticsearchCatalogIndex Index, Nest.IElasticClient Client)> _created = [];

    protected override Task<ICatalogIndex> CreateIndexAsync(string testCase)
    {
        var url = Environment.GetEnvironmentVariable("ES_URL");
        Skip.If(string.IsNullOrWhiteSpace(url), "ES_URL is not set: the live Elasticsearch run of the contract suite needs a cluster (e.g. ES_URL=http://localhost:9200; ES_USERNAME/ES_PASSWORD, ES_API_KEY, ES_CA_FINGERPRINT optional).");
        var options = new ElasticsearchOptions
        {
            Url = url!,
            Index = $"mlops-test-{testCase.Replace('_', '-')}-{Guid.NewGuid():N}",
            Username = Environment.GetEnvironmentVariable("ES_USERNAME"),
            Password = Environment.GetEnvironmentVariable("ES_PASSWORD"),
            ApiKey = Environment.GetEnvironmentVariable("ES_API_KEY"),
            CertificateFingerprint = Environment.GetEnvironmentVariable("ES_CA_FINGERPRINT"),
        };
        var client = ElasticsearchClientFactory.Create(options);
        var index = new ElasticsearchCatalogIndex(client, options, NullLogger<ElasticsearchCatalogIndex>.Instance);
        _created.Add((index, client));
        return Task.FromResult<ICatalogIndex>(index);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (index, client) in _created)
        {
            await client.Indices.DeleteAsync(index.IndexName);
        }
    }
}
