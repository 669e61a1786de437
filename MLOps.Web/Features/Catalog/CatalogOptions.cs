using System.ComponentModel.DataAnnotations;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>Which search engine holds the catalog, and where.</summary>
public sealed class SearchOptions
{
    public const string SectionName = "Search";

    /// <summary><c>lucene</c> (embedded index on local disk, the default) or <c>elasticsearch</c>.</summary>
    [Required]
    [RegularExpression("^(lucene|elasticsearch)$", ErrorMessage = "Search:Engine must be 'lucene' or 'elasticsearch'.")]
    public string Engine { get; set; } = "lucene";

    /// <summary>Lucene index folder; relative paths resolve under <c>Storage:DataDirectory</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string LuceneIndexPath { get; set; } = "index";

    /// <summary>Load the bundled sample catalog on start when the index is empty.</summary>
    public bool LoadSampleCatalog { get; set; } = true;

    /// <summary>The sample catalog file, relative to the application folder.</summary>
    [Required(AllowEmptyStrings = false)]
    public string SampleCatalogPath { get; set; } = "SampleData/catalog.jsonl";

    public bool UsesElasticsearch => string.Equals(Engine, "elasticsearch", StringComparison.OrdinalIgnoreCase);
}

/// <summary>How <c>sort=trending</c> blends text relevance with trending classification scores.</summary>
public sealed class TrendingSearchOptions
{
    public const string SectionName = "Search:Trending";

    /// <summary>Weight of the normalised text score (BM25 / best BM25 of the query).</summary>
    [Range(0.0, 1000.0, ErrorMessage = "Search:Trending:TextWeight must be between 0.0 and 1000.0.")]
    public float TextWeight { get; set; } = 0.5f;

    /// <summary>Total weight of the trending tags' classification scores, shared by their trending counts.</summary>
    [Range(0.0, 1000.0, ErrorMessage = "Search:Trending:TagWeight must be between 0.0 and 1000.0.")]
    public float TagWeight { get; set; } = 0.5f;

    /// <summary>How many of the top trending tags take part.</summary>
    [Range(1, 100, ErrorMessage = "Search:Trending:Top must be between 1 and 100.")]
    public int Top { get; set; } = 5;
}

/// <summary>Catalog import settings.</summary>
public sealed class CatalogImportOptions
{
    public const string SectionName = "Search:Import";

    /// <summary>Documents per bulk write.</summary>
    [Range(1, 100_000, ErrorMessage = "Search:Import:BatchSize must be between 1 and 100000.")]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Errors listed in a report (all are counted).</summary>
    [Range(1, 100_000, ErrorMessage = "Search:Import:MaxReportedErrors must be between 1 and 100000.")]
    public int MaxReportedErrors { get; set; } = 100;

    /// <summary>Longest accepted line, in bytes; a longer line stops the import (memory stays bounded).</summary>
    [Range(1024, int.MaxValue, ErrorMessage = "Search:Import:MaxLineBytes must be between 1024 and 2147483647.")]
    public int MaxLineBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest request body <c>POST /api/catalog/import</c> accepts, in bytes.</summary>
    [Range(1, long.MaxValue, ErrorMessage = "Search:Import:MaxRequestBodyBytes must be between 1 and 9223372036854775807.")]
    public long MaxRequestBodyBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}

/// <summary>What one search may cost (section <c>Search:Limits</c>), on either engine: see <see cref="CatalogQueryLimits"/>.</summary>
public sealed class SearchLimitsOptions
{
    public const string SectionName = "Search:Limits";

    /// <summary>Time budget of one search; past it the search stops with a 503 that says so.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Search:Limits:Timeout must be between 00:00:00.010 and 00:10:00.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    [Range(1, 100_000, ErrorMessage = "Search:Limits:MaxLength must be between 1 and 100000.")]
    public int MaxLength { get; set; } = CatalogQueryLimits.Default.MaxLength;

    [Range(1, 1024, ErrorMessage = "Search:Limits:MaxClauses must be between 1 and 1024 (Lucene's own cap).")]
    public int MaxClauses { get; set; } = CatalogQueryLimits.Default.MaxClauses;

    [Range(0, 1024, ErrorMessage = "Search:Limits:MaxMultiTermClauses must be between 0 and 1024.")]
    public int MaxMultiTermClauses { get; set; } = CatalogQueryLimits.Default.MaxMultiTermClauses;

    [Range(0, 64, ErrorMessage = "Search:Limits:MaxWildcardsPerTerm must be between 0 and 64.")]
    public int MaxWildcardsPerTerm { get; set; } = CatalogQueryLimits.Default.MaxWildcardsPerTerm;

    [Range(1, 4096, ErrorMessage = "Search:Limits:MaxRegexLength must be between 1 and 4096.")]
    public int MaxRegexLength { get; set; } = CatalogQueryLimits.Default.MaxRegexLength;

    [Range(1, 10_000, ErrorMessage = "Search:Limits:MaxRegexPositions must be between 1 and 10000.")]
    public int MaxRegexPositions { get; set; } = CatalogQueryLimits.Default.MaxRegexPositions;

    [Range(1, 100_000, ErrorMessage = "Search:Limits:MaxRegexStates must be between 1 and 100000.")]
    public int MaxRegexStates { get; set; } = CatalogQueryLimits.Default.MaxRegexStates;

    public CatalogSearchBudget ToBudget() => new(Timeout, new CatalogQueryLimits
    {
        MaxLength = MaxLength,
        MaxClauses = MaxClauses,
        MaxMultiTermClauses = MaxMultiTermClauses,
        MaxWildcardsPerTerm = MaxWildcardsPerTerm,
        MaxRegexLength = MaxRegexLength,
        MaxRegexPositions = MaxRegexPositions,
        MaxRegexStates = MaxRegexStates,
    });
}
