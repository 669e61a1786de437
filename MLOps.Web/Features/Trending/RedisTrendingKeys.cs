using System.Globalization;
using StackExchange.Redis;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// The Redis keys of one trending window (<c>{prefix}trending:{RedisKey}:...</c>), besides the
/// reference-compatible <c>hashtags</c> and the burst ranking <c>hashtags:burst</c> (no prefix):
/// <c>b:{id}</c> slide buckets, <c>base:{id}</c> baseline buckets, <c>pair:{id}</c> tag-pair buckets,
/// <c>window</c> (the window's top candidates), <c>pairs</c> (its most frequent pairs),
/// <c>display:{epoch}</c>, <c>meta</c>, <c>replica:{id}</c> markers and <c>leader</c> (the stream lease).
/// </summary>
public sealed class RedisTrendingKeys(string keyPrefix, TrendingOptions options)
{
    private readonly string _prefix = $"{keyPrefix}trending:{options.RedisKey}:";

    public RedisKey Top => options.RedisKey;

    public RedisKey Burst => options.EffectiveBurstRedisKey;

    public RedisKey Window => _prefix + "window";

    public RedisKey Pairs => _prefix + "pairs";

    public RedisKey Meta => _prefix + "meta";

    public RedisKey Leader => _prefix + "leader";

    public string Bucket(long id) => _prefix + "b:" + Id(id);

    public string BaselineBucket(long id) => _prefix + "base:" + Id(id);

    public string PairBucket(long id) => _prefix + "pair:" + Id(id);

    public string Display(long epoch) => _prefix + "display:" + Id(epoch);

    public RedisKey Marker(string instance) => _prefix + "replica:" + instance;

    /// <summary>The keys of the <paramref name="count"/> buckets up to <paramref name="current"/>, oldest first.</summary>
    public static RedisKey[] Range(Func<long, string> key, long current, int count)
    {
        var keys = new RedisKey[count];
        for (var b = 0; b < count; b++)
        {
            keys[b] = key(current - count + 1 + b);
        }

        return keys;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
