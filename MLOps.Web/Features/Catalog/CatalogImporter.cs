using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>The import formats <see cref="CatalogImporter"/> detects.</summary>
public enum ImportFormat
{
    Unknown,
    ElasticsearchBulk,
    JsonLines,
    JsonArray,
}

/// <summary>One rejected record: its line (line formats) or item index (JSON array), and why.</summary>
public sealed record ImportError(long? Line, long? Item, string Message)
{
    public override string ToString() => Line is { } l ? $"line {l}: {Message}" : Item is { } i ? $"item {i}: {Message}" : Message;
}

/// <summary>What an import did.</summary>
public sealed record ImportReport
{
    public ImportFormat Format { get; init; }
    public bool Strict { get; init; }

    /// <summary>Records read (documents and bad records; bulk action lines are not counted).</summary>
    public long Read { get; init; }

    /// <summary>Documents written to the index.</summary>
    public long Indexed { get; init; }

    /// <summary>Bad records skipped (in strict mode: found; nothing is written then).</summary>
    public long Skipped { get; init; }

    /// <summary>The first errors, up to <c>Search:Import:MaxReportedErrors</c>.</summary>
    public IReadOnlyList<ImportError> Errors { get; init; } = [];

    /// <summary>Set when the import stopped (unreadable input) or, in strict mode, was rejected; the reason.</summary>
    public string? Failure { get; init; }

    public double DurationMs { get; init; }

    public double DocsPerSecond => DurationMs <= 0 ? 0 : Indexed / (DurationMs / 1000.0);

    public bool Succeeded => Failure is null;
}

/// <summary>
/// Streams catalog documents from Elasticsearch bulk NDJSON, JSON Lines or a JSON array into the
/// index in bulk batches. Memory stays bounded by the batch size and the longest line. A bad record is
/// reported (line number) and skipped; with <c>strict</c> a first pass validates everything and
/// nothing is written unless every record is good.
/// </summary>
public sealed partial class CatalogImporter(ICatalogIndex index, IOptions<CatalogImportOptions> options, ILogger<CatalogImporter> logger)
{
    private static readonly HashSet<string> DocumentActions = new(StringComparer.Ordinal) { "index", "create" };
    private static readonly HashSet<string> OtherActions = new(StringComparer.Ordinal) { "update", "delete" };

