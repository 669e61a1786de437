using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Every route of the app that is not a GET or HEAD carries a role policy (<c>.RequireOperator()</c>,
/// <c>.RequireIngest()</c> or <c>.RequireReader()</c>), found by walking the app's own
/// <see cref="EndpointDataSource"/>: a route added later (quantize, train, ...) without one fails
/// here until it is protected. The routes known today are also pinned to their role, so a change of
/// role is a visible decision.
/// </summary>
public sealed class EndpointAuthorizationTests(DefaultAppFactory app) : IClassFixture<DefaultAppFactory>
{
    /// <summary>
    /// The role of each state-changing route, decided one by one. Classify routes only read (they
    /// score text and change nothing), so they take the reader policy: open unless
    /// Auth:RequireReaderKey. POST /api/evaluations writes the evaluation history, so it is operator.
    /// </summary>
    private static readonly Dictionary<string, string> Decided = new(StringComparer.Ordinal)
    {
        ["POST /api/models/"] = "operator",
        ["POST /api/models/{id}/promote"] = "operator",
        ["POST /api/models/rollback"] = "operator",
        ["POST /api/models/{id}/evaluate"] = "operator",
        ["POST /api/models/{id}/calibrate"] = "operator",
        ["POST /api/catalog/import"] = "operator",
        ["POST /api/reclassify/"] = "operator",
        ["PUT /api/judgments/{set}"] = "operator",
        ["DELETE /api/judgments/{set}"] = "operator",
        ["POST /api/evaluations/"] = "operator",
        ["POST /api/evaluations/champion-challenger"] = "operator",
        ["POST /api/posts/"] = "ingest",
        ["POST /api/classify/"] = "reader",
        ["POST /api/classify/batch"] = "reader",
        ["POST /classify"] = "reader",
        ["POST /v1/models/{name}:predict"] = "reader",
    };

    /// <summary>Non-GET routes that may have no role policy at all, each with why. None today.</summary>
    private static readonly Dictionary<string, string> AllowedWithoutRole = new(StringComparer.Ordinal);

    private List<(string Route, string? Role)> StateChangingRoutes()
    {
        var sources = app.Services.GetServices<EndpointDataSource>();
        return [.. sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Where(m => m is not ("GET" or "HEAD"))
                .Select(m => (Route: $"{m} {Normalize(e.RoutePattern.RawText)}", Role: RoleOf(e))))
            .Distinct()];
    }

    private static string Normalize(string? pattern) => "/" + (pattern ?? "").TrimStart('/');

    private static string? RoleOf(Endpoint endpoint) =>
        endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>()
            .Select(a => a.Policy)
            .FirstOrDefault(p => p?.StartsWith("role:", StringComparison.Ordinal) == true)?["role:".Length..];

    [Fact]
    public void Every_non_get_route_requires_a_role()
    {
        var routes = StateChangingRoutes();
        Assert.NotEmpty(routes);
        var open = routes.Where(r => r.Role is null && !AllowedWithoutRole.ContainsKey(r.Route)).Select(r => r.Route).ToList();
        Assert.True(open.Count == 0,
            "These routes change state but require no role; add .RequireOperator() (or .RequireIngest(), or .RequireReader() for a stateless POST): "
            + string.Join(", ", open));
    }

    [Fact]
    public void The_known_routes_keep_the_role_decided_for_them()
    {
        var routes = StateChangingRoutes().ToDictionary(r => r.Route, r => r.Role, StringComparer.Ordinal);
        foreach (var (route, role) in Decided)
        {
            Assert.True(routes.TryGetValue(route, out var actual), $"{route} is no longer mapped; known: {string.Join(", ", routes.Keys)}");
            Assert.Equal(role, actual);
        }
    }
}
