using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MLOps.Web.Features.Trending;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Tests.Support;
using StackExchange.Redis;

namespace MLOps.Web.Tests.Integration.Trending;

/// <summary>
/// The trending feature's real registrations (AddRedis + AddTrending) in a host that is built but
/// not started, so tests drive sources and slides themselves.
/// </summary>
public sealed class TrendingHarness : IDisposable
{
    private readonly IHost _host;

    public TrendingHarness(
        IDictionary<string, string?> settings,
        TimeProvider? time = null,
        IConnectionMultiplexer? redis = null,
        IReconnectDelay? delay = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = "Testing",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        if (delay is not null)
        {
            builder.Services.AddSingleton(delay);
        }

        builder.AddRedis();
        if (redis is not null)
        {
            builder.Services.AddSingleton(redis);
        }

        builder.AddTrending();
        _host = builder.Build();
    }

    public IServiceProvider Services => _host.Services;

    public ITrendingStore Store => Services.GetRequiredService<ITrendingStore>();

    public PostIngestor Ingestor => Services.GetRequiredService<PostIngestor>();

    public TrendingMetrics Metrics => Services.GetRequiredService<TrendingMetrics>();

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public void Dispose() => _host.Dispose();
}

/// <summary>Records reconnect delays instead of waiting; optionally cancels the source after N reconnects.</summary>
public sealed class RecordingDelay : IReconnectDelay
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();

    public IReadOnlyList<TimeSpan> Delays => [.. _delays];

    public Action<int>? OnDelay { get; set; }

    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        _delays.Enqueue(delay);
        OnDelay?.Invoke(_delays.Count);
        return Task.Delay(10, cancellationToken);
    }
}

/// <summary>A recorded request to <see cref="LocalStreamServer"/>.</summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, string? Authorization, string? Accept, string Body);

/// <summary>
/// A Kestrel server on 127.0.0.1 (free port) that answers with scripted handlers, in order per
/// path; once a path's script is used up its last handler repeats.
/// </summary>
public sealed class LocalStreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<RequestDelegate>> _scripts = new();
    private readonly ConcurrentDictionary<string, RequestDelegate> _last = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private LocalStreamServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<LocalStreamServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new LocalStreamServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    /// <summary>Queues handlers for requests to <paramref name="path"/> (path only, no query).</summary>
    public void Script(string path, params RequestDelegate[] handlers)
    {
        var queue = _scripts.GetOrAdd(path, _ => new ConcurrentQueue<RequestDelegate>());
        foreach (var h in handlers)
        {
            queue.Enqueue(h);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new StreamReader(context.Request.Body);
        var text = await body.ReadToEndAsync(context.RequestAborted);
        _requests.Enqueue(new RecordedRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null,
            context.Request.Headers.Accept.ToString() is { Length: > 0 } acc ? acc : null,
            text));
        var path = context.Request.Path.Value ?? "/";
        RequestDelegate? handler = null;
        if (_scripts.TryGetValue(path, out var queue) && queue.TryDequeue(out var next))
        {
            handler = next;
            _last[path] = next;
        }
        else if (_last.TryGetValue(path, out var last))
        {
            handler = last;
        }

        if (handler is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        await handler(context);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
    }

    // Handlers speaking the wire formats.

    public static RequestDelegate Status(int status, string body = "") => async ctx =>
    {
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsync(body, ctx.RequestAborted);
    };

    public static RequestDelegate Json(int status, string json) => async ctx =>
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(json, ctx.RequestAborted);
    };

    /// <summary>Writes each chunk and flushes it (chunked transfer encoding); then either ends, aborts, or holds the connection.</summary>
    public static RequestDelegate Chunks(string contentType, IEnumerable<string> chunks, StreamEnd end = StreamEnd.Close, TimeSpan? pause = null) => async ctx =>
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = contentType;
        await ctx.Response.StartAsync(ctx.RequestAborted);
        foreach (var chunk in chunks)
        {
            await ctx.Response.WriteAsync(chunk, ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            if (pause is { } p)
            {
                await Task.Delay(p, ctx.RequestAborted);
            }
        }

        switch (end)
        {
            case StreamEnd.Abort:
                ctx.Abort();
                break;
            case StreamEnd.Hold:
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }

                break;
        }
    };

    public enum StreamEnd
    {
        Close,
        Abort,
        Hold,
    }
}

/// <summary>Free TCP ports and a redis-server process of our own (restart tests).</summary>
public sealed class OwnRedisServer : IDisposable
{
    private readonly string _dir = TempDirectory.Create("trending-redis");
    private System.Diagnostics.Process? _process;

    public OwnRedisServer(string binary)
    {
        Binary = binary;
        Port = FreePort();
    }

    public string Binary { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task StartAsync()
    {
        _process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Binary,
            $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --dir {_dir}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"redis-server did not start on port {Port}");
    }

    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class RedisTestSettings
{
    /// <summary>Settings for a Redis-backed trending store on the shared test server, isolated by unique keys.</summary>
    public static Dictionary<string, string?> For(string endpoint, string redisKey, string? prefix = null) => new()
    {
        ["Redis:ConnectionString"] = endpoint,
        ["Redis:KeyPrefix"] = prefix ?? $"test-{Guid.NewGuid():N}:",
        ["Trending:Store"] = "redis",
        ["Trending:RedisKey"] = redisKey,
        ["Trending:Source"] = "push",
    };

    public static ConfigurationOptions FailFast(string endpoint)
    {
        var config = ConfigurationOptions.Parse(endpoint);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 1000;
        config.AsyncTimeout = 2000;
        config.SyncTimeout = 2000;
        config.ReconnectRetryPolicy = new LinearRetry(200);
        config.BacklogPolicy = BacklogPolicy.FailFast;
        return config;
    }
}
