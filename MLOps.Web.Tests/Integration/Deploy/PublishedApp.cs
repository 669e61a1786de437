using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.Versioning;
using System.Text;
using MLOps.Web.Tests.Deploy;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Deploy;

namespace MLOps.Web.Tests.Integration.Deploy;

/// <summary>
/// The app as the container image runs it, without a Docker engine: the <c>dotnet publish</c>
/// output in a read-only folder, started the way the Dockerfile's ENTRYPOINT starts it, with the
/// Dockerfile's ENV, where the image's paths map to temp folders (<c>/app/data</c> to a data
/// "volume", <c>/tmp</c> to a tmp folder, which is also HOME as in the image) and port 8080 to a free
/// port, as <c>docker run -p</c> would.
/// <para>
/// The publish output is made once per test run: <c>dotnet publish MLOps.Web -c &lt;the test
/// build's configuration&gt; --no-build</c> reuses the build <c>dotnet test</c> just made (a few
/// seconds). It is portable (every platform's native libraries); the image publishes for its
/// architecture only (<c>-a $TARGETARCH</c>), which would need a build of its own. Set
/// <c>MLOPS_PUBLISH_DIR</c> to test another publish output instead (e.g. the image's own, made
/// with the Dockerfile's restore and publish commands); it is made read-only.
/// </para>
/// <para>
/// When the tests run as root, write bits stop nobody, so the app then runs as the unprivileged
/// user 65534 through <c>setpriv</c>, as the image's USER does.
/// </para>
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PublishedApp : IAsyncDisposable
{
    /// <summary>The uid the app runs as when the tests run as root.</summary>
    public const int UnprivilegedUid = 65534;

    private static readonly SemaphoreSlim PublishLock = new(1, 1);
    private static string? _publishDirectory;

    private readonly Process _process;
    private readonly StringBuilder _output;

    private PublishedApp(Process process, StringBuilder output, string root, int port, IReadOnlyDictionary<string, string> environment, bool unprivileged)
    {
        _process = process;
        _output = output;
        Root = root;
        Port = port;
        Environment = environment;
        RunsUnprivileged = unprivileged;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public int Port { get; }

    /// <summary>The folder with the instance's data volume and tmp folder.</summary>
    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public string TmpDirectory => Path.Combine(Root, "tmp");

    /// <summary>The environment the app was started with.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public bool RunsUnprivileged { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The read-only publish output (the image's /app), published once per test run.</summary>
    public static async Task<string> PublishAsync()
    {
        await PublishLock.WaitAsync();
        try
        {
            if (_publishDirectory is not null)
            {
                return _publishDirectory;
            }

            var given = System.Environment.GetEnvironmentVariable("MLOPS_PUBLISH_DIR");
            if (!string.IsNullOrEmpty(given))
            {
                MakeReadOnly(given);
                return _publishDirectory = given;
            }

            var configuration = typeof(PublishedApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            // One folder per checkout and configuration (about 400 MB: every platform's ONNX
            // Runtime libraries), replaced on each run, so that runs do not pile up copies.
            var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(RepositoryFiles.Root)))[..12];
            var parent = Path.Combine(Path.GetTempPath(), $"mlops-publish-{key}-{configuration.ToLowerInvariant()}");
            Remove(parent);
            Directory.CreateDirectory(parent);
            var output = Path.Combine(parent, "app");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(parent);
            var (code, text) = await RunAsync(DotnetHost(), ["publish", RepositoryFiles.PathOf("MLOps.Web", "MLOps.Web.csproj"),
                "-c", configuration, "--no-build", "-o", output, "-p:UseAppHost=false", "-nologo"], RepositoryFiles.Root, TimeSpan.FromMinutes(3));
            Assert.True(code == 0, $"dotnet publish failed ({code}):\n{text}");
            MakeReadOnly(output);
            return _publishDirectory = output;
        }
        finally
        {
            PublishLock.Release();
        }
    }

    /// <summary>Starts one instance with the Dockerfile's entry point and environment.</summary>
    public static async Task<PublishedApp> StartAsync()
    {
        var app = await PublishAsync();
        var root = TempDirectory.Create("mlops-container");
        var data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        var tmp = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName;
        var unprivileged = System.Environment.IsPrivilegedProcess && await CanRunUnprivilegedAsync();
        if (unprivileged)
        {
            // The image's data directory belongs to the app user; /tmp is writable by everyone.
            foreach (var dir in new[] { root, data, tmp })
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
            }
        }

        var port = FreePort();
        var environment = ContainerEnvironment(app, data, tmp, port);
        var entrypoint = DockerfileContractTests.Entrypoint();
        var psi = new ProcessStartInfo
        {
            WorkingDirectory = app,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Command(psi, unprivileged, [.. entrypoint]);
        psi.Environment.Clear();
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PublishedApp(process, output, root, port, environment, unprivileged);
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200, the app exits, or the time is up.</summary>
    public async Task<HttpStatusCode> WaitForAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (deadline.Elapsed < timeout)
        {
            Assert.False(_process.HasExited, $"The app exited ({(_process.HasExited ? _process.ExitCode : 0)}) before {path} answered:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                last = response.StatusCode;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return HttpStatusCode.OK;
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

        return last ?? throw new TimeoutException($"{path} did not answer within {timeout}:\n{Output}");
    }

    /// <summary>Runs <c>dotnet MLOps.Web.dll healthcheck</c> in the same environment, as the image's HEALTHCHECK does.</summary>
    public async Task<(int ExitCode, string Output)> HealthcheckAsync()
    {
        var app = await PublishAsync();
        var psi = new ProcessStartInfo { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        Command(psi, RunsUnprivileged, [.. DockerfileContractTests.Entrypoint(), Web.Commands.HealthcheckCommand.Verb]);
        psi.Environment.Clear();
        foreach (var (k, v) in Environment)
        {
            psi.Environment[k] = v;
        }

        return await RunAsync(psi, TimeSpan.FromSeconds(30));
    }

    /// <summary>Sends SIGTERM, as <c>docker stop</c> and Kubernetes do, and waits for the exit code.</summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            var (code, text) = await RunAsync("bash", ["-c", $"kill -TERM {_process.Id}"], Root, TimeSpan.FromSeconds(10));
            Assert.True(code == 0, $"kill -TERM failed: {text}");
        }

        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            if (await StopAsync(TimeSpan.FromSeconds(10)) is null)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // temp folder; leave it
        }
        catch (UnauthorizedAccessException)
        {
            // temp folder; leave it
        }
    }

    /// <summary>Relative path, size and write time of every file under <paramref name="folder"/>.</summary>
    public static IReadOnlyList<string> Snapshot(string folder) =>
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
            .Select(p => new FileInfo(p))
            .Select(f => $"{Path.GetRelativePath(folder, f.FullName)} {(f.Attributes.HasFlag(FileAttributes.Directory) ? "dir" : f.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))} {f.LastWriteTimeUtc:O}")
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The Dockerfile's runtime ENV plus what the aspnet base image sets, with the image's paths
    /// mapped to this instance's folders. Nothing is inherited from the test process except PATH
    /// and the location of the .NET install.
    /// </summary>
    private static Dictionary<string, string> ContainerEnvironment(string app, string data, string tmp, int port)
    {
        var workdir = DockerfileContractTests.RuntimeWorkingDirectory();
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // Set by mcr.microsoft.com/dotnet/aspnet:10.0 itself.
            ["APP_UID"] = "1654",
            ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        };
        foreach (var key in new[] { "DOTNET_ROOT", "DOTNET_ROOT_X64" })
        {
            if (System.Environment.GetEnvironmentVariable(key) is { Length: > 0 } value)
            {
                env[key] = value;
            }
        }

        foreach (var (key, value) in DockerfileContractTests.RuntimeEnvironment())
        {
            env[key] = value switch
            {
                "/tmp" => tmp,
                _ when key == "ASPNETCORE_HTTP_PORTS" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ when value == $"{workdir}/data" => data,
                _ when value.StartsWith(workdir + "/", StringComparison.Ordinal) => Path.Combine(app, value[(workdir.Length + 1)..]),
                _ => value,
            };
        }

        Assert.Equal(data, env["Storage__DataDirectory"]);
        return env;
    }

    private static void Command(ProcessStartInfo psi, bool unprivileged, IReadOnlyList<string> command)
    {
        var args = command.ToList();
        if (args[0] == "dotnet")
        {
            args[0] = DotnetHost();
        }

        if (unprivileged)
        {
            var uid = UnprivilegedUid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            args.InsertRange(0, ["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--"]);
        }

        psi.FileName = args[0];
        foreach (var a in args.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
    }

    private static async Task<bool> CanRunUnprivilegedAsync()
    {
        try
        {
            var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
            Command(psi, unprivileged: true, ["dotnet", "--list-runtimes"]);
            var (code, text) = await RunAsync(psi, TimeSpan.FromSeconds(30));
            return code == 0 && text.Contains("Microsoft.AspNetCore.App", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no setpriv
        }
    }

    private static string DotnetHost() =>
        System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static void MakeReadOnly(string folder)
    {
        const UnixFileMode write = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Append(folder))
        {
            File.SetUnixFileMode(entry, File.GetUnixFileMode(entry) & ~write);
        }
    }

    private static void Remove(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Append(folder))
            {
                File.SetUnixFileMode(entry, File.GetUnixFileMode(entry) | UnixFileMode.UserWrite);
            }

            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a temp folder; the OS cleans it up eventually
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static Task<(int, string)> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return RunAsync(psi, timeout);
    }

    private static async Task<(int, string)> RunAsync(ProcessStartInfo psi, TimeSpan timeout)
    {
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} ran past {timeout}.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
