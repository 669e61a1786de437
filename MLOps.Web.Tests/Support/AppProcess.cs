using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MLOps.Web.Features.Reclassification;

namespace MLOps.Web.Tests.Support;

/// <summary>One <c>dotnet MLOps.Web.dll</c> process, its output kept for diagnostics.</summary>
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

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    /// <summary>
    /// Settings for a process that runs reclassification on demand only: the data directory, pushed posts,
    /// the shared built-in model cache, no start-up or scheduled run or evaluation, fast progress checks;
    /// <paramref name="extra"/> on top.
    /// </summary>
    public static Dictionary<string, string> OnDemandRunSettings(string dataDirectory, IReadOnlyDictionary<string, string> extra)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Storage:DataDirectory"] = dataDirectory,
            ["Trending:Source"] = "push",
            ["Models:BuiltInCacheDirectory"] = Path.Combine(Path.GetTempPath(), "mlops-test-builtin-models"),
            ["Reclassification:RunAtStartup"] = "false",
            ["Reclassification:Cron"] = "",
            ["Reclassification:ProgressInterval"] = "00:00:00.200",
            ["Reclassification:ChunkCheckInterval"] = "00:00:02",
            ["Reclassification:BusyRetryDelay"] = "00:00:00",
            ["Evaluation:RecurringEnabled"] = "false",
            ["Evaluation:EvaluateOnRegister"] = "false",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static AppProcess Start(IReadOnlyDictionary<string, string> settings, string name)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo(DotnetHost())
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
        psi.Environment["Logging__LogLevel__Hangfire.Redis"] = "Information";
        psi.Environment["Logging__LogLevel__MLOps.Web.Features.Reclassification"] = "Debug";
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

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            Assert.False(_process.HasExited, $"the {Name} process exited before it was ready" + Tail());
            try
            {
                using var response = await Client.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
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

        throw new TimeoutException($"the {Name} process was not ready within {timeout}" + Tail());
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

    public async Task<ReclassificationRun?> RunAsync(string runId)
    {
        using var response = await Client.GetAsync(new Uri($"/api/reclassify/runs/{runId}", UriKind.Relative));
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<ReclassificationRun>(Json) : null;
    }

    public async Task<ReclassificationRun> WaitForRunAsync(string runId, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        ReclassificationRun? run = null;
        while (clock.Elapsed < timeout)
        {
            run = await RunAsync(runId);
            if (run is not null && RunStatus.IsFinished(run.Status))
            {
                return run;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"run {runId} did not finish within {timeout}: {JsonSerializer.Serialize(run, Json)}" + Tail());
    }

    /// <summary>SIGTERM, as Kubernetes and docker stop send it: the host shuts down gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Everything the process wrote so far.</summary>
    public string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, in-flight Hangfire jobs stay fetched.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>This process's log lines saying it scored one of <paramref name="chunks"/> of the run (event 5007).</summary>
    public IReadOnlyList<string> ScoredChunkLines(string runId, IEnumerable<string> chunks)
    {
        var wanted = chunks.Select(c => $"Chunk {c} of run {runId}: ").ToList();
        lock (_output)
        {
            return [.. _output.ToString().Split('\n')
                .Where(l => wanted.Any(w => l.Contains(w, StringComparison.Ordinal)) && l.Contains(" documents, ", StringComparison.Ordinal))];
        }
    }

    /// <summary>The log lines (message lines) containing any of <paramref name="texts"/>.</summary>
    public IReadOnlyList<string> Lines(params string[] texts)
    {
        lock (_output)
        {
            return [.. _output.ToString().Split('\n').Where(l => texts.Any(t => l.Contains(t, StringComparison.Ordinal))).Select(l => l.Trim())];
        }
    }

    /// <summary>How many chunks of the run this process scored (event 5007 lines).</summary>
    public int CountScoredChunkLines(string runId)
    {
        var pattern = new System.Text.RegularExpressions.Regex($@"Chunk \d+ of run {System.Text.RegularExpressions.Regex.Escape(runId)}: \d+ documents, ");
        lock (_output)
        {
            return _output.ToString().Split('\n').Count(l => pattern.IsMatch(l));
        }
    }

    public string Tail()
    {
        lock (_output)
        {
            var text = _output.ToString();
            return $"\n--- {Name} process output (last 6000 chars) ---\n" + text[Math.Max(0, text.Length - 6000)..];
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

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
