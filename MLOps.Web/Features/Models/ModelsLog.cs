namespace MLOps.Web.Features.Models;

internal static partial class ModelsLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Materialised built-in model {ModelId} in {ElapsedMs} ms")]
    public static partial void Materialized(ILogger logger, string modelId, long elapsedMs);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Built-in model {ModelId} already present")]
    public static partial void AlreadyPresent(ILogger logger, string modelId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Model {ModelId} loaded in {ElapsedMs} ms")]
    public static partial void Loaded(ILogger logger, string modelId, long elapsedMs);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Model {ModelId} could not be loaded: {Reason}")]
    public static partial void LoadFailed(ILogger logger, Exception exception, string modelId, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Model {ModelId} promoted (previous {PreviousId}): {Reason}")]
    public static partial void Promoted(ILogger logger, string modelId, string? previousId, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Model {ModelId} registered from {Source}")]
    public static partial void Registered(ILogger logger, string modelId, string source);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Model registration from {Source} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Model lifecycle observer {Observer} failed")]
    public static partial void ObserverFailed(ILogger logger, Exception exception, string observer);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Skipping model folder {Directory}: {Reason}")]
    public static partial void SkippedFolder(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Error, Message = "Built-in model {ModelId} could not be materialised")]
    public static partial void MaterializeFailed(ILogger logger, Exception exception, string modelId);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Serving {ModelId} instead of {WantedId}: {Reason}")]
    public static partial void Fallback(ILogger logger, string modelId, string wantedId, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Quantized {SourceId} to {ModelId} in {ElapsedMs} ms ({Nodes} int8 nodes, {Bytes} bytes, lowest check cosine {MinCosine})")]
    public static partial void Quantized(ILogger logger, string sourceId, string modelId, long elapsedMs, int nodes, long bytes, double? minCosine);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Serving {ModelId}, the fp32 source of the configured {ConfiguredId}: {Reason}")]
    public static partial void QuantizedDefaultMissing(ILogger logger, string modelId, string configuredId, string reason);
}
