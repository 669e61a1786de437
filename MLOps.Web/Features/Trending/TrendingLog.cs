namespace MLOps.Web.Features.Trending;

/// <summary>Log messages of the trending feature.</summary>
internal static partial class TrendingLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Trending ingest started: source {Source}, store {Store}, window {Window}, slide {Slide}, top {TopN}")]
    public static partial void Started(ILogger logger, string source, string store, TimeSpan window, TimeSpan slide, int topN);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Trending source {Source} failed; restarting in {Delay}")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string source, TimeSpan delay);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Trending source {Source} finished (end of input)")]
    public static partial void SourceFinished(ILogger logger, string source);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Trending slide failed")]
    public static partial void SlideFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Redis flush failed ({Error}); {Pending} counts kept in memory, retrying with backoff")]
    public static partial void RedisFlushFailed(ILogger logger, long pending, string error);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Redis is back after {Downtime}; flushed {Counts} pending counts")]
    public static partial void RedisRecovered(ILogger logger, long counts, TimeSpan downtime);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Redis lost this replica's counts (restart without persistence?); sending the whole live window again ({Pending} pending before)")]
    public static partial void RedisResync(ILogger logger, long pending);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Reading the trending window from Redis failed ({Error}); answering from this replica's window")]
    public static partial void RedisReadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "{Source}: connected to the stream")]
    public static partial void StreamConnected(ILogger logger, string source);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "{Source}: disconnected ({Kind}: {Reason}); reconnecting in {Delay}")]
    public static partial void StreamDisconnected(ILogger logger, string source, DisconnectKind kind, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Debug, Message = "{Source}: skipped a malformed line ({Error})")]
    public static partial void MalformedLine(ILogger logger, string source, string error);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Information, Message = "X stream rules synced: {Deleted} deleted, {Added} added, {Kept} kept")]
    public static partial void RulesSynced(ILogger logger, int deleted, int added, int kept);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Warning, Message = "X stream message with errors: {Errors}")]
    public static partial void StreamErrors(ILogger logger, string errors);
}
