using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Features.Evaluation;

/// <summary>One document's graded relevance, 0 (not relevant) to 3 (perfect).</summary>
public sealed record Judgment(
    [property: JsonPropertyName("document_id")] string DocumentId,
    int Relevance);

/// <summary>A named set of judgments for one query.</summary>
public sealed record JudgmentSet(string Name, JudgedQuery Query, IReadOnlyList<Judgment> Judgments, DateTimeOffset UpdatedAt);

/// <summary>A set without its judgments, for listings.</summary>
public sealed record JudgmentSetSummary(string Name, JudgedQuery Query, int Count, int Relevant, DateTimeOffset UpdatedAt);

/// <summary>JSON body of <c>PUT /api/judgments/{set}</c>.</summary>
public sealed record JudgmentSetRequest(JudgedQueryRequest? Query, IReadOnlyList<JudgmentRequest>? Judgments);

/// <summary>The query part of a <see cref="JudgmentSetRequest"/>.</summary>
public sealed record JudgedQueryRequest(string? Genre, string? Tag, string? Text);

/// <summary>One judgment as sent; validated into a <see cref="Judgment"/>.</summary>
public sealed record JudgmentRequest(
    [property: JsonPropertyName("document_id")] string? DocumentId,
    int? Relevance);

/// <summary>Judgment set names: letters, digits, '_' and '-', 1 to 64 characters (they become file names and Redis fields).</summary>
public static partial class JudgmentSetName
{
    public const int MaxLength = 64;

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>Durable storage of judgment sets: Redis when configured, else one JSON file per set.</summary>
public interface IJudgmentStore
{
    Task<IReadOnlyList<JudgmentSet>> ListAsync(CancellationToken cancellationToken);

    Task<JudgmentSet?> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a set; returns true when it was created.</summary>
    Task<bool> PutAsync(JudgmentSet set, CancellationToken cancellationToken);

    /// <summary>Removes a set; false when there was none.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);
}
