using System.Threading.Channels;

namespace MLOps.Web.Infrastructure.Onnx;

/// <summary>Micro-batching settings.</summary>
/// <param name="MaxBatchSize">Most sequences in one <c>InferenceSession.Run</c>.</param>
/// <param name="MaxDelay">How long the batcher waits for more requests once one has arrived (0: take only what is queued).</param>
/// <param name="LengthBucketing">Sort the queued sequences by length before cutting batches, so that padding is small.</param>
/// <param name="Workers">Batches run at the same time (data-parallel, each on its own thread and each with the session's intra-op threads).</param>
public sealed record BatchingSettings(int MaxBatchSize = 32, TimeSpan MaxDelay = default, bool LengthBucketing = true, int Workers = 1);

/// <summary>
/// Groups the sequences of concurrent requests into batches for one model. One collector takes the
/// queued requests (up to <see cref="BatchingSettings.MaxBatchSize"/> ×
/// <see cref="BatchingSettings.Workers"/> sequences, waiting at most
/// <see cref="BatchingSettings.MaxDelay"/> for more); their sequences are sorted by length, cut into
/// batches of at most <see cref="BatchingSettings.MaxBatchSize"/>, each padded only to its own
/// longest sequence, and run longest first on up to <see cref="BatchingSettings.Workers"/> threads
/// at once (the collector and helper threads of their own; one session serves concurrent runs).
/// Requests that arrive meanwhile are queued and go together into the next round. A small model
/// does not keep every core busy inside one run, so two runs side by side on one thread each are
/// at least as fast as one run on both, and faster on a shared host (docs/benchmarks.md).
/// </summary>
public sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<EncodedText>, float[][]> _run;
    private readonly BatchingSettings _settings;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;

    public InferenceBatcher(Func<IReadOnlyList<EncodedText>, float[][]> run, BatchingSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Workers, 1);
        _run = run;
        _settings = settings;
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>One output row per input, in input order.</summary>
    public Task<float[][]> RunAsync(IReadOnlyList<EncodedText> inputs, CancellationToken cancellationToken)
    {
        if (inputs.Count == 0)
        {
            return Task.FromResult(Array.Empty<float[]>());
        }

        var request = new Request(inputs, cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(request), this);

        return request.Completion.Task;
    }

    private async Task WorkAsync()
    {
        var pending = new List<Request>();
        var limit = _settings.MaxBatchSize * _settings.Workers;
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            pending.Clear();
            var count = 0;
            while (count < limit && _queue.Reader.TryRead(out var r))
            {
                pending.Add(r);
                count += r.Inputs.Count;
            }

            if (count < limit && _settings.MaxDelay > TimeSpan.Zero)
            {
                using var delay = new CancellationTokenSource(_settings.MaxDelay);
                try
                {
                    while (count < limit && await _queue.Reader.WaitToReadAsync(delay.Token).ConfigureAwait(false))
                    {
                        while (count < limit && _queue.Reader.TryRead(out var r))
                        {
                            pending.Add(r);
                            count += r.Inputs.Count;
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // the wait is over; run what we have
                }
            }

            Process(pending);
        }
    }

    /// <summary>Runs the queued requests' sequences in batches, then completes every request.</summary>
    private void Process(List<Request> requests)
    {
        var work = Sequences(requests);
        var failed = RunBatches(work);
        foreach (var r in requests)
        {
            if (r.Results is { } results && !failed.Contains(r))
            {
                r.Completion.TrySetResult(results);
            }
        }
    }

    /// <summary>
    /// One item per sequence of every request not cancelled meanwhile (those complete as cancelled),
    /// sorted by length when bucketing is on.
    /// </summary>
    private List<(Request Request, int Index)> Sequences(List<Request> requests)
    {
        var work = new List<(Request Request, int Index)>();
        foreach (var r in requests)
        {
            if (r.CancellationToken.IsCancellationRequested)
            {
                r.Completion.TrySetCanceled(r.CancellationToken);
                continue;
            }

            r.Results = new float[r.Inputs.Count][];
            for (var i = 0; i < r.Inputs.Count; i++)
            {
                work.Add((r, i));
            }
        }

        // Stable sort by length: similar lengths share a batch, so little padding is computed.
        return _settings.LengthBucketing ? [.. work.OrderBy(w => w.Request.Inputs[w.Index].Length)] : work;
    }

    /// <summary>
    /// Cuts <paramref name="work"/> into batches (<see cref="SliceSize"/>) and runs them, up to
    /// <see cref="BatchingSettings.Workers"/> at once; a batch that throws fails its requests
    /// (skipping batches that hold only failed ones). Returns the failed requests.
    /// </summary>
    private HashSet<Request> RunBatches(List<(Request Request, int Index)> work)
    {
        var failed = new HashSet<Request>();
        if (work.Count == 0)
        {
            return failed; // every request was cancelled while it queued
        }

        var size = SliceSize(work.Count);
        var slices = new List<List<(Request Request, int Index)>>();
        for (var start = 0; start < work.Count; start += size)
        {
            slices.Add(work.GetRange(start, Math.Min(size, work.Count - start)));
        }

        // Longest batches first (they are sorted shortest first), one at a time to whichever worker
        // is free, so the short ones fill the end of the round instead of one long batch running alone.
        var next = slices.Count;
        void Drain()
        {
            int i;
            while ((i = Interlocked.Decrement(ref next)) >= 0)
            {
                RunBatch(slices[i], failed);
            }
        }

        // The helpers are threads of their own (LongRunning), not thread-pool threads that a busy
        // host would hand out late; this thread is the first worker.
        var helpers = new Task[Math.Min(_settings.Workers, slices.Count) - 1];
        for (var h = 0; h < helpers.Length; h++)
        {
            helpers[h] = Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        Drain();
        Task.WaitAll(helpers);
        return failed;
    }

    /// <summary>Runs one batch and stores its rows; on failure fails each of its requests once (guarded by <paramref name="failed"/>).</summary>
    private void RunBatch(List<(Request Request, int Index)> slice, HashSet<Request> failed)
    {
        lock (failed)
        {
            if (slice.TrueForAll(w => failed.Contains(w.Request)))
            {
                return;
            }
        }

        try
        {
            var outputs = _run(slice.ConvertAll(w => w.Request.Inputs[w.Index]));
            for (var i = 0; i < slice.Count; i++)
            {
                slice[i].Request.Results![slice[i].Index] = outputs[i];
            }
        }
#pragma warning disable CA1031 // the failure belongs to the requests of this batch, not to the worker
        catch (Exception e)
#pragma warning restore CA1031
        {
            lock (failed)
            {
                foreach (var w in slice)
                {
                    if (failed.Add(w.Request))
                    {
                        w.Request.Completion.TrySetException(e);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Sequences per batch: as few batches as <see cref="BatchingSettings.MaxBatchSize"/> allows, but
    /// at least one per worker while there are sequences enough, and all about equally long (40
    /// sequences at most 32 per batch are two of 20, not 32 and 8).
    /// </summary>
    private int SliceSize(int count)
    {
        var batches = Math.Max((count + _settings.MaxBatchSize - 1) / _settings.MaxBatchSize, Math.Min(_settings.Workers, count));
        return (count + batches - 1) / batches;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    private sealed class Request(IReadOnlyList<EncodedText> inputs, CancellationToken cancellationToken)
    {
        public IReadOnlyList<EncodedText> Inputs { get; } = inputs;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<float[][]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public float[][]? Results { get; set; }
    }
}
