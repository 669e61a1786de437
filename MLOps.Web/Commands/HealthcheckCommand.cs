using System.Globalization;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>dotnet MLOps.Web.dll healthcheck [url]</c>: GETs the running app's <c>/healthz</c> and exits 0
/// when it answers 2xx, 1 otherwise. The container image's HEALTHCHECK uses it, because the ASP.NET
/// runtime image has no curl or wget. It builds no host, so it starts fast, binds no port and
/// touches no data.
/// </summary>
/// <param name="Url">The URL to probe; null: <c>/healthz</c> on the port Kestrel is configured for.</param>
public sealed record HealthcheckCommand(string? Url = null) : AppCommand
{
    /// <summary>The command-line verb.</summary>
    public const string Verb = "healthcheck";

    /// <summary>The path it probes when no URL is given.</summary>
    public const string DefaultPath = "/healthz";

    /// <summary>How long it waits for an answer (the image's HEALTHCHECK --timeout is longer).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    private static readonly VerbSpec Spec = new(Verb, Flags: [], Options: [], MaxPositionals: 1, AcceptsSettings: false);

    /// <summary><c>healthcheck [url]</c>; the URL must be an absolute http(s) URL.</summary>
    internal static HealthcheckCommand FromArguments(IReadOnlyList<string> args)
    {
        var url = VerbArguments.Split(Spec, args).Positionals.FirstOrDefault();
        if (url is not null)
        {
            _ = VerbArguments.ParseHttpUrl(url, $"{Verb}: the url");
        }

        return new HealthcheckCommand(url);
    }

    /// <summary>Probes the app and returns the process exit code: 0 healthy, 1 not.</summary>
    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        Uri target;
        try
        {
            target = ResolveTarget(Url, Environment.GetEnvironmentVariable);
        }
        catch (FormatException ex)
        {
            await output.WriteLineAsync($"unhealthy: {ex.Message}".AsMemory(), cancellationToken);
            return 1;
        }

        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(target, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var code = (int)response.StatusCode;
            var healthy = response.IsSuccessStatusCode;
            await output.WriteLineAsync($"{(healthy ? "healthy" : "unhealthy")}: GET {target} -> {code}".AsMemory(), cancellationToken);
            return healthy ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            var reason = ex is TaskCanceledException ? $"no answer within {Timeout.TotalSeconds:F0} s" : ex.Message;
            await output.WriteLineAsync($"unhealthy: GET {target} failed: {reason}".AsMemory(), CancellationToken.None);
            return 1;
        }
    }

    /// <summary>
    /// The URL to probe: <paramref name="url"/> when given (absolute URL), else <c>/healthz</c> on
    /// localhost at the first port of <c>ASPNETCORE_HTTP_PORTS</c>, else of the first
    /// <c>ASPNETCORE_URLS</c> entry, else 8080 (the image's port).
    /// </summary>
    public static Uri ResolveTarget(string? url, Func<string, string?> environment)
    {
        if (url is not null)
        {
            return Uri.TryCreate(url, UriKind.Absolute, out var explicitUri) && explicitUri.Scheme is "http" or "https"
                ? explicitUri
                : throw new FormatException($"'{url}' is not an absolute http(s) URL.");
        }

        var port = FirstPort(environment("ASPNETCORE_HTTP_PORTS"))
            ?? PortOfFirstUrl(environment("ASPNETCORE_URLS"))
            ?? 8080;
        return new Uri($"http://localhost:{port.ToString(CultureInfo.InvariantCulture)}{DefaultPath}");
    }

    private static int? FirstPort(string? ports)
    {
        var first = ports?.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"ASPNETCORE_HTTP_PORTS '{ports}' does not start with a port number.");
    }

    private static int? PortOfFirstUrl(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (first is null)
        {
            return null;
        }

        // Kestrel accepts wildcard hosts (http://+:8080, http://*:8080) that Uri does not parse.
        var normalized = first.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri)
            ? uri.Port
            : throw new FormatException($"ASPNETCORE_URLS '{urls}' does not start with an http URL.");
    }
}
