using System.Net;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>
/// Whether a request comes from this machine: its connection's own peer (as accepted, before any
/// forwarded header is applied) is loopback or this host's address, and it carries no forwarded
/// header at all. So a reverse proxy on the same machine, or anyone sending
/// <c>X-Forwarded-For: 127.0.0.1</c>, never makes a request local. In-process test servers have no
/// peer address and count as local.
/// </summary>
public static class RequestLocality
{
    private const string OriginalPeer = "mlops.original-peer";

    /// <summary>Middleware, first in the pipeline: remembers the connection's peer before forwarded headers rewrite it.</summary>
    public static IApplicationBuilder UseOriginalPeer(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Items[OriginalPeer] = new Peer(context.Connection.RemoteIpAddress, context.Connection.LocalIpAddress);
        return next(context);
    });

    public static bool IsLocal(HttpContext context)
    {
        if (context.Request.Headers.ContainsKey("X-Forwarded-For") || context.Request.Headers.ContainsKey("Forwarded")
            || context.Request.Headers.ContainsKey("X-Original-For"))
        {
            return false;
        }

        var peer = context.Items.TryGetValue(OriginalPeer, out var p) && p is Peer original
            ? original
            : new Peer(context.Connection.RemoteIpAddress, context.Connection.LocalIpAddress);
        return peer.Remote is null || IPAddress.IsLoopback(peer.Remote) || peer.Remote.Equals(peer.Local);
    }

    private sealed record Peer(IPAddress? Remote, IPAddress? Local);
}
