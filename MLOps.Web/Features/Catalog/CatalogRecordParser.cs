using System.Buffers;
using System.Text.Json;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Features.Catalog;

/// <summary>What <see cref="CatalogRecordParser"/> finds in the input, in input order.</summary>
public abstract record CatalogRecord
{
    private CatalogRecord()
    {
    }

    /// <summary>A good document, from line <see cref="Line"/> (line formats) or item <see cref="Item"/> (JSON array).</summary>
    public sealed record Document(CatalogDocument Value, long? Line, long? Item) : CatalogRecord;

    /// <summary>A bad record: reported, counted as read, skipped.</summary>
    public sealed record Rejected(ImportError Error) : CatalogRecord;

    /// <summary>The input cannot be read any further (empty, unrecognised, a line too long, a malformed array); the last record.</summary>
    public sealed record Stopped(string Reason, ImportError? Error) : CatalogRecord;
}

/// <summary>
/// Turns catalog import bytes into <see cref="CatalogRecord"/>s, with no I/O and no index: the format
/// is detected from the first byte that is not whitespace (after a UTF-8 BOM): <c>[</c> is a JSON
/// array, <c>{</c> JSON lines or Elasticsearch bulk NDJSON (decided by the first record, see
/// <see cref="CatalogLineInterpreter"/>). Input is pushed in pieces (<see cref="Parse"/>); the parser
/// keeps no bytes, only its position, so memory is bounded by the caller's buffer: a line longer than
/// <c>maxLineBytes</c> stops the input. Lines are numbered from 1, blank lines included.
/// </summary>
public sealed class CatalogRecordParser(int maxLineBytes)
{
    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    private readonly CatalogLineInterpreter _lines = new();
    private Phase _phase = Phase.Detecting;
    private bool _bomChecked;
    private long _line;
    private JsonReaderState _array = new(new JsonReaderOptions());
    private long _item;
    private ImportFormat _format;

    private enum Phase
    {
        Detecting,
        Lines,
        Array,
        Done,
    }

    /// <summary>The detected format; <see cref="ImportFormat.Unknown"/> until known.</summary>
    public ImportFormat Format => _format == ImportFormat.Unknown ? _lines.Format : _format;

    /// <summary>True once the input is fully read or stopped; later calls read nothing.</summary>
    public bool IsDone => _phase == Phase.Done;

    /// <summary>
    /// Parses the complete records at the start of <paramref name="buffer"/> into
    /// <paramref name="records"/> and returns where the unread rest starts (pass it again, with more
    /// input after it). With <paramref name="isFinal"/> the buffer is the rest of the input: all of it is
    /// read and the parser is done.
    /// </summary>
    public SequencePosition Parse(ReadOnlySequence<byte> buffer, bool isFinal, ICollection<CatalogRecord> records)
    {
        if (_phase == Phase.Detecting && !TryDetect(ref buffer, isFinal, records))
        {
            return IsDone ? buffer.End : buffer.Start;
        }

        return _phase switch
        {
            Phase.Lines => ParseLines(buffer, isFinal, records),
            Phase.Array => ParseArray(buffer, isFinal, records),
            _ => buffer.End,
        };
    }

    /// <summary>Every record of a whole input, fed in pieces of <paramref name="chunkBytes"/> as a stream would deliver it.</summary>
    public static (ImportFormat Format, IReadOnlyList<CatalogRecord> Records) ParseAll(
        ReadOnlyMemory<byte> input, int maxLineBytes, int chunkBytes = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        var parser = new CatalogRecordParser(maxLineBytes);
        var records = new List<CatalogRecord>();
        var start = 0;
        var end = 0;
        while (!parser.IsDone)
        {
            end = (int)Math.Min(input.Length, (long)end + chunkBytes);
            var buffer = new ReadOnlySequence<byte>(input[start..end]);
            var consumed = parser.Parse(buffer, isFinal: end == input.Length, records);
            start += (int)buffer.Slice(0, consumed).Length;
        }

        return (parser.Format, records);
    }

