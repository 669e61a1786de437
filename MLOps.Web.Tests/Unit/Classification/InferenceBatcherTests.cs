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
        using var gate = new ManualResetEventSlim(false);
        using var running = new ManualResetEventSlim(false);
        var first = true;
        await using var batcher = new InferenceBatcher(
            batch =>
            {
                if (first)
                {
                    first = false;
                    running.Set();
                    gate.Wait(TimeSpan.FromSeconds(5)); // hold the worker so the other requests queue up
                }

                batches.Enqueue(batch.Count);
                return [.. batch.Select(e => new[] { (float)e.Ids[0], e.Length })];
            },
            new BatchingSettings(MaxBatchSize: 64));

        var blocker = batcher.RunAsync([Text(999, 1)], CancellationToken.None);
        Assert.True(running.Wait(TimeSpan.FromSeconds(5)));
        var requests = Enumerable.Range(0, 10)
            .Select(r => batcher.RunAsync([.. Enumerable.Range(0, 3).Select(i => Text((r * 10) + i, 1 + ((r + i) % 5)))], CancellationToken.None))
            .ToList();
        gate.Set();
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
        Assert.Equal([(1, 4), (47, 50)], widths.ToArray());
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
}
