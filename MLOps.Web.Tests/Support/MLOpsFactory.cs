using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MLOps.Web.Tests.Support;

/// <summary>
/// Hosts the real app in memory with its data directory on a fresh temp folder. Settings passed in
/// override appsettings.json as environment variables would.
/// </summary>
public class MLOpsFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public MLOpsFactory(IDictionary<string, string?>? settings, string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? TempDirectory.Create("mlops-app");
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:DataDirectory"] = DataDirectory,
            // Test hosts log warnings and errors only, so test output stays readable (override per test).
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Hangfire"] = "Warning",
            // No background scoring of the whole catalog unless a test asks for it: it would race
            // with tests that count inferences or read classification fields.
            ["Reclassification:RunAtStartup"] = "false",
            // The rate limiter counts every in-process request as one client; its own tests turn it on.
            ["RateLimits:Enabled"] = "false",
            // Built-in models: extracted once per machine and symlinked into each test registry.
            ["Models:BuiltInCacheDirectory"] = Path.Combine(Path.GetTempPath(), "mlops-test-builtin-models"),
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            _settings[k] = v;
        }
    }

    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Host settings reach the app as command-line configuration, so they are there when the
        // builder decides the storage topology and stay there for every options class bound later.
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
    }
}

/// <summary>The app on its embedded defaults, as a class fixture.</summary>
public sealed class DefaultAppFactory : MLOpsFactory
{
    public DefaultAppFactory()
        : base(null)
    {
    }
}

/// <summary>Temp folders that tests create; removed when the process exits.</summary>
public static class TempDirectory
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>What the test command provides: a real redis-server, the shared data folder.</summary>
public static class TestEnvironment
{
    /// <summary>host:port of the redis-server the test command started, or null.</summary>
    public static string? RedisServer => Environment.GetEnvironmentVariable("REDIS_TEST_SERVER");

    /// <summary>Path of the redis-server binary, to start extra servers (restart tests).</summary>
    public static string? RedisServerPath =>
        Environment.GetEnvironmentVariable("REDIS_SERVER_PATH") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null;

    /// <summary>Debian's chromium, when installed (the test command installs it).</summary>
    public static string? Chromium =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p && File.Exists(p) ? p
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null;

    /// <summary>Where tests save artifacts (screenshots): TEST_ARTIFACTS or TestResults/artifacts.</summary>
    public static string ArtifactsDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("TEST_ARTIFACTS") is { Length: > 0 } a
                ? a
                : Path.Combine(AppContext.BaseDirectory, "TestResults", "artifacts");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>../shared/data from the repository root, when this workplace has it.</summary>
    public static string? SharedData
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data");
                if (Directory.Exists(candidate) && dir.GetFiles("*.slnx").Length == 0)
                {
                    return candidate;
                }

                var sibling = Path.Combine(dir.FullName, "..", "shared", "data");
                if (dir.GetFiles("*.slnx").Length > 0)
                {
                    return Directory.Exists(sibling) ? Path.GetFullPath(sibling) : null;
                }
            }

            return null;
        }
    }
}
