using MLOps.Web.Features.Trending;

namespace MLOps.Web.Tests.Unit.Trending;

/// <summary>The counter's parts on their own: top-N ranking, display forms, push validation.</summary>
public sealed class WindowPartsTests
{
    private static readonly IComparer<(string Key, long Count)> Redis =
        Comparer<(string Key, long Count)>.Create((x, y) => TopRanking.CompareAsRedis(x.Count, x.Key, y.Count, y.Key));

    [Fact]
    public void Top_ranking_returns_the_strongest_first_with_ties_broken_as_redis_does()
    {
        (string, long)[] tags = [("a", 1), ("c", 5), ("b", 5), ("d", 2), ("e", 5), ("f", 0)];

        Assert.Equal([("e", 5L), ("c", 5L), ("b", 5L), ("d", 2L)], TopRanking.Select(tags, 4, Redis));
        Assert.Equal(tags.Length, TopRanking.Select(tags, 100, Redis).Length);
        Assert.Empty(TopRanking.Select(tags, 0, Redis));
        Assert.Empty(TopRanking.Select(Array.Empty<(string, long)>(), 3, Redis));
    }

    [Fact]
    public void Top_ranking_agrees_with_a_full_sort()
    {
        var random = new Random(7);
        var tags = Enumerable.Range(0, 500).Select(i => ($"tag{random.Next(200)}-{i}", (long)random.Next(20))).ToArray();
        var sorted = tags.Order(Redis).Reverse().Take(20).ToArray();

        Assert.Equal(sorted, TopRanking.Select(tags, 20, Redis));
    }

    [Fact]
    public void The_display_form_is_the_one_seen_most_often_and_the_first_seen_on_a_tie()
    {
        var forms = new DisplayForms();
        Assert.Equal("", forms.Display);

        forms.See("Christmas", 1);
        forms.See("CHRISTMAS", 1);
        Assert.Equal("Christmas", forms.Display);

        forms.See("CHRISTMAS", 1);
        Assert.Equal("CHRISTMAS", forms.Display);

        forms.See("christmas", 5);
        Assert.Equal("christmas", forms.Display);
    }

    [Fact]
    public void Display_forms_past_the_limit_are_not_counted()
    {
        var forms = new DisplayForms();
        for (var i = 0; i < DisplayForms.MaxForms; i++)
        {
            forms.See($"form{i}", 1);
        }

        forms.See("late", 100);

        Assert.Equal("form0", forms.Display);
    }

    [Fact]
    public void A_pushed_batch_is_checked_post_by_post_naming_each_field()
    {
        PushedPost?[] posts =
        [
            new("fine #a", null),
            null,
            new(" ", []),
            new(new string('x', TrendingEndpoints.MaxPostLength + 1), [.. Enumerable.Repeat("t", TrendingEndpoints.MaxHashtagsPerPost + 1)]),
            new(null, ["ok", null!]),
        ];

        var errors = TrendingEndpoints.ValidatePosts(posts!, maxBatch: 10);

        Assert.Equal(["[1]", "[2].text", "[3].hashtags", "[3].text", "[4].hashtags"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(TrendingEndpoints.ValidatePosts([new("#a", null)], maxBatch: 1));
        Assert.Contains("At most 1 posts", TrendingEndpoints.ValidatePosts([new("#a", null), new("#b", null)], maxBatch: 1)["posts"][0], StringComparison.Ordinal);
        Assert.Contains("non-empty", TrendingEndpoints.ValidatePosts([], maxBatch: 1)["posts"][0], StringComparison.Ordinal);
        Assert.Contains("non-empty", TrendingEndpoints.ValidatePosts(null, maxBatch: 1)["posts"][0], StringComparison.Ordinal);
    }
}
