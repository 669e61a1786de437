using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// Where <c>POST /api/models {"path": ...}</c> may register from: only folders under
/// <c>Models:ImportDirectory</c> (default <c>&lt;data&gt;/incoming</c>), after symbolic links are
/// resolved, and with no file in the package linking out of it. A path outside gets the same answer
/// whether or not it exists, and no answer names the import directory's absolute path.
/// </summary>
public sealed class ModelImportDirectory(IOptions<ModelsOptions> options, DataDirectory data)
{
    public const string Outside = "The path must name a folder inside the model import directory (Models:ImportDirectory); nothing outside it is read.";

    /// <summary>Absolute path of the import directory (created on first use).</summary>
    public string Root { get; } = data.Resolve(options.Value.ImportDirectory);

    /// <summary>The folder <paramref name="requested"/> names (absolute, or relative to the import directory) and its display name.</summary>
    /// <exception cref="InvalidModelRequestException">Outside the import directory, missing, or linking out of it.</exception>
    public (string Folder, string Display) Resolve(string requested)
    {
        Directory.CreateDirectory(Root);
        var root = Real(Path.GetFullPath(Root));
        string candidate;
        try
        {
            candidate = Path.GetFullPath(Path.IsPathRooted(requested) ? requested : Path.Combine(root, requested));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidModelRequestException("path", Outside);
        }

        // Lexically inside first (so nothing outside is even looked at), then really inside once links are followed.
        if (!IsInside(candidate, root) && !IsInside(candidate, Path.GetFullPath(Root)))
        {
            throw new InvalidModelRequestException("path", Outside);
        }

        var relative = Path.GetRelativePath(Path.GetFullPath(Root), candidate);
        if (!Directory.Exists(candidate))
        {
            throw new InvalidModelRequestException("path", $"There is no folder '{relative}' in the model import directory.");
        }

        var real = Real(candidate);
        if (!IsInside(real, root) || LinksOut(real, root))
        {
            throw new InvalidModelRequestException("path", Outside);
        }

        return (real, $"import directory: {relative}");
    }

    private static bool IsInside(string path, string root) =>
        path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>Any file or folder of the package that is a link resolving outside the import directory.</summary>
    private static bool LinksOut(string folder, string root) =>
        new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Any(i => i.LinkTarget is not null && !IsInside(Real(i.FullName), root));

    /// <summary>The path with every symbolic link on it followed.</summary>
    private static string Real(string path)
    {
        var full = Path.GetFullPath(path);
        var parts = full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(full) ?? "/";
        foreach (var part in parts)
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                current = Path.GetFullPath(target.FullName);
            }
        }

        return current;
    }
}
