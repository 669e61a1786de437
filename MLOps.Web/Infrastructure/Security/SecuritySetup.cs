using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>
/// Authentication (API keys), the role policies, forwarded headers (only from configured proxies)
/// and the rate limiter, registered once for the host; <see cref="UseSecurity"/> puts them in the pipeline.
/// </summary>
public static class SecuritySetup
{
    public static IHostApplicationBuilder AddSecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.KnownProxies.All(p => IPAddress.TryParse(p, out _)), "Auth:KnownProxies must be IP addresses.")
            .Validate(o => o.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "Auth:KnownNetworks must be CIDR networks such as 10.0.0.0/8.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddSingleton<IAuthorizationHandler, RoleRequirementHandler>();
        builder.Services.AddAuthorization(o =>
        {
            foreach (var role in Roles.All)
            {
                o.AddPolicy(Roles.Policy(role), p => p.AddRequirements(new RoleRequirement(role)));
            }

            // Routes that say nothing are reads: open unless Auth:RequireReaderKey. Middleware with no
            // endpoint (the Hangfire dashboard, static files) keeps its own rule.
            o.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(new RoleRequirement(Roles.Reader)).Build();
        });
        builder.Services.AddSingleton<IPostConfigureOptions<ForwardedHeadersOptions>, ForwardedHeadersFromKnownProxies>();
        builder.AddRateLimits();
        return builder;
    }

    /// <summary>Original peer, forwarded headers, authentication, authorization, rate limits: in that order.</summary>
    public static WebApplication UseSecurity(this WebApplication app)
    {
        app.UseOriginalPeer();
        app.UseForwardedHeaders();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        _ = app.Services.GetRequiredService<ApiKeys>();
        return app;
    }

    /// <summary>
    /// Forwarded headers from the configured proxies and networks only; none by default (ASP.NET
    /// Core's default trusts loopback, which would let a local proxy rewrite the client address).
    /// </summary>
    private sealed class ForwardedHeadersFromKnownProxies(IOptions<AuthOptions> auth) : IPostConfigureOptions<ForwardedHeadersOptions>
    {
        public void PostConfigure(string? name, ForwardedHeadersOptions options)
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in auth.Value.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in auth.Value.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        }
    }
}
