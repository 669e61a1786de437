using System.Threading.Channels;

namespace MLOps.Web.Infrastructure.Onnx;

/// <summary>Micro-batching settings.</summary>
/// <param name="MaxBatchSize">Most sequences in one <c>InferenceSession.Run</c>.</param>
/// <param name="MaxDelay">How long the batcher waits for more requests once one has arrived (0: take only what is queued).</param>
/// <param name="LengthBucketing">Sort the queued sequences by length before cutting batches, so that padding is small.</param>
public sealed record BatchingSettings(int MaxBatchSize = 32, TimeSpan MaxDelay = default, bool LengthBucketing = true);

/// <summary>
/// Groups the sequences of concurrent requests into batches for one model. A single worker runs
/// the batches one after the other (ONNX Runtime already uses every core inside one run); requests
/// that arrive while a batch runs are queued and go together into the next one. Within the queued
/// work, sequences are sorted by length and cut into batches of at most
/// <see cref="BatchingSettings.MaxBatchSize"/>, each padded only to its own longest sequence.
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
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            pending.Clear();
            var count = 0;
            while (count < _settings.MaxBatchSize && _queue.Reader.TryRead(out var r))
            {
                pending.Add(r);
                count += r.Inputs.Count;
            }

            if (count < _settings.MaxBatchSize && _settings.MaxDelay > TimeSpan.Zero)
            {
                using var delay = new CancellationTokenSource(_settings.MaxDelay);
                try
                {
                    while (count < _settings.MaxBatchSize && await _queue.Reader.WaitToReadAsync(delay.Token).ConfigureAwait(false))
                    {
                        while (count < _settings.MaxBatchSize && _queue.Reader.TryRead(out var r))
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
    /// Cuts <paramref name="work"/> into batches of at most <see cref="BatchingSettings.MaxBatchSize"/>
    /// and runs them; a batch that throws fails its requests (skipping batches that hold only failed
    /// ones). Returns the failed requests.
    /// </summary>
    private HashSet<Request> RunBatches(List<(Request Request, int Index)> work)
    {
        var failed = new HashSet<Request>();
        for (var start = 0; start < work.Count; start += _settings.MaxBatchSize)
        {
            var slice = work.GetRange(start, Math.Min(_settings.MaxBatchSize, work.Count - start));
            if (slice.TrueForAll(w => failed.Contains(w.Request)))
            {
                continue;
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
                foreach (var w in slice)
                {
                    if (failed.Add(w.Request))
                    {
                        w.Request.Completion.TrySetException(e);
                    }
                }
            }
        }

        return failed;
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