    /// <summary>Skips a BOM and finds the format; false while more input is needed or when the input stopped.</summary>
    private bool TryDetect(ref ReadOnlySequence<byte> buffer, bool isFinal, ICollection<CatalogRecord> records)
    {
        if (!_bomChecked)
        {
            if (buffer.Length < Bom.Length && !isFinal)
            {
                return false;
            }

            _bomChecked = true;
            if (new SequenceReader<byte>(buffer).IsNext(Bom))
            {
                buffer = buffer.Slice(Bom.Length);
            }
        }

        var reader = new SequenceReader<byte>(buffer);
        reader.AdvancePastAny(0x20, 0x09, 0x0A, 0x0D);
        if (!reader.TryPeek(out var first))
        {
            if (isFinal)
            {
                Stop(records, "the input is empty", null);
            }

            return false;
        }

        switch (first)
        {
            case (byte)'[':
                _format = ImportFormat.JsonArray;
                _phase = Phase.Array;
                return true;
            case (byte)'{':
                _phase = Phase.Lines;
                return true;
            default:
                Stop(records, $"unrecognised format: expected a JSON array ('['), JSON lines or Elasticsearch bulk NDJSON ('{{'), found '{(char)first}'", null);
                return false;
        }
    }

    private SequencePosition ParseLines(ReadOnlySequence<byte> buffer, bool isFinal, ICollection<CatalogRecord> records)
    {
        while (TryReadLine(ref buffer, out var line))
        {
            if (!TryInterpret(line, records))
            {
                return buffer.End;
            }
        }

        if (!isFinal)
        {
            // The rest is an incomplete line: wait for its end, unless it is already too long (which stops).
            if (buffer.Length <= maxLineBytes)
            {
                return buffer.Start;
            }

            _ = TryInterpret(buffer, records);
            return buffer.End;
        }

        if (!buffer.IsEmpty && !TryInterpret(buffer, records))
        {
            return buffer.End;
        }

        if (_lines.Complete() is { } last)
        {
            records.Add(last);
        }

        _phase = Phase.Done;
        return buffer.End;
    }

    /// <summary>Numbers the line and interprets it; false (and stopped) when it is longer than the limit.</summary>
    private bool TryInterpret(ReadOnlySequence<byte> line, ICollection<CatalogRecord> records)
    {
        _line++;
        if (line.Length > maxLineBytes)
        {
            Stop(records,
                $"line {_line} is longer than Search:Import:MaxLineBytes ({maxLineBytes}); the import stopped there",
                new ImportError(_line, null, $"line is longer than {maxLineBytes} bytes"));
            return false;
        }

        if (_lines.Interpret(line, _line) is { } record)
        {
            records.Add(record);
        }

        return true;
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

    /// <summary>
    /// The array's items, one JSON value at a time; an item cut by the end of the buffer is read again
    /// with the next one. Malformed JSON stops the input (the array cannot be re-synchronised).
    /// </summary>
    private SequencePosition ParseArray(ReadOnlySequence<byte> buffer, bool isFinal, ICollection<CatalogRecord> records)
    {
        var reader = new Utf8JsonReader(buffer, isFinal, _array);
        try
        {
            while (true)
            {
                var (before, state) = (reader.Position, reader.CurrentState);
                if (!reader.Read())
                {
                    _array = reader.CurrentState;
                    _phase = isFinal ? Phase.Done : _phase;
                    return reader.Position;
                }

                if (reader.CurrentDepth != 1 || reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    continue;
                }

                if (!JsonDocument.TryParseValue(ref reader, out var item))
                {
                    _array = state;
                    return before;
                }

                using (item)
                {
                    records.Add(Item(item.RootElement, ++_item));
                }
            }
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } l ? l + 1 : (long?)null;
            Stop(records, $"the JSON array is malformed after item {_item}; the import stopped there",
                new ImportError(line, _item + 1, $"invalid JSON: {ex.Message}"));
            return buffer.End;
        }
    }

    private static CatalogRecord Item(JsonElement element, long item)
    {
        try
        {
            return new CatalogRecord.Document(CatalogJson.Parse(element), null, item);
        }
        catch (CatalogFormatException ex)
        {
            return new CatalogRecord.Rejected(new ImportError(null, item, ex.Message));
        }
    }

    private void Stop(ICollection<CatalogRecord> records, string reason, ImportError? error)
    {
        records.Add(new CatalogRecord.Stopped(reason, error));
        _phase = Phase.Done;
    }
}
