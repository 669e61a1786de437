using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Elasticsearch;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Features.Catalog;

/// <summary>Registers the catalog: the index for <c>Search:Engine</c>, import, search, sample loader, readiness.</summary>
public static class CatalogSetup
{
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TrendingSearchOptions>().BindConfiguration(TrendingSearchOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SearchLimitsOptions>().BindConfiguration(SearchLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CatalogImportOptions>().BindConfiguration(CatalogImportOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ElasticsearchOptions>().BindConfiguration(ElasticsearchOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => ElasticsearchClientFactory.TryParseUrls(o.Url, out _), "Search:Elasticsearch:Url must be one or more absolute http(s) URLs, comma-separated.")
            .Validate(o => string.IsNullOrEmpty(o.Username) || Secrets.Read(o.Password, o.PasswordFile) is not null,
                "Search:Elasticsearch:Username is set but no Search:Elasticsearch:Password (or PasswordFile) is configured.")
            .ValidateOnStart();

        services.AddSingleton(sp => new LuceneCatalogIndex(
            sp.GetRequiredService<DataDirectory>().Resolve(sp.GetRequiredService<IOptions<SearchOptions>>().Value.LuceneIndexPath),
            sp.GetRequiredService<ILogger<LuceneCatalogIndex>>(),
            sp.GetRequiredService<IOptions<SearchLimitsOptions>>().Value.ToBudget()));
        services.AddSingleton(sp => new ElasticsearchCatalogIndex(
            ElasticsearchClientFactory.Create(sp.GetRequiredService<IOptions<ElasticsearchOptions>>().Value),
            sp.GetRequiredService<IOptions<ElasticsearchOptions>>().Value,
            sp.GetRequiredService<ILogger<ElasticsearchCatalogIndex>>(),
            sp.GetRequiredService<IOptions<SearchLimitsOptions>>().Value.ToBudget()));
        services.AddSingleton<ICatalogIndex>(sp => sp.GetRequiredService<IOptions<SearchOptions>>().Value.UsesElasticsearch
            ? sp.GetRequiredService<ElasticsearchCatalogIndex>()
            : sp.GetRequiredService<LuceneCatalogIndex>());

        services.AddSingleton<CatalogImporter>();
        services.AddHostedService<ImportStagingCleanup>();
        services.AddSingleton<CatalogSearchService>();

        // sort=trending without a trending store is text relevance only; a registered store (before or after) wins.
        services.TryAddSingleton<ITrendingReader, NoTrendingReader>();
        services.AddSingleton<SampleCatalogLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<SampleCatalogLoader>());
        services.AddHealthChecks().AddCheck<CatalogHealthCheck>("catalog", tags: ["ready"]);
        return builder;
    }
}

/// <summary>Readiness: the catalog index answers a count.</summary>
internal sealed class CatalogHealthCheck(ICatalogIndex index, IOptions<SearchOptions> options, SampleCatalogLoader loader) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var engine = options.Value.Engine;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var count = await index.CountAsync(timeout.Token);
            var data = new Dictionary<string, object> { ["engine"] = engine, ["documents"] = count, ["sampleLoad"] = loader.State };
            return HealthCheckResult.Healthy($"{engine} index reachable, {count} documents", data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{engine} index unreachable: {ex.Message}",
                data: new Dictionary<string, object> { ["engine"] = engine });
        }
    }
}

/// <summary>Loads the bundled sample catalog on start when the index is empty; retries while the engine is unreachable.</summary>
public sealed partial class SampleCatalogLoader(
    ICatalogIndex index,
    CatalogImporter importer,
    IOptions<SearchOptions> options,
    TimeProvider time,
    ILogger<SampleCatalogLoader> logger) : BackgroundService
{
    private readonly TaskCompletionSource<ImportReport?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the index is ready: with the import report, or null when nothing was loaded.</summary>
    public Task<ImportReport?> Completion => _done.Task;

    /// <summary>pending, loaded, skipped or retrying.</summary>
    public string State { get; private set; } = "pending";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await index.EnsureCreatedAsync(stoppingToken);
                var o = options.Value;
                var count = await index.CountAsync(stoppingToken);
                var path = Path.Combine(AppContext.BaseDirectory, o.SampleCatalogPath);
                if (!o.LoadSampleCatalog || count > 0 || !File.Exists(path))
                {
                    Log.NotLoaded(logger, count, o.LoadSampleCatalog, path);
                    State = "skipped";
                    _done.TrySetResult(null);
                    return;
                }

                var report = await importer.ImportFileAsync(path, strict: false, stoppingToken);
                Log.Loaded(logger, report.Indexed, path);
                State = "loaded";
                _done.TrySetResult(report);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                State = "retrying";
                Log.Failed(logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _done.TrySetCanceled(stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Sample catalog loaded: {Documents} documents from {Path}")]
        public static partial void Loaded(ILogger logger, long documents, string path);

        [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Sample catalog not loaded: index has {Documents} documents, LoadSampleCatalog={Enabled}, file {Path}")]
        public static partial void NotLoaded(ILogger logger, long documents, bool enabled, string path);

        [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Sample catalog load failed; retrying in 5 s")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