    /// <summary>Imports a file; strict mode reads it twice (validate, then write).</summary>
    public Task<ImportReport> ImportFileAsync(string path, bool strict, CancellationToken cancellationToken) =>
        ImportAsync(ct => Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true)), strict, cancellationToken);

    /// <summary>Imports from a stream read once (not strict); the stream stays open.</summary>
    public async Task<ImportReport> ImportStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var sink = new Sink(index, options.Value, logger);
        await ReadAsync(stream, sink, cancellationToken);
        await sink.FlushAsync(cancellationToken);
        var report = sink.Report(strict: false, sink.Failure, started);
        Log.Finished(logger, report.Format, report.Indexed, report.Skipped, report.DurationMs, report.DocsPerSecond);
        return report;
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
            var validation = new Sink(null, options.Value, logger);
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

        var sink = new Sink(index, options.Value, logger);
        await using (var stream = await open(cancellationToken))
        {
            await ReadAsync(stream, sink, cancellationToken);
        }

        await sink.FlushAsync(cancellationToken);
        var report = sink.Report(strict, sink.Failure, started);
        Log.Finished(logger, report.Format, report.Indexed, report.Skipped, report.DurationMs, report.DocsPerSecond);
        return report;
    }

    private async Task ReadAsync(Stream stream, Sink sink, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        try
        {
            var first = await PeekFirstByteAsync(reader, ct);
            switch (first)
            {
                case (byte)'[':
                    sink.Format = ImportFormat.JsonArray;
                    await ReadArrayAsync(reader, sink, ct);
                    break;
                case (byte)'{':
                    await ReadLinesAsync(reader, sink, ct);
                    break;
                case null:
                    sink.Failure = "the input is empty";
                    break;
                default:
                    sink.Failure = $"unrecognised format: expected a JSON array ('['), JSON lines or Elasticsearch bulk NDJSON ('{{'), found '{(char)first}'";
                    break;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>The first byte that is not whitespace; consumes a UTF-8 BOM, nothing else.</summary>
    private static async Task<byte?> PeekFirstByteAsync(PipeReader reader, CancellationToken ct)
    {
        var bomChecked = false;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            if (!bomChecked)
            {
                if (buffer.Length < 3 && !result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                bomChecked = true;
                var seqBom = new SequenceReader<byte>(buffer);
                if (seqBom.IsNext([0xEF, 0xBB, 0xBF], advancePast: false))
                {
                    reader.AdvanceTo(buffer.GetPosition(3));
                    continue;
                }
            }

            var seq = new SequenceReader<byte>(buffer);
            seq.AdvancePastAny(0x20, 0x09, 0x0A, 0x0D);
            if (seq.TryPeek(out var b))
            {
                reader.AdvanceTo(buffer.Start, buffer.Start);
                return b;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    private static async Task ReadArrayAsync(PipeReader reader, Sink sink, CancellationToken ct)
    {
        long item = 0;
        try
        {
            await foreach (var element in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(reader.AsStream(leaveOpen: true), cancellationToken: ct))
            {
                item++;
                sink.Read++;
                try
                {
                    await sink.AddAsync(CatalogJson.Parse(element), ct);
                }
                catch (CatalogFormatException ex)
                {
                    sink.Error(new ImportError(null, item, ex.Message));
                }
            }
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } l ? l + 1 : (long?)null;
            sink.Error(new ImportError(line, item + 1, $"invalid JSON: {ex.Message}"));
            sink.Failure = $"the JSON array is malformed after item {item}; the import stopped there";
        }
    }

    private async Task ReadLinesAsync(PipeReader reader, Sink sink, CancellationToken ct)
    {
        var maxLine = options.Value.MaxLineBytes;
        var state = new LineState();
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            while (TryReadLine(ref buffer, out var line))
            {
                state.Line++;
                await HandleLineAsync(line, state, sink, ct);
            }

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    state.Line++;
                    await HandleLineAsync(buffer, state, sink, ct);
                    buffer = buffer.Slice(buffer.End);
                }

                reader.AdvanceTo(buffer.End);
                break;
            }

            if (buffer.Length > maxLine)
            {
                sink.Error(new ImportError(state.Line + 1, null, $"line is longer than {maxLine} bytes"));
                sink.Failure = $"line {state.Line + 1} is longer than Search:Import:MaxLineBytes ({maxLine}); the import stopped there";
                reader.AdvanceTo(buffer.End);
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        if (state.PendingAction is { } pending)
        {
            sink.Read++;
            sink.Error(new ImportError(pending, null, "bulk action has no document line after it"));
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, position.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }

    private sealed class LineState
    {
        public long Line { get; set; }

        /// <summary>Null until the first record decides between JSON lines and bulk.</summary>
        public bool? Bulk { get; set; }

        /// <summary>Line of a bulk index/create action waiting for its document.</summary>
        public long? PendingAction { get; set; }

        public string? PendingId { get; set; }

        /// <summary>The line after an unsupported update action is its body; skip it.</summary>
        public bool SkipNext { get; set; }
    }

    private static async Task HandleLineAsync(ReadOnlySequence<byte> line, LineState state, Sink sink, CancellationToken ct)
    {
        if (IsBlank(line))
        {
            return;
        }

        if (state.SkipNext)
        {
            state.SkipNext = false;
            return;
        }

        JsonDocument parsed;
        try
        {
            var reader = new Utf8JsonReader(line);
            parsed = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                throw new JsonException("more than one JSON value on the line");
            }
        }
        catch (JsonException ex)
        {
            if (state.PendingAction is not null)
            {
                state.PendingAction = null;
                state.PendingId = null;
            }

            sink.Read++;
            sink.Error(new ImportError(state.Line, null, $"invalid JSON: {ex.Message}"));
            return;
        }

        using (parsed)
        {
            var root = parsed.RootElement;
            if (state.Bulk is null)
            {
                state.Bulk = TryGetAction(root, out _, out _);
                sink.Format = state.Bulk.Value ? ImportFormat.ElasticsearchBulk : ImportFormat.JsonLines;
            }

            if (state.Bulk == true && state.PendingAction is null)
            {
                if (!TryGetAction(root, out var action, out var meta))
                {
                    sink.Read++;
                    sink.Error(new ImportError(state.Line, null, "expected a bulk action line such as {\"index\":{\"_id\":\"...\"}}"));
                    return;
                }

                if (OtherActions.Contains(action))
                {
                    sink.Read++;
                    sink.Error(new ImportError(state.Line, null, $"bulk action '{action}' is not supported by import; only index and create"));
                    state.SkipNext = action == "update";
                    return;
                }

                try
                {
                    state.PendingId = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("_id", out var id)
                        ? CatalogJson.ReadId(id, "_id")
                        : null;
                    state.PendingAction = state.Line;
                }
                catch (CatalogFormatException ex)
                {
                    sink.Read++;
                    sink.Error(new ImportError(state.Line, null, ex.Message));
                    state.SkipNext = true;
                }

                return;
            }

            var idOverride = state.PendingId;
            state.PendingAction = null;
            state.PendingId = null;
            sink.Read++;
            try
            {
                await sink.AddAsync(CatalogJson.Parse(root, idOverride), ct);
            }
            catch (CatalogFormatException ex)
            {
                sink.Error(new ImportError(state.Line, null, ex.Message));
            }
        }
    }

    private static bool TryGetAction(JsonElement root, out string action, out JsonElement meta)
    {
        action = "";
        meta = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        using var props = root.EnumerateObject();
        if (!props.MoveNext())
        {
            return false;
        }

        var first = props.Current;
        if (props.MoveNext() || first.Value.ValueKind != JsonValueKind.Object
            || !(DocumentActions.Contains(first.Name) || OtherActions.Contains(first.Name)))
        {
            return false;
        }

        action = first.Name;
        meta = first.Value;
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept((byte)' ', (byte)'\t', (byte)'\r') >= 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Collects documents into batches and writes them; with no index it only validates.</summary>
    private sealed class Sink(ICatalogIndex? index, CatalogImportOptions options, ILogger logger)
    {
        private readonly List<CatalogDocument> _batch = new(options.BatchSize);
        private readonly List<ImportError> _errors = [];
        private readonly long _started = Stopwatch.GetTimestamp();

        public ImportFormat Format { get; set; }
        public long Read { get; set; }
        public long Indexed { get; private set; }
        public long ErrorCount { get; private set; }
        public string? Failure { get; set; }

        public async Task AddAsync(CatalogDocument doc, CancellationToken ct)
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

        public async Task FlushAsync(CancellationToken ct)
        {
            if (index is null || _batch.Count == 0)
            {
                return;
            }

            await index.IndexAsync(_batch, ct);
            Indexed += _batch.Count;
            _batch.Clear();
            var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            Log.Progress(logger, Indexed, ErrorCount, seconds <= 0 ? 0 : Indexed / seconds);
        }

        public void Error(ImportError error)
        {
            ErrorCount++;
            if (_errors.Count < options.MaxReportedErrors)
            {
                _errors.Add(error);
                Log.BadRecord(logger, error.ToString());
            }
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
}
