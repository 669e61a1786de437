namespace MLOps.Web.Tests.Deploy;

/// <summary>Files of the repository the tests check (Dockerfile, k8s/, appsettings.json), read from the source tree.</summary>
public static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository root: the first folder above the test assembly that holds MLOps.slnx.</summary>
    public static string Root => RootPath.Value;

    public static string PathOf(params string[] relative) => Path.Combine([Root, .. relative]);

    public static string Read(params string[] relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLOps.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No MLOps.slnx above {AppContext.BaseDirectory}: the deploy tests read the repository's files.");
    }
}
