using Microsoft.AspNetCore.Authorization;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>
/// The roles an API key may hold and the one policy per role. Every route that changes state calls
/// one of <see cref="RequireOperator{TBuilder}"/> / <see cref="RequireIngest{TBuilder}"/> (or, for a
/// stateless POST, <see cref="RequireReader{TBuilder}"/>); <c>EndpointAuthorizationTests</c> fails for
/// any non-GET route without one, so a new route cannot be left open by accident.
/// </summary>
public static class Roles
{
    /// <summary>Model lifecycle, import, reclassification, judgments, evaluations that write.</summary>
    public const string Operator = "operator";

    /// <summary><c>POST /api/posts</c>.</summary>
    public const string Ingest = "ingest";

    /// <summary>Reads, when <c>Auth:RequireReaderKey</c> is on.</summary>
    public const string Reader = "reader";

    public static readonly IReadOnlyList<string> All = [Operator, Ingest, Reader];

    /// <summary>The policy name of a role's routes.</summary>
    public static string Policy(string role) => "role:" + role;

    /// <summary>Which roles satisfy a route's role: an operator key may do everything, any key may read.</summary>
    public static IReadOnlyList<string> Satisfying(string role) => role switch
    {
        Operator => [Operator],
        Ingest => [Ingest, Operator],
        _ => All,
    };

    public static TBuilder RequireOperator<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(Policy(Operator));

    public static TBuilder RequireIngest<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(Policy(Ingest));

    /// <summary>Open unless <c>Auth:RequireReaderKey</c>; then any valid key (or loopback).</summary>
    public static TBuilder RequireReader<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(Policy(Reader));
}

/// <summary>A route's role: met by loopback (when allowed), by a key holding a satisfying role, or (reader, when reads are open) by anyone.</summary>
public sealed class RoleRequirement(string role) : IAuthorizationRequirement
{
    public string Role { get; } = role;
}
