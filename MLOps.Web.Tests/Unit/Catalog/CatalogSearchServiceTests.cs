using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Trending;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The search service's seams: parameters into a query, trending counts into weights, the text-only default.</summary>
public sealed class CatalogSearchServiceTests
{
    [Fact]
    public void Parameters_become_a_query_with_defaults_a_trimmed_genre_and_a_field_sort()
    {
        var (relevance, name) = SearchParameters.ToQuery(null, null, null, null, null, explain: false);
        Assert.Equal(SearchParameters.SortRelevance, name);
        Assert.Equal((SearchSortKind.Relevance, 0, 10, (string?)null), (relevance.Sort, relevance.From, relevance.Size, relevance.Text));

        var (field, fieldName) = SearchParameters.ToQuery("snow AND eve", "  Family ", " classification_christmas ", 20, 5, explain: true);
        Assert.Equal("classification_christmas", fieldName);
        Assert.Equal(SearchSortKind.Field, field.Sort);
        Assert.Equal("classification_christmas", field.SortField);
        Assert.Equal("Family", field.Genre);
        Assert.Equal("snow AND eve", field.Text);
        Assert.True(field.Explain);
    }

    [Fact]
    public void Every_bad_parameter_is_reported_under_its_name_in_one_400()
    {
        var ex = Assert.Throws<ProblemException>(() =>
            SearchParameters.ToQuery("title:(unclosed", new string('g', 201), "classification_model", -1, 1001, explain: false));

        Assert.Equal(400, ex.StatusCode);
        Assert.Equal(["from", "genre", "q", "size", "sort"], ex.Errors!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_page_past_the_result_window_is_refused()
    {
        var ex = Assert.Throws<ProblemException>(() => SearchParameters.ToQuery(null, null, null, 9_995, 10, explain: false));
        Assert.Contains("from + size", Assert.Single(ex.Errors!["from"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Trending_weights_share_the_tag_weight_by_count_among_the_top_usable_tags()
    {
        var snapshot = new TrendingSnapshot(
            [new("christmas", "Christmas", 30), new("!!!", "!!!", 50), new("snow", "Snow", 10), new("elves", "Elves", 60)],
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "test");

        var weights = CatalogSearchService.Weights(snapshot, new TrendingSearchOptions { TagWeight = 0.8f, Top = 2 });

        Assert.Equal(["classification_christmas", "classification_snow"], weights.Select(w => w.Field));
        Assert.Equal(0.6f, weights[0].Weight, 1e-6f);
        Assert.Equal(0.2f, weights[1].Weight, 1e-6f);
    }

    [Fact]
    public async Task Without_a_trending_store_sort_trending_is_text_relevance_with_no_tags()
    {
        var index = new InMemoryCatalogIndex([new CatalogDocument { Id = "1", Title = "One" }]);
        var service = new CatalogSearchService(index, new NoTrendingReader(TimeProvider.System),
            Options.Create(new TrendingSearchOptions { TextWeight = 0.7f }), Options.Create(new SearchLimitsOptions()), NullLogger<CatalogSearchService>.Instance);

        var response = await service.SearchAsync(null, null, "trending", null, null, explain: false, CancellationToken.None);

        Assert.Equal("trending", response.Sort);
        Assert.Equal(0.7f, response.TextWeight);
        Assert.Empty(response.Trending!);
    }
}
