using System.Text;
using MLOps.Web.Features.Trending;

namespace MLOps.Web.Tests.Unit.Trending;

public class ServerSentEventParserTests
{
    private static List<ServerSentEvent> Parse(params string[] lines)
    {
        var parser = new ServerSentEventParser();
        return lines.Select(parser.Feed).Where(e => e is not null).Select(e => e!.Value).ToList();
    }

    [Fact]
    public void Multi_line_data_is_joined_with_newlines_and_dispatched_on_a_blank_line()
    {
        var events = Parse("event: update", "data: {\"a\":", "data:1}", "", "event: delete", "data: 42", "");
        Assert.Equal([new ServerSentEvent("update", "{\"a\":\n1}"), new ServerSentEvent("delete", "42")], events);
    }

    [Fact]
    public void Comments_are_heartbeats_and_do_not_dispatch()
    {
        var events = Parse(":)", ":thump", "", "data: x", ": mid-event comment", "");
        Assert.Equal([new ServerSentEvent("message", "x")], events);
    }

    [Fact]
    public void An_event_without_data_is_not_dispatched_and_does_not_leak_its_type()
    {
        var events = Parse("event: update", "", "data: y", "");
        Assert.Equal([new ServerSentEvent("message", "y")], events);
    }
}

public class LineReaderTests
{
    private static async Task<(List<LineRead> Reads, bool EndedMidLine)> ReadAll(string content, int maxLine = 1 << 20)
    {
        using var reader = new LineReader(new MemoryStream(Encoding.UTF8.GetBytes(content)), maxLine);
        var reads = new List<LineRead>();
        while (true)
        {
            var read = await reader.ReadLineAsync(CancellationToken.None);
            if (read.EndOfStream)
            {
                return (reads, reader.EndedMidLine);
            }

            reads.Add(read);
        }
    }

    [Fact]
    public async Task Crlf_keep_alives_are_empty_lines_and_a_cut_last_line_is_dropped()
    {
        var (reads, endedMidLine) = await ReadAll("{\"a\":1}\r\n\r\n{\"b\":2}\n{\"c\":");
        Assert.Equal(["{\"a\":1}", "", "{\"b\":2}"], reads.Select(r => r.Line));
        Assert.True(endedMidLine);
    }

    [Fact]
    public async Task Over_long_lines_are_skipped_and_reported()
    {
        var (reads, endedMidLine) = await ReadAll(new string('x', 50_000) + "\nok\n", maxLine: 1000);
        Assert.True(reads[0].TooLong);
        Assert.Equal("ok", reads[1].Line);
        Assert.False(endedMidLine);
    }
}
