using MLOps.Web.Commands;
using MLOps.Web.Tests.Deploy;

namespace MLOps.Web.Tests.Unit.Deploy;

/// <summary>
/// No Docker engine runs here, so the Dockerfile's contract is read from the file: what the
/// integration test (PublishedAppContractTests) and the k8s manifests rely on.
/// </summary>
public sealed class DockerfileContractTests
{
    private static readonly IReadOnlyList<DockerStage> Stages = DockerfileModel.Parse(RepositoryFiles.Read("Dockerfile"));

    private static DockerStage Build => Stages[0];

    private static DockerStage Runtime => Stages[^1];

    [Fact]
    public void The_sdk_image_builds_and_the_aspnet_runtime_image_runs()
    {
        Assert.True(Stages.Count >= 2, "multi-stage: a build stage and a runtime stage");
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", Build.Image);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Runtime.Image);
        Assert.NotNull(Build.Name);
        Assert.Contains(Build.All("RUN"), r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal)
            && r.Arguments.Contains("-c Release", StringComparison.Ordinal)
            && r.Arguments.Contains("MLOps.Web", StringComparison.Ordinal));
        Assert.DoesNotContain(Runtime.All("RUN"), r => r.Arguments.Contains("dotnet ", StringComparison.Ordinal));
    }

    [Fact]
    public void Restore_and_publish_target_the_same_architecture_so_that_publish_needs_no_restore()
    {
        var restore = Assert.Single(Build.All("RUN"), r => r.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        var publish = Assert.Single(Build.All("RUN"), r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("--no-restore", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains(Build.All("ARG"), a => a.Arguments == "TARGETARCH");
        Assert.Contains("-a \"$TARGETARCH\"", restore.Arguments, StringComparison.Ordinal);
        Assert.Contains("-a \"$TARGETARCH\"", publish.Arguments, StringComparison.Ordinal);
        Assert.True(Build.Instructions.ToList().IndexOf(restore) < Build.Instructions.ToList().IndexOf(publish), "restore runs before publish");
    }

    [Fact]
    public void The_runtime_stage_copies_only_the_publish_output_of_the_build_stage()
    {
        var publishDir = PublishOutput();
        var copies = Runtime.All("COPY").ToList();
        var single = Assert.Single(copies);
        Assert.StartsWith($"--from={Build.Name} {publishDir} ", single.Arguments, StringComparison.Ordinal);
        Assert.EndsWith($" {Runtime.Last("WORKDIR")!.Arguments}", single.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void The_build_copies_what_the_project_file_needs_from_the_repository_root()
    {
        // MLOps.Web.csproj links ../appsettings.json; central package versions and analyzers
        // settings come from the root props files and .editorconfig.
        var copied = string.Join(' ', Build.All("COPY").Select(c => c.Arguments));
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "appsettings.json", "MLOps.Web/" })
        {
            Assert.Contains(file, copied, StringComparison.Ordinal);
            Assert.True(File.Exists(RepositoryFiles.PathOf(file)) || Directory.Exists(RepositoryFiles.PathOf(file)), $"{file} exists in the repository");
        }

        var ignored = File.ReadAllLines(RepositoryFiles.PathOf(".dockerignore")).Select(l => l.Trim()).ToHashSet();
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.DoesNotContain(ignored, l => l is "*.json" or "*.props" or "MLOps.Web/" or ".editorconfig");
    }

    [Fact]
    public void The_app_runs_as_the_non_root_app_user_after_its_files_are_in_place()
    {
        var user = Runtime.Last("USER");
        Assert.NotNull(user);
        Assert.Equal("$APP_UID", user.Arguments);
        var userIndex = Runtime.Instructions.ToList().IndexOf(user);
        Assert.All(Runtime.Instructions.Skip(userIndex + 1), i => Assert.NotEqual("RUN", i.Keyword));
        Assert.All(Runtime.Instructions.Skip(userIndex + 1), i => Assert.NotEqual("COPY", i.Keyword));
    }

    [Fact]
    public void The_app_listens_on_port_8080_and_exposes_it()
    {
        Assert.Equal("8080", Runtime.Environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Contains(Runtime.All("EXPOSE"), e => e.Arguments.Split(' ').Contains("8080"));
    }

    [Fact]
    public void The_data_directory_is_a_volume_the_app_user_owns()
    {
        var dataDirectory = Runtime.Environment["Storage__DataDirectory"];
        Assert.StartsWith("/", dataDirectory, StringComparison.Ordinal);
        var volume = Runtime.Last("VOLUME");
        Assert.NotNull(volume);
        Assert.Contains(dataDirectory, volume.ExecForm ?? volume.Arguments.Split(' '));
        Assert.Contains(Runtime.All("RUN"), r => r.Arguments.Contains($"chown \"$APP_UID:$APP_UID\" {dataDirectory}", StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_is_written_outside_tmp_and_the_data_volume()
    {
        var env = Runtime.Environment;
        Assert.Equal("/tmp", env["HOME"]);
        Assert.Equal("/tmp", env["TMPDIR"]);
        Assert.Equal("0", env["DOTNET_EnableDiagnostics"]);
    }

    [Fact]
    public void The_health_check_runs_the_apps_own_healthcheck_verb()
    {
        var check = Runtime.Last("HEALTHCHECK");
        Assert.NotNull(check);
        var cmd = check.Arguments.IndexOf("CMD ", StringComparison.Ordinal);
        Assert.True(cmd >= 0, "HEALTHCHECK ... CMD [...]");
        var command = new DockerInstruction("CMD", check.Arguments[(cmd + 4)..], check.Line).ExecForm;
        Assert.NotNull(command);
        Assert.Equal([.. Entrypoint(), HealthcheckCommand.Verb], command);
        Assert.Contains("--start-period=", check.Arguments, StringComparison.Ordinal);
        Assert.Contains("--timeout=", check.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void The_entrypoint_starts_the_published_assembly_with_dotnet()
    {
        Assert.Equal(["dotnet", $"{typeof(Program).Assembly.GetName().Name}.dll"], Entrypoint());
    }

    [Fact]
    public void The_reader_joins_continuations_and_skips_comments()
    {
        var stages = DockerfileModel.Parse("""
            # comment
            FROM img:1 AS a
            ENV A=1 \
                # inside
                B="two words"
            FROM img:2
            ENTRYPOINT ["x", "y"]
            """);
        Assert.Equal(2, stages.Count);
        Assert.Equal("a", stages[0].Name);
        Assert.Equal("1", stages[0].Environment["A"]);
        Assert.Equal("two words", stages[0].Environment["B"]);
        Assert.Null(stages[1].Name);
        Assert.Equal(["x", "y"], stages[1].Last("ENTRYPOINT")!.ExecForm!);
    }

    /// <summary>The ENTRYPOINT, exec form, as the integration test runs it.</summary>
    public static IReadOnlyList<string> Entrypoint()
    {
        var entrypoint = Runtime.Last("ENTRYPOINT");
        Assert.NotNull(entrypoint);
        var exec = entrypoint.ExecForm;
        Assert.NotNull(exec);
        return exec;
    }

    /// <summary>The runtime stage's environment (what ENTRYPOINT runs with, besides the base image's).</summary>
    public static IReadOnlyDictionary<string, string> RuntimeEnvironment() => Runtime.Environment;

    /// <summary>The folder the runtime stage copies to (its WORKDIR).</summary>
    public static string RuntimeWorkingDirectory() => Runtime.Last("WORKDIR")!.Arguments;

    private static string PublishOutput()
    {
        var publish = Build.All("RUN").Single(r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var args = publish.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var o = Array.IndexOf(args, "-o");
        Assert.True(o >= 0 && o + 1 < args.Length, "dotnet publish -o <folder>");
        return args[o + 1];
    }
}
