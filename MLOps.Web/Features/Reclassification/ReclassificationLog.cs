namespace MLOps.Web.Features.Reclassification;

/// <summary>Source-generated log messages of the reclassification feature.</summary>
internal static partial class ReclassificationLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Reclassification run {RunId} planned: {Tags} with model {ModelId}, {Documents} documents in {Chunks} chunks ({Reason})")]
    public static partial void Planned(ILogger logger, string runId, string tags, string modelId, long documents, int chunks, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Reclassification run {RunId}: {Percent:F1}% ({DocumentsDone}/{Documents} documents, {ChunksDone}/{Chunks} chunks), ETA {Eta}")]
    public static partial void Progress(ILogger logger, string runId, double percent, long documentsDone, long documents, int chunksDone, int chunks, string eta);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Reclassification run {RunId} finished {Status}: {Documents} documents in {Seconds:F1} s ({DocsPerSecond:F1} docs/s), {Failed} failed chunks")]
    public static partial void Finished(ILogger logger, string runId, string status, long documents, double seconds, double docsPerSecond, int failed);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Reclassification run {RunId} skipped: {Why}")]
    public static partial void Skipped(ILogger logger, string runId, string why);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Reclassification run {RunId} waits: another run holds the lock; retrying in {Delay}")]
    public static partial void Busy(ILogger logger, string runId, TimeSpan delay);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Reclassification run {RunId} resumes: {Finished}/{Chunks} chunks already finished")]
    public static partial void Resuming(ILogger logger, string runId, int finished, int chunks);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "Chunk {Chunk} of run {RunId}: {Documents} documents, {Embedded} embedded, {CacheHits} cache hits, {Milliseconds:F0} ms")]
    public static partial void ChunkDone(ILogger logger, string runId, int chunk, int documents, int embedded, int cacheHits, double milliseconds);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Chunk {Chunk} of run {RunId} is already finished; nothing to do")]
    public static partial void ChunkAlreadyDone(ILogger logger, string runId, int chunk);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Chunk {Chunk} of run {RunId} failed (attempt {Attempt})")]
    public static partial void ChunkFailed(ILogger logger, Exception exception, string runId, int chunk, int attempt);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "Reclassification run {RunId} failed while planning")]
    public static partial void PlanningFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Recurring job {JobId} scheduled: '{Cron}' in {TimeZone}")]
    public static partial void Scheduled(ILogger logger, string jobId, string cron, string timeZone);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Recurring job {JobId} removed: no cron configured")]
    public static partial void Unscheduled(ILogger logger, string jobId);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "Startup reclassification enqueued as job {JobId}: {Why}")]
    public static partial void StartupEnqueued(ILogger logger, string jobId, string why);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Information, Message = "Startup reclassification not needed: {Why}")]
    public static partial void StartupNotNeeded(ILogger logger, string why);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "Startup reclassification check failed; will retry")]
    public static partial void StartupCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Warning, Message = "Startup reclassification gave up after {Timeout}: {Why}")]
    public static partial void StartupTimedOut(ILogger logger, TimeSpan timeout, string why);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Error, Message = "Could not register the recurring job {JobId}")]
    public static partial void ScheduleFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Warning, Message = "Chunk {Chunk} of run {RunId} re-enqueued as job {JobId} (its job was {State})")]
    public static partial void ChunkRequeued(ILogger logger, string runId, int chunk, string jobId, string state);

    [LoggerMessage(EventId = 5019, Level = LogLevel.Warning, Message = "Reclassification run {RunId}: progress check failed; will check again")]
    public static partial void MonitorFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Chunk {Chunk} of run {RunId}: another copy holds the chunk lock; this job waits {Delay}")]
    public static partial void ChunkBusy(ILogger logger, string runId, int chunk, TimeSpan delay);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Run record {Path} could not be read; it is left out")]
    public static partial void RunFileUnreadable(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Warning, Message = "Chunk {Chunk} of run {RunId} failed after its retries but could not be listed as failed; the coordinator's chunk check lists it")]
    public static partial void ChunkFailureNotRecorded(ILogger logger, Exception exception, string runId, int chunk);
}
