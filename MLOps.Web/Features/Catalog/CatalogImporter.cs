using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>
/// Streams catalog documents from Elasticsearch bulk NDJSON, JSON Lines or a JSON array into the
/// index in bulk batches: stream -> <see cref="PipeReader"/> -> <see cref="CatalogRecordParser"/> ->
/// batches -> <see cref="ICatalogIndex.IndexAsync"/>. Memory stays bounded by the batch size and the
/// longest line. A bad record is reported (line number) and skipped; with <c>strict</c> a first pass
/// validates everything and nothing is written unless every record is good.
/// </summary>
public sealed partial class CatalogImporter(ICatalogIndex index, IOptions<CatalogImportOptions> options, ILogger<CatalogImporter> logger)
{
    /// <summary>Imports a file; strict mode reads it twice (validate, then write).</summary>
    public Task<ImportReport> ImportFileAsync(string path, bool strict, CancellationToken cancellationToken) =>
        ImportAsync(ct => Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true)), strict, cancellationToken);

    /// <summary>Imports from a stream read once (not strict); the stream stays open.</summary>
    public async Task<ImportReport> ImportStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var sink = new ImportSink(index, options.Value, logger);
        await ReadAsync(stream, sink, cancellationToken);
        return await FinishAsync(sink, strict: false, started, cancellationToken);
    }

    /// <summary>
    /// Imports from a stream that <paramref name="open"/> returns; the caller owns nothing, each
    /// opened stream is disposed here. Strict mode opens it twice.
    /// </summary>
    public async Task<ImportReport> ImportAsync(Func<CancellationToken, Task<Stream>> open, bool strict, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (strict)
        {
            var validation = new ImportSink(null, options.Value, logger);
            await using (var stream = await open(cancellationToken))
            {
                await ReadAsync(stream, validation, cancellationToken);
            }

            if (validation.Failure is not null || validation.ErrorCount > 0)
            {
                var reason = validation.Failure ?? $"strict import rejected: {validation.ErrorCount} bad record(s); nothing was written";
                Log.StrictRejected(logger, validation.ErrorCount);
                return validation.Report(strict, reason, started);
            }
        }

        var sink = new ImportSink(index, options.Value, logger);
        await using (var stream = await open(cancellationToken))
        {
            await ReadAsync(stream, sink, cancellationToken);
        }

        return await FinishAsync(sink, strict, started, cancellationToken);
    }

    private async Task<ImportReport> FinishAsync(ImportSink sink, bool strict, long started, CancellationToken ct)
    {
        await sink.FlushAsync(ct);
        var report = sink.Report(strict, sink.Failure, started);
        Log.Finished(logger, report.Format, report.Indexed, report.Skipped, report.DurationMs, report.DocsPerSecond);
        return report;
    }

    /// <summary>Pushes the stream through the parser, one pipe buffer at a time, and each record into the sink.</summary>
    private async Task ReadAsync(Stream stream, ImportSink sink, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        var parser = new CatalogRecordParser(options.Value.MaxLineBytes);
        var records = new List<CatalogRecord>();
        try
        {
            while (!parser.IsDone)
            {
                var result = await reader.ReadAsync(ct);
                var consumed = parser.Parse(result.Buffer, result.IsCompleted, records);
                reader.AdvanceTo(consumed, result.Buffer.End);
                foreach (var record in records)
                {
                    await sink.AcceptAsync(record, ct);
                }

                records.Clear();
            }
        }
        finally
        {
            sink.Format = parser.Format;
            await reader.CompleteAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Catalog import: {Indexed} documents written, {Errors} bad records so far ({Rate:F0} docs/s)")]
        public static partial void Progress(ILogger logger, long indexed, long errors, double rate);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Catalog import skipped a record: {Error}")]
        public static partial void BadRecord(ILogger logger, string error);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Catalog import ({Format}) finished: {Indexed} written, {Skipped} skipped in {DurationMs:F0} ms ({Rate:F0} docs/s)")]
        public static partial void Finished(ILogger logger, ImportFormat format, long indexed, long skipped, double durationMs, double rate);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Strict catalog import rejected: {Errors} bad records; nothing was written")]
        public static partial void StrictRejected(ILogger logger, long errors);
    }

    /// <summary>Collects documents into batches and writes them; with no index it only validates.</summary>
    private sealed class ImportSink(ICatalogIndex? index, CatalogImportOptions options, ILogger logger)
    {
        private readonly List<CatalogRecord.Document> _batch = new(options.BatchSize);
        private readonly List<ImportError> _errors = [];
        private readonly long _started = Stopwatch.GetTimestamp();

        public ImportFormat Format { get; set; }
        public long Read { get; private set; }
        public long Indexed { get; private set; }
        public long ErrorCount { get; private set; }
        public string? Failure { get; private set; }

        public Task AcceptAsync(CatalogRecord record, CancellationToken ct)
        {
            switch (record)
            {
                case CatalogRecord.Document d:
                    Read++;
                    return AddAsync(d, ct);
                case CatalogRecord.Rejected r:
                    Read++;
                    Error(r.Error);
                    break;
                case CatalogRecord.Stopped s:
                    if (s.Error is { } error)
                    {
                        Error(error);
                    }

                    Failure = s.Reason;
                    break;
            }

            return Task.CompletedTask;
        }

        public async Task FlushAsync(CancellationToken ct)
        {
            if (index is null || _batch.Count == 0)
            {
                return;
            }

            try
            {
                await index.IndexAsync([.. _batch.Select(d => d.Value)], ct);
                Indexed += _batch.Count;
            }
            catch (CatalogWriteRejectedException rejected)
            {
                // The index wrote the rest of the batch: each refused document is a bad record on its own line.
                var reasons = rejected.Rejected.GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Reason, StringComparer.Ordinal);
                foreach (var record in _batch.Where(d => reasons.ContainsKey(d.Value.Id)))
                {
                    Error(new ImportError(record.Line, record.Item, $"refused by the index: {reasons[record.Value.Id]}"));
                }

                Indexed += _batch.Count(d => !reasons.ContainsKey(d.Value.Id));
            }

            _batch.Clear();
            var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            Log.Progress(logger, Indexed, ErrorCount, seconds <= 0 ? 0 : Indexed / seconds);
        }

        public ImportReport Report(bool strict, string? failure, long started) => new()
        {
            Format = Format,
            Strict = strict,
            Read = Read,
            Indexed = Indexed,
            Skipped = ErrorCount,
            Errors = [.. _errors],
            Failure = failure,
            DurationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds,
        };

        private async Task AddAsync(CatalogRecord.Document doc, CancellationToken ct)
        {
            if (index is null)
            {
                return;
            }

            _batch.Add(doc);
            if (_batch.Count >= options.BatchSize)
            {
                await FlushAsync(ct);
            }
        }

        private void Error(ImportError error)
        {
            ErrorCount++;
            if (_errors.Count < options.MaxReportedErrors)
            {
                _errors.Add(error);
                Log.BadRecord(logger, error.ToString());
            }
        }
    }
}
