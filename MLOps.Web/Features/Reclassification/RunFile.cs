namespace MLOps.Web.Features.Reclassification;

/// <summary>One run as <see cref="FileRunRepository"/> writes it (<c>&lt;id&gt;.run.json</c>).</summary>
internal sealed class RunFile
{
    public string RunId { get; set; } = "";
    public string Status { get; set; } = RunStatus.Planning;
    public string? Reason { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public RunPlan? Plan { get; set; }
    public Dictionary<int, string> ChunkJobs { get; set; } = [];
    public SortedSet<int> Done { get; set; } = [];
    public SortedSet<int> Failed { get; set; } = [];
    public Dictionary<int, ChunkStats> Stats { get; set; } = [];
    public Dictionary<int, string> Errors { get; set; } = [];

    public RunState ToState() => new()
    {
        RunId = RunId,
        Status = Status,
        Reason = Reason,
        CreatedAt = CreatedAt,
        StartedAt = StartedAt,
        FinishedAt = FinishedAt,
        Plan = Plan,
        Error = Error,
        ChunkJobs = new Dictionary<int, string>(ChunkJobs),
    };

    public RunProgress ToProgress() => new()
    {
        Status = Status,
        Done = new HashSet<int>(Done),
        Failed = new HashSet<int>(Failed),
        Stats = new Dictionary<int, ChunkStats>(Stats),
        Errors = new Dictionary<int, string>(Errors),
    };
}
