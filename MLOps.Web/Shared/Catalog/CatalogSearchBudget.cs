namespace MLOps.Web.Shared.Catalog;

/// <summary>
/// What one search may cost on either engine: the <c>q=</c> limits (checked while parsing) and a
/// time budget. Lucene checks the budget and the request's cancellation while it collects hits;
/// Elasticsearch gets it as the request's <c>timeout</c> (and the HTTP call is cancelled with the
/// request). A search past its budget stops with <see cref="SearchTimeoutException"/>.
/// </summary>
/// <param name="Timeout">How long a search may run (<c>Search:Timeout</c>).</param>
/// <param name="Limits">The query limits (<c>Search:Limits:*</c>).</param>
public sealed record CatalogSearchBudget(TimeSpan Timeout, CatalogQueryLimits Limits)
{
    public static CatalogSearchBudget Default { get; } = new(TimeSpan.FromSeconds(5), CatalogQueryLimits.Default);
}

/// <summary>A search stopped because it ran past its time budget (HTTP 503).</summary>
public sealed class SearchTimeoutException(TimeSpan budget)
    : Exception($"The search ran past its time budget of {budget.TotalSeconds:0.###} s (Search:Timeout) and was stopped; narrow the query (fewer wildcard, regex or fuzzy terms).")
{
    public TimeSpan Budget { get; } = budget;
}
