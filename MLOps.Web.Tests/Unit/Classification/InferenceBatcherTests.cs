using System.Collections.Concurrent;
using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Tests.Unit.Classification;

public sealed class InferenceBatcherTests
{
    private static EncodedText Text(int id, int length) => new([.. Enumerable.Repeat(id, length)], null);

    [Fact]
    public async Task Concurrent_requests_share_batches_and_each_gets_its_own_rows_in_order()
    {
        var batches = new ConcurrentQueue<int>();
        using var hold = new FirstRunHold();
        await using var batcher = new InferenceBatcher(
            batch =>
            {
                hold.HoldIfFirst(); // hold the worker so the other requests queue up
                batches.Enqueue(batch.Count);
                return [.. batch.Select(e => new[] { (float)e.Ids[0], e.Length })];
            },
            new BatchingSettings(MaxBatchSize: 64));

        var blocker = batcher.RunAsync([Text(999, 1)], CancellationToken.None);
        Assert.True(hold.Running.Wait(TimeSpan.FromSeconds(5)));
        var requests = Enumerable.Range(0, 10)
            .Select(r => batcher.RunAsync([.. Enumerable.Range(0, 3).Select(i => Text((r * 10) + i, 1 + ((r + i) % 5)))], CancellationToken.None))
            .ToList();
        hold.Release();
        await blocker;
        var results = await Task.WhenAll(requests);

        for (var r = 0; r < 10; r++)
        {
            Assert.Equal(Enumerable.Range(0, 3).Select(i => (float)((r * 10) + i)), results[r].Select(row => row[0]));
        }

        // 1 blocked batch + the 30 queued sequences in one batch
        Assert.Equal([1, 30], batches.ToArray());
    }

    [Fact]
    public async Task Length_bucketing_puts_sequences_of_similar_length_into_the_same_batch()
    {
        var widths = new ConcurrentQueue<(int Min, int Max)>();
        await using var batcher = new InferenceBatcher(
            batch =>
            {
                widths.Enqueue((batch.Min(e => e.Length), batch.Max(e => e.Length)));
                return [.. batch.Select(e => new float[] { e.Length })];
            },
            new BatchingSettings(MaxBatchSize: 4, LengthBucketing: true));

        int[] lengths = [50, 2, 49, 3, 48, 1, 47, 4];
        var rows = await batcher.RunAsync([.. lengths.Select((l, i) => Text(i, l))], CancellationToken.None);

        Assert.Equal(lengths.Select(l => (float)l), rows.Select(r => r[0]));
        Assert.Equal([(1, 4), (47, 50)], widths.OrderBy(w => w.Min).ToArray()); // longest batch runs first
    }

