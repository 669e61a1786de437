using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Catalog;

/// <summary>An in-test fake of the Trending feature's reader (that feature is built elsewhere).</summary>
public sealed class FakeTrendingReader : ITrendingReader
{
    public IReadOnlyList<TrendingTag> Tags { get; set; } = [];

    /// <summary>When set, reading fails as an unreachable store would.</summary>
    public bool Unreachable { get; set; }

    public Task<TrendingSnapshot> GetTopAsync(int top, CancellationToken cancellationToken) => Unreachable
        ? Task.FromException<TrendingSnapshot>(new TimeoutException("trending store unreachable"))
        : Task.FromResult(new TrendingSnapshot([.. Tags.Take(top)], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(5), "fake"));
}

/// <summary>The app on Lucene in a temp data folder, the sample catalog loaded, a fake trending reader.</summary>
public sealed class CatalogAppFactory : MLOpsFactory
{
    public CatalogAppFactory()
        : base(new Dictionary<string, string?> { ["Search:Trending:TextWeight"] = "0.5", ["Search:Trending:TagWeight"] = "0.5" })
    {
    }

    public FakeTrendingReader Trending { get; } = new();

    public ICatalogIndex Index => Services.GetRequiredService<ICatalogIndex>();

    /// <summary>Waits until the sample catalog is in the index.</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = CreateClient();
        await Services.GetRequiredService<SampleCatalogLoader>().Completion.WaitAsync(TimeSpan.FromSeconds(60));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<ITrendingReader>(Trending));
    }

    /// <summary>
    /// Hangfire keeps a process-wide log provider bound to the last started app's LoggerFactory; once
    /// this app is disposed that factory is too, and any later Hangfire object (in another test)
    /// would fail. Unbind it so Hangfire falls back to its own default.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
    }
}
