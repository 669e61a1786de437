using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>
/// A new version being assembled in a <c>.staging-*</c> folder of the registry: files copied in (a
/// package, or a base version plus extra or replaced files), the manifest edited, <c>model.onnx</c>
/// hashed (sha256), then moved into <c>&lt;name&gt;/&lt;version&gt;</c> in one rename. Disposing it
/// before <see cref="Commit"/> deletes the staging folder, so a failure at any step leaves nothing.
/// Register and calibrate build versions this way; so can train (base <c>model.onnx</c> kept,
/// learned parameter files added) and quantize (a new <c>model.onnx</c>).
/// </summary>
public sealed class StagedModel : IAsyncDisposable
{
    public const string ModelFile = "model.onnx";

    private readonly ModelStore _store;
    private string? _sha256;
    private string? _version;
    private bool _committed;

    private StagedModel(ModelStore store, string name, ModelManifest manifest)
    {
        _store = store;
        Name = name;
        Manifest = manifest;
        Directory = store.CreateStagingDirectory(name);
    }

    /// <summary>The registry name the version goes under.</summary>
    public string Name { get; }

    /// <summary>The staging folder (inside the registry, so the final move is a rename).</summary>
    public string Directory { get; }

    /// <summary>The manifest to write; edit it before <see cref="StageAsync"/>. Name, version and sha256 are filled in there.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>An empty staging folder for a new version of <paramref name="name"/> with <paramref name="manifest"/>.</summary>
    public static StagedModel Create(ModelStore store, string name, ModelManifest manifest) => new(store, name, manifest);

    /// <summary>A copy of a package folder (every file but staging leftovers).</summary>
    public static StagedModel FromFolder(ModelStore store, string name, ModelManifest manifest, string folder)
    {
        var staged = Create(store, name, manifest);
        try
        {
            staged.CopyFolder(folder);
            return staged;
        }
        catch
        {
            staged.DeleteStaging();
            throw;
        }
    }

    /// <summary>
    /// A version derived from <paramref name="baseVersion"/>: its files copied, its manifest cloned
    /// (evaluation metrics dropped: they measured the base). Add or replace files and edit the manifest next.
    /// </summary>
    /// <param name="store">The registry.</param>
    /// <param name="baseVersion">The version whose files and manifest are the start.</param>
    /// <param name="name">The registry name of the new version; null: the base version's (a new version of the same model).</param>
    public static StagedModel DeriveFrom(ModelStore store, ModelEntry baseVersion, string? name = null)
    {
        var manifest = baseVersion.Manifest.Clone();
        manifest.Metrics = null;
        return FromFolder(store, name ?? baseVersion.Descriptor.Name, manifest, baseVersion.Descriptor.Directory);
    }

    /// <summary>Copies <paramref name="sourcePath"/> into the version as <paramref name="relativePath"/>, replacing a file there.</summary>
    public void AddFile(string relativePath, string sourcePath)
    {
        var target = PathOf(relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(sourcePath, target, overwrite: true);
        if (string.Equals(Path.GetRelativePath(Directory, target), ModelFile, StringComparison.Ordinal))
        {
            _sha256 = null;
        }
    }

    /// <summary>Writes <paramref name="content"/> into the version as <paramref name="relativePath"/> (temp file, then rename), replacing a file there.</summary>
    public async Task AddFileAsync(string relativePath, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var target = PathOf(relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var tmp = $"{target}.tmp-{Guid.NewGuid():N}";
        await File.WriteAllBytesAsync(tmp, content, cancellationToken);
        File.Move(tmp, target, overwrite: true);
        if (string.Equals(Path.GetRelativePath(Directory, target), ModelFile, StringComparison.Ordinal))
        {
            _sha256 = null;
        }
    }

    /// <summary>The absolute path of <paramref name="relativePath"/> inside the staging folder; refuses a path that leaves it.</summary>
    public string PathOf(string relativePath)
    {
        var root = Path.GetFullPath(Directory) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(Directory, relativePath));
        return path.StartsWith(root, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"'{relativePath}' points outside the staged version.", nameof(relativePath));
    }

    /// <summary>sha256 of the staged <c>model.onnx</c> (computed once, again after it is replaced).</summary>
    public async Task<string> Sha256Async(CancellationToken cancellationToken) =>
        _sha256 ??= await ModelManifest.Sha256Async(PathOf(ModelFile), cancellationToken);

    /// <summary>
    /// Fills in name, <paramref name="version"/> and sha256 and writes the manifest. Returns the
    /// version as it stands in the staging folder, so that it can be loaded and smoke-tested before it is committed.
    /// </summary>
    public async Task<ModelDescriptor> StageAsync(string version, CancellationToken cancellationToken)
    {
        Manifest.Name = Name;
        Manifest.Version = version;
        Manifest.Sha256 = await Sha256Async(cancellationToken);
        await Manifest.WriteAsync(Directory, cancellationToken);
        _version = version;
        return Describe(Directory);
    }

    /// <summary>Moves the staged folder into <c>&lt;name&gt;/&lt;version&gt;</c> (one rename) and returns the registered version.</summary>
    public ModelDescriptor Commit()
    {
        if (_version is null)
        {
            throw new InvalidOperationException("Stage the version before committing it.");
        }

        var target = _store.VersionDirectory(Name, _version);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        System.IO.Directory.Move(Directory, target);
        _committed = true;
        return Describe(target);
    }

    public ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            DeleteStaging();
        }

        return ValueTask.CompletedTask;
    }

    private ModelDescriptor Describe(string directory) =>
        new(ModelStore.Id(Name, _version!), Name, _version!, Manifest.Kind, Manifest.Sha256!, directory);

    private void CopyFolder(string source)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (!ModelStore.IsStaging(relative))
            {
                AddFile(relative, file);
            }
        }
    }

    private void DeleteStaging()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
