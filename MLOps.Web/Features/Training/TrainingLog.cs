namespace MLOps.Web.Features.Training;

internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Training job {JobId} enqueued from {BaseModel}")]
    public static partial void Enqueued(ILogger logger, string jobId, string baseModel);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Training from {BaseModel}: {Text}")]
    public static partial void Progress(ILogger logger, string baseModel, string text);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Trained {ModelId} from {BaseModel} on {Train} set(s), {HeldBack} held back, in {Seconds:F1} s")]
    public static partial void Trained(ILogger logger, string modelId, string baseModel, int train, int heldBack, double seconds);
}
