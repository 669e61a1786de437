namespace MLOps.Web.Shared.Evaluation;

/// <summary>A judgment set as other features read it: its query and each judged document's grade (0-3).</summary>
public sealed record JudgedSet(string Name, JudgedQuery Query, IReadOnlyDictionary<string, int> Grades, DateTimeOffset UpdatedAt)
{
    /// <summary>The tag's field key: two sets with the same key judge one tag and share judgments (training holds out a tag, not a set).</summary>
    public static string TagKey(string tag) => LabelNaming.ToFieldKey(tag);

    /// <inheritdoc cref="TagKey(string)"/>
    public string TagKey() => TagKey(Query.Tag);
}

/// <summary>The judgment sets the service holds, read-only (training reads them); the evaluation feature implements it over its store.</summary>
public interface IJudgedSets
{
    Task<IReadOnlyList<JudgedSet>> ListAsync(CancellationToken cancellationToken);
}
