using System.ComponentModel.DataAnnotations;

namespace MLOps.Web.Infrastructure.Hosting;

/// <summary>Where the service keeps its state on disk (models, Lucene index, judgments).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Data directory; relative paths resolve against the content root.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";
}

/// <summary>Resolves paths under the configured data directory.</summary>
public sealed class DataDirectory
{
    public DataDirectory(Microsoft.Extensions.Options.IOptions<StorageOptions> options, IHostEnvironment environment)
    {
        var configured = options.Value.DataDirectory;
        Root = Path.GetFullPath(Path.IsPathRooted(configured)
            ? configured
            : Path.Combine(environment.ContentRootPath, configured));
    }

    /// <summary>Absolute path of the data directory.</summary>
    public string Root { get; }

    /// <summary>Absolute path of <paramref name="relative"/> under the data directory, or the path itself when rooted.</summary>
    public string Resolve(string relative) =>
        Path.IsPathRooted(relative) ? relative : Path.GetFullPath(Path.Combine(Root, relative));
}
