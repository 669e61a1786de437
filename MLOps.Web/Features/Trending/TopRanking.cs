namespace MLOps.Web.Features.Trending;

/// <summary>
/// Top-N selection, pure: a bounded min-heap over the candidates (O(n log N)), returned strongest
/// first. The order is a parameter, so a later ranking (bursts, topics) plugs in its own.
/// </summary>
internal static class TopRanking
{
    /// <summary>
    /// The <paramref name="top"/> strongest of <paramref name="candidates"/>, strongest first;
    /// <paramref name="order"/> compares weaker &lt; stronger.
    /// </summary>
    public static T[] Select<T>(IEnumerable<T> candidates, int top, IComparer<T> order)
    {
        if (top <= 0)
        {
            return [];
        }

        var heap = new PriorityQueue<T, T>(top + 1, order);
        foreach (var candidate in candidates)
        {
            if (heap.Count < top)
            {
                heap.Enqueue(candidate, candidate);
            }
            else if (order.Compare(candidate, heap.Peek()) > 0)
            {
                heap.EnqueueDequeue(candidate, candidate);
            }
        }

        var result = new T[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }

        return result;
    }

    /// <summary>
    /// Redis's rank of a sorted set read in reverse (<c>ZREVRANGE</c>): the higher count is stronger,
    /// and on equal counts the greater member (ordinal), so the in-process and Redis stores agree on the top N.
    /// </summary>
    public static int CompareAsRedis(long count, string key, long otherCount, string otherKey)
    {
        var c = count.CompareTo(otherCount);
        return c != 0 ? c : string.CompareOrdinal(key, otherKey);
    }
}
