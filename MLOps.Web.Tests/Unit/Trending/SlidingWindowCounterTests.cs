using Microsoft.Extensions.Time.Testing;
using MLOps.Web.Features.Trending;
using MLOps.Web.Shared.Trending;

namespace MLOps.Web.Tests.Unit.Trending;

public class SlidingWindowCounterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 24, 18, 0, 0, TimeSpan.Zero));
    private readonly HashtagExtractor _extractor = new(100, []);

    private int Post(SlidingWindowCounter counter, string text) => counter.AddPost(_extractor, text, null, _time.GetUtcNow());

    [Fact]
    public void Counts_leave_the_window_once_it_has_slid_past_them()
    {
        var counter = new SlidingWindowCounter(TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(10));
        Post(counter, "#christmas #elf");
        _time.Advance(TimeSpan.FromMinutes(20));
        Post(counter, "#christmas");

        _time.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(50));
        Assert.Equal(2, counter.CountOf("christmas", _time.GetUtcNow()));
        Assert.Equal(1, counter.CountOf("elf", _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, counter.CountOf("christmas", _time.GetUtcNow()));
        Assert.Equal(0, counter.CountOf("elf", _time.GetUtcNow()));
        Assert.Equal(1, counter.DistinctTags);

        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Empty(counter.Top(20, _time.GetUtcNow()));
    }

    [Fact]
    public void Top_orders_by_count_then_by_key_descending_as_redis_does_and_keeps_the_most_seen_display_form()
    {
        var counter = new SlidingWindowCounter(TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(10));
        Post(counter, "#christmas #Halloween");
        Post(counter, "#ChristmasMovies #CHRISTMAS");
        Post(counter, "#Christmas #worldcup #oscars");
        _time.Advance(TimeSpan.FromSeconds(30));
        Post(counter, "#Christmas #halloween");

        var top = counter.Top(3, _time.GetUtcNow());
        Assert.Equal(
            [new TrendingTag("christmas", "Christmas", 4), new TrendingTag("halloween", "Halloween", 2), new TrendingTag("worldcup", "worldcup", 1)],
            top);
    }

    [Fact]
    public void Pending_counts_are_the_deltas_since_the_last_flush_per_bucket()
    {
        var counter = new SlidingWindowCounter(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10));
        Post(counter, "#a #a #b");
        var first = counter.TakePending(_time.GetUtcNow());
        Assert.Equal(3, first.Total);
        counter.MarkFlushed(first);
        Assert.Equal(0, counter.PendingCount);

        Post(counter, "#a");
        _time.Advance(TimeSpan.FromSeconds(10));
        Post(counter, "#c");
        var second = counter.TakePending(_time.GetUtcNow());
        Assert.Equal(2, second.Buckets.Count);
        Assert.Equal([("a", 1L)], second.Buckets[0].Slots.Select(s => (s.Key, s.Delta)));
        Assert.Equal([("c", 1L)], second.Buckets[1].Slots.Select(s => (s.Key, s.Delta)));

        counter.ResetFlushed();
        Assert.Equal(5, counter.PendingCount);
    }

    [Fact]
    public void Pending_counts_of_buckets_that_left_the_window_are_dropped()
    {
        var counter = new SlidingWindowCounter(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        Post(counter, "#old");
        _time.Advance(TimeSpan.FromSeconds(30));
        Post(counter, "#new");
        var pending = counter.TakePending(_time.GetUtcNow());
        Assert.Equal(["new"], pending.Buckets.SelectMany(b => b.Slots).Select(s => s.Key));
    }

    [Fact]
    public void Concurrent_adds_are_all_counted()
    {
        var counter = new SlidingWindowCounter(TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(10));
        Parallel.For(0, 20_000, i => Post(counter, i % 2 == 0 ? "#even #all" : "#odd #all"));
        Assert.Equal(20_000, counter.CountOf("all", _time.GetUtcNow()));
        Assert.Equal(10_000, counter.CountOf("odd", _time.GetUtcNow()));
    }
}
