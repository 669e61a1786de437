namespace MLOps.Web.Shared.Evaluation;

/// <summary>A judgment set as other features read it: its query and each judged document's grade (0-3).</summary>
public sealed record JudgedSet(string Name, JudgedQuery Query, IReadOnlyDictionary<string, int> Grades, DateTimeOffset UpdatedAt);

/// <summary>The judgment sets the service holds, read-only (training reads them); the evaluation feature implements it over its store.</summary>
public interface IJudgedSets
{
    Task<IReadOnlyList<JudgedSet>> ListAsync(CancellationToken cancellationToken);
}
