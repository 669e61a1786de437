using MLOps.Web.Features.Trending;

namespace MLOps.Web.Tests.Unit.Trending;

public class ReconnectBackoffTests
{
    private static List<double> Seconds(ReconnectBackoff backoff, DisconnectKind kind, int n) =>
        Enumerable.Range(0, n).Select(_ => backoff.Next(kind).TotalSeconds).ToList();

    [Fact]
    public void Network_errors_back_off_linearly_by_250_ms_up_to_16_s()
    {
        var s = Seconds(new ReconnectBackoff(), DisconnectKind.Network, 70);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], s.Take(4));
        Assert.Equal(16, s[63]);
        Assert.Equal(16, s[69]);
    }

    [Fact]
    public void Http_errors_back_off_exponentially_from_5_s_up_to_320_s()
    {
        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 320], Seconds(new ReconnectBackoff(), DisconnectKind.Http, 8));
    }

    [Fact]
    public void Rate_limits_back_off_exponentially_from_one_minute()
    {
        Assert.Equal([60, 120, 240, 480, 960, 960], Seconds(new ReconnectBackoff(), DisconnectKind.RateLimited, 6));
    }

    [Fact]
    public void Each_kind_keeps_its_own_count_until_a_reset()
    {
        var backoff = new ReconnectBackoff();
        backoff.Next(DisconnectKind.Http);
        Assert.Equal(0.25, backoff.Next(DisconnectKind.Network).TotalSeconds);
        Assert.Equal(10, backoff.Next(DisconnectKind.Http).TotalSeconds);
        backoff.Reset();
        Assert.Equal(5, backoff.Next(DisconnectKind.Http).TotalSeconds);
        Assert.Equal(0.25, backoff.Next(DisconnectKind.Network).TotalSeconds);
    }
}
