using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Features.Catalog;

/// <summary>Catalog size and engine.</summary>
public sealed record CatalogSummary(string Engine, long Documents);

/// <summary><c>/api/search</c> and <c>/api/catalog</c>.</summary>
public static class CatalogEndpoints
{
    // A JSON array example (Swagger shows JSON examples); the same documents as bulk NDJSON or JSON lines work too.
    private const string ImportExample =
        """
        [{"id":"sample-1","title":"The Lantern Below the Snow","overview":"Two siblings follow a lost reindeer to Santa's workshop on Christmas Eve.","genres":[{"name":"Family"}],"release_date":"2019-11-29"}]
        """;

    public static WebApplication MapCatalogEndpoints(this WebApplication app)
    {
        var search = app.MapGroup("/api/search").WithTags("Search");
        search.MapGet("", SearchAsync)
            .WithName("Search")
            .RequireRateLimit(RateLimits.Search)
            .WithSummary("Searches the catalog: q (Lucene syntax), genre filter, sort=relevance|classification_<tag>|trending, from, size (max 1000), explain.")
            .ProducesValidationProblem();

        var catalog = app.MapGroup("/api/catalog").WithTags("Catalog");
        catalog.MapGet("", SummaryAsync)
            .WithName("CatalogSummary")
            .WithSummary("The search engine in use and the number of documents.");
        catalog.MapGet("/documents/{id}", GetDocumentAsync)
            .WithName("GetCatalogDocument")
            .WithSummary("One document in its JSON form, classification fields included.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        catalog.MapPost("/import", ImportAsync)
            .WithName("ImportCatalog")
            .RequireOperator()
            .RequireRateLimit(RateLimits.Import)
            .WithSummary("Imports documents from the request body: Elasticsearch bulk NDJSON, JSON lines or a JSON array (detected). Bad records are reported by line and skipped; strict=true rejects the whole import and writes nothing.")
            .Accepts<string>("application/json", "application/x-ndjson", "text/plain")
            .WithRequestExample(ImportExample);
        return app;
    }

    private static async Task<Ok<SearchResponse>> SearchAsync(
        CatalogSearchService service,
        CancellationToken ct,
        [FromQuery] string? q = null,
        [FromQuery] string? genre = null,
        [FromQuery] string? sort = null,
        [FromQuery] int? from = null,
        [FromQuery] int? size = null,
        [FromQuery] bool explain = false) =>
        TypedResults.Ok(await service.SearchAsync(q, genre, sort, from, size, explain, ct));

    private static async Task<Ok<CatalogSummary>> SummaryAsync(ICatalogIndex index, IOptions<SearchOptions> options, CancellationToken ct) =>
        TypedResults.Ok(new CatalogSummary(options.Value.Engine, await index.CountAsync(ct)));

    private static async Task<Ok<JsonObject>> GetDocumentAsync(string id, ICatalogIndex index, CancellationToken ct)
    {
        var doc = await index.GetAsync(id, ct) ?? throw ProblemException.NotFound($"No catalog document has id '{id}'.");
        return TypedResults.Ok(CatalogJson.ToJsonObject(doc));
    }

    private static async Task<Results<Ok<ImportReport>, ValidationProblem>> ImportAsync(
        HttpContext http,
        CatalogImporter importer,
        DataDirectory data,
        IOptions<CatalogImportOptions> options,
        CancellationToken ct,
        [FromQuery] bool strict = false)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxRequestBodyBytes;
        }

        ImportReport report;
        if (strict)
        {
            // Strict needs two passes (validate, then write); the body can be read once, so stage it on disk.
            var staging = ImportStaging.NewPath(data);
            try
            {
                await using (var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    await http.Request.Body.CopyToAsync(file, ct);
                }

                report = await importer.ImportFileAsync(staging, strict: true, ct);
            }
            finally
            {
                File.Delete(staging);
            }
        }
        else
        {
            report = await importer.ImportStreamAsync(http.Request.Body, ct);
        }

        if (report.Succeeded)
        {
            return TypedResults.Ok(report);
        }

        var errors = report.Errors.Count == 0
            ? new Dictionary<string, string[]> { ["body"] = [report.Failure!] }
            : report.Errors
                .GroupBy(e => e.Line is { } l ? $"line {l}" : e.Item is { } i ? $"item {i}" : "body")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
        return TypedResults.ValidationProblem(errors, detail: report.Failure, title: "Import failed",
            extensions: new Dictionary<string, object?> { ["report"] = report });
    }
}
