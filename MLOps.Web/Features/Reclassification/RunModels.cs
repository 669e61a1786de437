using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Features.Reclassification;

/// <summary>A tag a run scores: the trending key, the label the model sees, the index field written, and the variants seen with it in the stream (lexical expansion).</summary>
public sealed record RunTag(string Tag, string Label, string Field, IReadOnlyList<string>? Variants = null);

/// <summary>Everything a run fixes when it starts; chunks read it, so every chunk scores the same way.</summary>
public sealed record RunPlan
{
    public required string RunId { get; init; }
    public required string Reason { get; init; }
    public required IReadOnlyList<RunTag> Tags { get; init; }
    public required string ModelId { get; init; }
    public required string ModelSha256 { get; init; }
    public string? HypothesisTemplate { get; init; }
    public required IReadOnlyList<int> ChunkSizes { get; init; }
    public required long TotalDocuments { get; init; }
    public IReadOnlyList<string> RemoveFields { get; init; } = [];
    public required int RetryAttempts { get; init; }
    public IReadOnlyList<int> RetryDelaysSeconds { get; init; } = [];
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>What the relevance planner found per tag (the full plans are stored apart: <see cref="IRunRepository.GetTagPlansAsync"/>); empty for a cross-encoder.</summary>
    public IReadOnlyList<TagPlanSummary> Scoring { get; init; } = [];

    /// <summary>Documents the planner embedded (not cached yet) and read from the cache, and how long planning the tags took.</summary>
    public int PlanEmbedded { get; init; }
    public int PlanCacheHits { get; init; }
    public double PlanMilliseconds { get; init; }

    public int ChunkCount => ChunkSizes.Count;
}

/// <summary>What one chunk did; <see cref="Phases"/> is null for chunks recorded before phases were timed.</summary>
public sealed record ChunkStats(int Documents, int Embedded, int CacheHits, double Milliseconds, string? Server)
{
    public ChunkPhases? Phases { get; init; }
}

/// <summary>
/// Where a chunk's time went, in ms: reading its ids, documents and tag plans (<paramref name="Read"/>),
/// waiting for the model lease (<paramref name="Lease"/>), document inference (<paramref name="Embed"/>),
/// the embedding cache (<paramref name="Cache"/>), scoring from the vectors and plans
/// (<paramref name="Score"/>), the index's bulk update (<paramref name="Write"/>).
/// </summary>
public sealed record ChunkPhases(double Read, double Lease, double Embed, double Cache, double Score, double Write);

/// <summary>
/// Where a run's time went, in seconds, summed over its chunks (<see cref="ChunkPhases"/>), beside
/// planning and the rest of the run's wall time: <see cref="OutsideChunks"/> = duration − planning −
/// the chunks' own time, i.e. job scheduling, bookkeeping and waits between chunks (negative when
/// chunks ran in parallel).
/// </summary>
public sealed record RunSplit(double Plan, double Read, double Lease, double Embed, double Cache, double Score, double Write, double Chunks, double OutsideChunks);

/// <summary>A chunk that failed after its retries.</summary>
public sealed record FailedChunk(int Chunk, string? JobId, string? Error);

/// <summary>One run, as <c>GET /api/reclassify/runs</c> reports it.</summary>
public sealed record ReclassificationRun
{
    public required string Id { get; init; }
    public required string Status { get; init; }
    public string? Reason { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<string> Fields { get; init; } = [];

    /// <summary>Per tag, what the relevance planner searched and found: lexical query and hits, feedback documents, cosine mean and sd, fusion weights.</summary>
    public IReadOnlyList<TagPlanSummary> Scoring { get; init; } = [];
    public double? PlanMilliseconds { get; init; }

    /// <summary>Where the run's time went (<see cref="RunSplit"/>); null until a chunk with timed phases finished.</summary>
    public RunSplit? Split { get; init; }

    /// <summary>Each tag (topic) the run scores: its key, the label the model saw and the field written.</summary>
    public IReadOnlyList<RunTag> TagFields { get; init; } = [];
    public string? Model { get; init; }
    public long Documents { get; init; }
    public long DocumentsDone { get; init; }
    public int Chunks { get; init; }
    public int ChunksDone { get; init; }
    public IReadOnlyList<FailedChunk> FailedChunks { get; init; } = [];
    /// <summary>Documents the chunks embedded (not cached) and read from the embedding cache; together, the documents scored.</summary>
    public long DocumentsEmbedded { get; init; }
    public long EmbeddingCacheHits { get; init; }

    /// <summary>Documents the planner embedded (statistics sample and lexical hits not cached yet; the chunks then find them cached) and read from the cache.</summary>
    public long PlanDocumentsEmbedded { get; init; }
    public long PlanEmbeddingCacheHits { get; init; }
    public IReadOnlyList<string> RemovedFields { get; init; } = [];
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public double? DurationSeconds { get; init; }
    public double? DocsPerSecond { get; init; }
    public double Percent { get; init; }
    public double? EtaSeconds { get; init; }
    public string? Error { get; init; }
    public required string DashboardUrl { get; init; }
}

/// <summary>Body of <c>POST /api/reclassify</c>; every member optional.</summary>
/// <param name="Labels">Explicit labels (hashtags allowed); null or absent: the top trending tags.</param>
/// <param name="Reason">Free text recorded with the run.</param>
public sealed record ReclassifyRequest(IReadOnlyList<string>? Labels = null, string? Reason = null);

/// <summary>Answer of <c>POST /api/reclassify</c>.</summary>
/// <param name="JobId">Hangfire job id of the run; also the run id.</param>
/// <param name="DashboardUrl">Link to the job in the Hangfire dashboard.</param>
public sealed record ReclassifyAccepted(string JobId, string DashboardUrl);
