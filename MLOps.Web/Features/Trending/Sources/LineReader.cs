using System.Text;

namespace MLOps.Web.Features.Trending;

/// <summary>One read from <see cref="LineReader"/>.</summary>
public readonly record struct LineRead(string? Line, bool TooLong, bool EndOfStream);

/// <summary>
/// Splits a UTF-8 stream into lines ending in <c>\n</c> (a preceding <c>\r</c> is dropped). Only
/// complete lines are returned: a line cut by a disconnect is reported by
/// <see cref="EndedMidLine"/>, never parsed. Lines longer than the limit are skipped (and reported
/// as too long) without buffering them. <see cref="DataReceived"/> fires whenever bytes arrive, so
/// callers can reset a stall timer on keep-alives too.
/// </summary>
public sealed class LineReader(Stream stream, int maxLineLength = 1 << 20) : IDisposable
{
    private readonly StreamReader _reader = new(stream, new UTF8Encoding(false), false, 8192, leaveOpen: true);
    private readonly char[] _buffer = new char[8192];
    private readonly StringBuilder _partial = new();
    private int _start;
    private int _end;
    private bool _overflow;

    public event Action? DataReceived;

    /// <summary>True when the stream ended with an incomplete line, which was dropped.</summary>
    public bool EndedMidLine { get; private set; }

    public async ValueTask<LineRead> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _end > _start ? Array.IndexOf(_buffer, '\n', _start, _end - _start) : -1;
            if (newline >= 0)
            {
                var segment = _buffer.AsSpan(_start, newline - _start);
                _start = newline + 1;
                if (_overflow || _partial.Length + segment.Length > maxLineLength)
                {
                    _overflow = false;
                    _partial.Clear();
                    return new LineRead(null, TooLong: true, EndOfStream: false);
                }

                string line;
                if (_partial.Length > 0)
                {
                    line = _partial.Append(segment).ToString();
                    _partial.Clear();
                }
                else
                {
                    line = segment.ToString();
                }

                return new LineRead(line.EndsWith('\r') ? line[..^1] : line, TooLong: false, EndOfStream: false);
            }

            if (_end > _start)
            {
                if (!_overflow && _partial.Length + (_end - _start) <= maxLineLength)
                {
                    _partial.Append(_buffer, _start, _end - _start);
                }
                else
                {
                    _overflow = true;
                    _partial.Clear();
                }
            }

            _start = _end = 0;
            var read = await _reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
            if (read == 0)
            {
                EndedMidLine = _partial.Length > 0 || _overflow;
                _partial.Clear();
                return new LineRead(null, TooLong: false, EndOfStream: true);
            }

            _end = read;
            DataReceived?.Invoke();
        }
    }

    public void Dispose() => _reader.Dispose();
}
