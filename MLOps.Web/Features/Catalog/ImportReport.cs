namespace MLOps.Web.Features.Catalog;

/// <summary>The import formats <see cref="CatalogRecordParser"/> detects.</summary>
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
