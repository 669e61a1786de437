using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace MLOps.Web.Tests.Support;

/// <summary>
/// The app as another machine sees it: every request's connection comes from <see cref="Remote"/>
/// (set before anything else in the pipeline runs), unless a test sets the peer per request with
/// the <c>X-Test-Peer</c> header. The test server itself has no network peer.
/// </summary>
public sealed class RemoteClientFactory(IDictionary<string, string?>? settings, IPAddress remote) : MLOpsFactory(settings)
{
    public const string PeerHeader = "X-Test-Peer";

    public IPAddress Remote { get; } = remote;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<IStartupFilter>(new PeerFilter(Remote)));
    }

    private sealed class PeerFilter(IPAddress remote) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, Func<Task> inner) =>
            {
                context.Connection.RemoteIpAddress = context.Request.Headers.TryGetValue(PeerHeader, out var peer) ? IPAddress.Parse(peer.ToString()) : remote;
                context.Connection.LocalIpAddress = IPAddress.Parse("10.9.9.9");
                return inner();
            });
            next(app);
        };
    }
}
