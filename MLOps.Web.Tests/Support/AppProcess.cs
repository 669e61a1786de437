using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MLOps.Web.Tests.Support;

/// <summary>
/// The built app (<c>dotnet MLOps.Web.dll</c>) as a process of its own, so a test can SIGKILL it (no
/// shutdown code runs). Settings become environment variables (<c>Section__Key</c>); output is kept for
/// diagnostics.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppProcess(Process process, int port, string name)
    {
        _process = process;
        Name = name;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name { get; }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    public static AppProcess Start(IReadOnlyDictionary<string, string> settings, string name)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var psi = new ProcessStartInfo(host)
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLOps.Web.dll"));
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__MLOps"] = "Information";
        foreach (var (key, value) in settings)
        {
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = psi };
        var app = new AppProcess(process, port, name);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return app;
    }

    /// <summary>Polls <paramref name="path"/> until it answers JSON that <paramref name="accept"/> takes (any status code).</summary>
    public async Task<JsonElement> WaitForJsonAsync(string path, Func<JsonElement, bool> accept, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        JsonElement last = default;
        while (clock.Elapsed < timeout)
        {
            Assert.False(_process.HasExited, $"the {Name} process exited" + Tail());
            try
            {
                using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
                var text = await response.Content.ReadAsStringAsync();
                if (text.StartsWith('{'))
                {
                    last = JsonDocument.Parse(text).RootElement.Clone();
                    if (accept(last))
                    {
                        return last;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow first answer
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name}: {path} did not answer as expected within {timeout}; last {last}" + Tail());
    }

    public async Task<string> GetStringAsync(string path) => await Client.GetStringAsync(new Uri(path, UriKind.Relative));

    /// <summary>SIGKILL: no shutdown code runs, the lease is not released.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public string Tail()
    {
        lock (_output)
        {
            var text = _output.ToString();
            return $"\n--- {Name} process output (last 4000 chars) ---\n" + text[Math.Max(0, text.Length - 4000)..];
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
