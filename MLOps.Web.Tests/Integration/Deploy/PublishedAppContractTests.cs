using System.Net;
using System.Runtime.Versioning;
using MLOps.Web.Tests.Deploy;
using MLOps.Web.Tests.Unit.Deploy;

namespace MLOps.Web.Tests.Integration.Deploy;

/// <summary>One instance of the published app, started as the image starts it, shared by a test class.</summary>
[SupportedOSPlatform("linux")]
public sealed class PublishedAppFixture : IAsyncLifetime
{
    public PublishedApp App { get; private set; } = null!;

    /// <summary>The publish output before the app ran.</summary>
    public IReadOnlyList<string> AppFolderBefore { get; private set; } = [];

    public async Task InitializeAsync()
    {
        AppFolderBefore = PublishedApp.Snapshot(await PublishedApp.PublishAsync());
        App = await PublishedApp.StartAsync();
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// The container image's contract, checked on the publish output without a Docker engine: read-only
/// application folder, the Dockerfile's environment and entry point, the data directory on a temp
/// volume. See <see cref="PublishedApp"/>.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PublishedAppContractTests(PublishedAppFixture fixture) : IClassFixture<PublishedAppFixture>
{
    /// <summary>First start may materialise the built-in models into the data volume.</summary>
    private static readonly TimeSpan ReadinessBudget = TimeSpan.FromSeconds(60);

    private PublishedApp App => fixture.App;

    [Fact]
    public async Task The_published_app_answers_liveness_and_readiness()
    {
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/healthz", ReadinessBudget));
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/readyz", ReadinessBudget));
    }

    public static TheoryData<string> ProbePaths() => [.. KubernetesManifestTests.ProbePaths().Order(StringComparer.Ordinal)];

    /// <summary>
    /// The paths the k8s probes request are served by the app, over real HTTP on its port, as the
    /// kubelet requests them. A probe passes on 2xx and fails on 503; anything else (404, 401, a
    /// redirect) means the path is wrong.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProbePaths))]
    public async Task Each_probe_path_of_the_manifests_is_served_by_the_app(string path)
    {
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/healthz", ReadinessBudget));
        using var http = new HttpClient { BaseAddress = App.BaseAddress };
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"GET {path} answered {(int)response.StatusCode}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        using var wrong = await http.GetAsync(new Uri(path + "-not-a-probe", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
    }

    [Fact]
    public async Task The_healthcheck_verb_of_the_image_reports_the_running_app_healthy()
    {
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/healthz", ReadinessBudget));
        var (code, output) = await App.HealthcheckAsync();
        Assert.True(code == 0, $"healthcheck exited {code}: {output}");
        Assert.Contains($"http://localhost:{App.Port}/healthz -> 200", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_writes_nothing_into_its_application_folder()
    {
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/readyz", ReadinessBudget));
        using var http = new HttpClient { BaseAddress = App.BaseAddress };
        foreach (var path in new[] { "/", "/swagger/v1/swagger.json", "/hangfire", "/readyz" })
        {
            using var _ = await http.GetAsync(new Uri(path, UriKind.Relative));
        }

        Assert.False(App.HasExited, App.Output);
        Assert.Equal(fixture.AppFolderBefore, PublishedApp.Snapshot(await PublishedApp.PublishAsync()));
    }

    [Fact]
    public async Task The_app_runs_without_write_access_to_its_folder()
    {
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/healthz", ReadinessBudget));
        var app = await PublishedApp.PublishAsync();
        Assert.All(Directory.EnumerateFileSystemEntries(app, "*", SearchOption.AllDirectories).Append(app),
            p => Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(p) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)));
        if (Environment.IsPrivilegedProcess)
        {
            // Root ignores write bits: the app must then run as another user for them to count.
            Assert.True(App.RunsUnprivileged, "setpriv could not start dotnet as an unprivileged user");
            var status = await File.ReadAllLinesAsync($"/proc/{App.ProcessId}/status");
            Assert.Contains(status, l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == PublishedApp.UnprivilegedUid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task The_app_runs_with_the_images_environment_and_data_directory()
    {
        Assert.Equal(HttpStatusCode.OK, await App.WaitForAsync("/healthz", ReadinessBudget));
        Assert.Equal("Production", App.Environment["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal(App.DataDirectory, App.Environment["Storage__DataDirectory"]);
        Assert.Equal(App.TmpDirectory, App.Environment["HOME"]);
        Assert.Equal(App.TmpDirectory, App.Environment["TMPDIR"]);
        var environ = (await File.ReadAllTextAsync($"/proc/{App.ProcessId}/environ")).Split('\0');
        Assert.Contains($"Storage__DataDirectory={App.DataDirectory}", environ);
        Assert.Contains($"ASPNETCORE_HTTP_PORTS={App.Port}", environ);
    }

    [Fact]
    public async Task The_publish_output_carries_the_built_in_models_and_the_configuration()
    {
        var app = await PublishedApp.PublishAsync();
        foreach (var pack in new[] { "all-MiniLM-L6-v2.pack", "snowflake-arctic-embed-xs.pack" })
        {
            var file = new FileInfo(Path.Combine(app, "BuiltInModels", pack));
            Assert.True(file.Exists, $"{file.FullName} is published");
            Assert.True(file.Length > 10_000_000, $"{pack} holds a model ({file.Length} bytes)");
        }

        Assert.Equal(RepositoryFiles.Read("appsettings.json"), await File.ReadAllTextAsync(Path.Combine(app, "appsettings.json")));
        Assert.True(File.Exists(Path.Combine(app, $"{typeof(Program).Assembly.GetName().Name}.dll")));
    }
}

/// <summary>Stopping: each test starts its own instance of the published app.</summary>
[SupportedOSPlatform("linux")]
public sealed class PublishedAppLifecycleTests
{
    [Fact]
    public async Task Sigterm_stops_the_app_gracefully_and_the_healthcheck_then_fails()
    {
        await using var app = await PublishedApp.StartAsync();
        Assert.Equal(HttpStatusCode.OK, await app.WaitForAsync("/healthz", TimeSpan.FromSeconds(60)));

        var exitCode = await app.StopAsync(TimeSpan.FromSeconds(25));
        Assert.True(exitCode is not null, $"the app did not stop within 25 s of SIGTERM (k8s grace period: 30 s):\n{app.Output}");
        Assert.Equal(0, exitCode);

        var (code, output) = await app.HealthcheckAsync();
        Assert.Equal(1, code);
        Assert.StartsWith("unhealthy:", output, StringComparison.Ordinal);
    }
}
