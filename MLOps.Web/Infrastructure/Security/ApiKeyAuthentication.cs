using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>
/// The <c>ApiKey</c> scheme: a key in <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key</c>.
/// No key: no identity (the role handler may still let loopback through). A wrong key: 401. The
/// challenge (401) and forbid (403) answers are ProblemDetails that say what is missing.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Match(presented) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, key.Name) };
        claims.AddRange(key.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"mlops\"";
        var detail = Presented(Request) is null
            ? "This route needs an API key (Authorization: Bearer <key> or X-Api-Key) for requests from other machines."
            : "The API key is not valid.";
        return WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var role = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>()
            .Select(a => a.Policy).FirstOrDefault(p => p?.StartsWith("role:", StringComparison.Ordinal) == true)?["role:".Length..];
        return WriteAsync(StatusCodes.Status403Forbidden, "Forbidden", $"The API key does not have the role this route needs ({role ?? "unknown"}).");
    }

    private async Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    private static string? Presented(HttpRequest request)
    {
        string authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization["Bearer ".Length..].Trim();
            return token.Length > 0 ? token : null;
        }

        var header = request.Headers[HeaderName].ToString().Trim();
        return header.Length > 0 ? header : null;
    }
}

/// <summary>Meets a <see cref="RoleRequirement"/> as <see cref="Roles"/> describes.</summary>
public sealed class RoleRequirementHandler(IOptions<AuthOptions> options) : AuthorizationHandler<RoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
    {
        var o = options.Value;
        var http = context.Resource as HttpContext;
        // No endpoint: middleware such as the Hangfire dashboard, which keeps its own rule (and a 404).
        var notARoute = requirement.Role == Roles.Reader && http is not null && http.GetEndpoint() is null;
        var open = notARoute || (requirement.Role == Roles.Reader && !o.RequireReaderKey);
        var local = o.AllowLoopback && http is not null && RequestLocality.IsLocal(http);
        var keyed = Roles.Satisfying(requirement.Role).Any(context.User.IsInRole);
        if (open || local || keyed)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