    [Fact]
    public async Task A_failing_batch_fails_its_requests_and_the_batcher_keeps_serving()
    {
        var calls = 0;
        await using var batcher = new InferenceBatcher(
            batch => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("boom") : [.. batch.Select(_ => new float[] { 1 })],
            new BatchingSettings(MaxBatchSize: 8));

        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.RunAsync([Text(1, 3)], CancellationToken.None));
        var ok = await batcher.RunAsync([Text(2, 3)], CancellationToken.None);
        Assert.Equal(1f, ok[0][0]);
    }

    [Fact]
    public async Task With_two_workers_two_batches_run_at_the_same_time_and_rows_stay_in_input_order()
    {
        var running = 0;
        var most = 0;
        using var both = new CountdownEvent(2);
        await using var batcher = new InferenceBatcher(
            batch =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                both.Signal();
                both.Wait(TimeSpan.FromSeconds(5)); // each batch waits until the other one runs too
                Interlocked.Decrement(ref running);
                return [.. batch.Select(e => new[] { (float)e.Ids[0] })];
            },
            new BatchingSettings(MaxBatchSize: 4, LengthBucketing: false, Workers: 2));

        var rows = await batcher.RunAsync([.. Enumerable.Range(0, 8).Select(i => Text(i, 1 + (i % 3)))], CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 8).Select(i => (float)i), rows.Select(r => r[0]));
        Assert.Equal(2, most);
    }

    [Fact]
    public async Task Workers_get_one_batch_each_and_batches_are_cut_evenly()
    {
        var sizes = new ConcurrentQueue<int>();
        async Task<int[]> SizesAsync(int workers, int count)
        {
            sizes.Clear();
            await using var batcher = new InferenceBatcher(
                batch =>
                {
                    sizes.Enqueue(batch.Count);
                    return [.. batch.Select(_ => new float[] { 1 })];
                },
                new BatchingSettings(MaxBatchSize: 32, Workers: workers));
            await batcher.RunAsync([.. Enumerable.Range(0, count).Select(i => Text(i, 2))], CancellationToken.None);
            return [.. sizes.Order()];
        }

        Assert.Equal(new[] { 5, 5 }, await SizesAsync(workers: 2, count: 10));
        Assert.Equal(new[] { 10 }, await SizesAsync(workers: 1, count: 10));
        Assert.Equal(new[] { 20, 20 }, await SizesAsync(workers: 1, count: 40));
        Assert.Equal(new[] { 1, 1 }, await SizesAsync(workers: 3, count: 2));
    }

    [Fact]
    public async Task With_two_workers_a_failing_batch_fails_only_the_requests_it_holds()
    {
        using var hold = new FirstRunHold();
        await using var batcher = new InferenceBatcher(
            batch =>
            {
                if (hold.HoldIfFirst()) // hold the collector so both requests queue up
                {
                    return [new float[] { 0 }];
                }

                return batch.Any(e => e.Ids[0] == 666) ? throw new InvalidOperationException("boom") : [.. batch.Select(e => new[] { (float)e.Ids[0] })];
            },
            new BatchingSettings(MaxBatchSize: 2, LengthBucketing: false, Workers: 2));

        var blocker = batcher.RunAsync([Text(0, 1)], CancellationToken.None);
        Assert.True(hold.Running.Wait(TimeSpan.FromSeconds(5)));
        var bad = batcher.RunAsync([Text(666, 1), Text(667, 1)], CancellationToken.None);
        var good = batcher.RunAsync([Text(1, 1), Text(2, 1)], CancellationToken.None);
        hold.Release();
        await blocker;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal("boom", error.Message);
        Assert.Equal([1f, 2f], (await good).Select(r => r[0]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_round_of_requests_all_cancelled_while_queued_completes_them_as_cancelled_and_the_batcher_keeps_serving(int workers)
    {
        using var hold = new FirstRunHold();
        await using var batcher = new InferenceBatcher(
            batch =>
            {
                hold.HoldIfFirst(); // hold the collector so the cancelled request queues up
                return [.. batch.Select(e => new[] { (float)e.Ids[0] })];
            },
            new BatchingSettings(MaxBatchSize: 4, Workers: workers));

        var blocker = batcher.RunAsync([Text(0, 1)], CancellationToken.None);
        Assert.True(hold.Running.Wait(TimeSpan.FromSeconds(5)));
        using var gone = new CancellationTokenSource();
        var cancelled = batcher.RunAsync([Text(1, 1), Text(2, 1)], gone.Token);
        await gone.CancelAsync();
        hold.Release();
        await blocker;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal([3f], (await batcher.RunAsync([Text(3, 1)], CancellationToken.None)).Select(r => r[0]));
    }

    [Fact]
    public void Workers_below_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceBatcher(b => [], new BatchingSettings(Workers: 0)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var before && before != seen)
        {
            seen = before;
        }
    }

    /// <summary>Holds the first run until <see cref="Release"/>, so that the requests sent meanwhile queue up.</summary>
    private sealed class FirstRunHold : IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);
        private int _runs;

        public ManualResetEventSlim Running { get; } = new(false);

        /// <summary>Blocks (at most 5 s) when called by the first run; true for that run.</summary>
        public bool HoldIfFirst()
        {
            if (Interlocked.Increment(ref _runs) != 1)
            {
                return false;
            }

            Running.Set();
            _gate.Wait(TimeSpan.FromSeconds(5));
            return true;
        }

        public void Release() => _gate.Set();

        public void Dispose()
        {
            _gate.Dispose();
            Running.Dispose();
        }
    }
}
