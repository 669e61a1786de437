using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Models;

/// <summary>A registered version with what the API shows about it.</summary>
public sealed record ModelEntry(ModelDescriptor Descriptor, ModelManifest Manifest);

/// <summary>The active and previous version, persisted in <c>&lt;registry&gt;/registry.json</c>.</summary>
public sealed record RegistryState(string? Active, string? Previous, DateTimeOffset? UpdatedAt, string? Reason)
{
    /// <summary>Versions a rollback moved away from (the champion/challenger job holds them to their own record).</summary>
    public IReadOnlyList<string> RolledBack { get; init; } = [];

    /// <summary>Value equality, <see cref="RolledBack"/> compared item by item.</summary>
    public bool Equals(RegistryState? other) =>
        other is not null && (Active, Previous, UpdatedAt, Reason) == (other.Active, other.Previous, other.UpdatedAt, other.Reason)
        && RolledBack.SequenceEqual(other.RolledBack, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Active, Previous, UpdatedAt, Reason, RolledBack.Count);

    public static RegistryState Empty { get; } = new(null, null, null, null);
}

/// <summary>
/// The registry folder: <c>&lt;root&gt;/&lt;name&gt;/&lt;version&gt;/</c> with a manifest each, and
/// <c>registry.json</c> (active and previous version). Lists and finds versions, numbers new ones,
/// keeps every path segment safe. It loads nothing and changes no active model.
/// </summary>
public sealed partial class ModelStore
{
    public const string StateFile = "registry.json";
    private const string StagingPrefix = ".staging-";

    private readonly ILogger _logger;

    public ModelStore(IOptions<ModelsOptions> options, DataDirectory data, ILogger<ModelStore> logger)
        : this(data.Resolve(options.Value.RegistryDirectory), logger)
    {
    }

    public ModelStore(string root, ILogger logger)
    {
        Root = Path.GetFullPath(root);
        _logger = logger;
    }

    /// <summary>Absolute path of the registry folder.</summary>
    public string Root { get; }

    public static string Id(string name, string version) => $"{name}@{version}";

    /// <summary>Where version <paramref name="version"/> of <paramref name="name"/> lives (whether or not it exists).</summary>
    public string VersionDirectory(string name, string version) => Path.Combine(Root, name, version);

    public bool Exists(string name, string version) => Directory.Exists(VersionDirectory(name, version));

    /// <summary>Every version with its manifest, sorted by name then version; a folder with a broken manifest is skipped (and logged).</summary>
    public IReadOnlyList<ModelEntry> ListEntries()
    {
        var result = new List<ModelEntry>();
        if (!Directory.Exists(Root))
        {
            return result;
        }

        foreach (var nameDir in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(nameDir);
            if (IsSafeSegment(name) && !name.StartsWith('.'))
            {
                result.AddRange(ListVersions(name, nameDir));
            }
        }

        return [.. result.OrderBy(e => e.Descriptor.Name, StringComparer.Ordinal).ThenBy(e => VersionKey(e.Descriptor.Version))];
    }

    /// <summary>The entry of <paramref name="id"/>, or null when no such version is registered. Throws <see cref="ModelUnusableException"/> when its manifest is broken.</summary>
    public ModelEntry? Find(string id)
    {
        if (!TrySplitId(id, out var name, out var version))
        {
            return null;
        }

        var directory = VersionDirectory(name, version);
        if (!File.Exists(Path.Combine(directory, ModelManifest.FileName)))
        {
            return null;
        }

        try
        {
            return Entry(name, version, directory);
        }
        catch (ModelPackageException e)
        {
            throw new ModelUnusableException($"Model {id} has a broken manifest: {e.Message}", e);
        }
    }

    /// <summary>The entry of <paramref name="id"/>; throws <see cref="ModelNotFoundException"/> when it is not registered.</summary>
    public ModelEntry Get(string id) => Find(id) ?? throw new ModelNotFoundException(id);

    public RegistryState ReadState()
    {
        var path = Path.Combine(Root, StateFile);
        if (!File.Exists(path))
        {
            return RegistryState.Empty;
        }

        try
        {
            return JsonSerializer.Deserialize<RegistryState>(File.ReadAllText(path), ModelManifest.Json) ?? RegistryState.Empty;
        }
        catch (JsonException)
        {
            return RegistryState.Empty;
        }
    }

    /// <summary>Writes <c>registry.json</c> atomically (temp file, then rename over the old one).</summary>
    public void WriteState(RegistryState state)
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, StateFile);
        var tmp = $"{path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(tmp, JsonSerializer.Serialize(state, ModelManifest.Json));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>One more than the highest numeric version of <paramref name="name"/> (1 for a new name).</summary>
    public string NextVersion(string name)
    {
        var folder = Path.Combine(Root, name);
        var max = 0;
        if (Directory.Exists(folder))
        {
            foreach (var d in Directory.EnumerateDirectories(folder))
            {
                if (int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                {
                    max = Math.Max(max, v);
                }
            }
        }

        return (max + 1).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A new, empty <c>.staging-*</c> folder inside the registry (same volume, so the final move is a rename).</summary>
    public string CreateStagingDirectory(string name)
    {
        var staging = Path.Combine(Root, $"{StagingPrefix}{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    public static bool IsStaging(string relativePath) => relativePath.StartsWith(".staging", StringComparison.Ordinal);

    public static bool TrySplitId(string id, out string name, out string version)
    {
        var at = id.LastIndexOf('@');
        name = at > 0 ? id[..at] : "";
        version = at > 0 ? id[(at + 1)..] : "";
        return at > 0 && IsSafeSegment(name) && IsSafeSegment(version);
    }

    /// <summary>A folder name the registry accepts: 1 to 100 of <c>[A-Za-z0-9._-]</c>, not <c>.</c> or <c>..</c>.</summary>
    public static bool IsSafeSegment(string s) => s is not ("." or "..") && SafeSegment().IsMatch(s);

    /// <summary>A name made safe: runs of other characters become '-', leading/trailing '-' and '.' dropped.</summary>
    public static string SanitizeName(string name)
    {
        var cleaned = UnsafeChars().Replace(name, "-").Trim('-', '.');
        return cleaned.Length == 0 ? "model" : cleaned;
    }

    private IEnumerable<ModelEntry> ListVersions(string name, string nameDir)
    {
        foreach (var versionDir in Directory.EnumerateDirectories(nameDir))
        {
            var version = Path.GetFileName(versionDir);
            if (!IsSafeSegment(version) || !File.Exists(Path.Combine(versionDir, ModelManifest.FileName)))
            {
                continue;
            }

            ModelEntry entry;
            try
            {
                entry = Entry(name, version, versionDir);
            }
            catch (ModelPackageException e)
            {
                ModelsLog.SkippedFolder(_logger, versionDir, e.Message);
                continue;
            }

            yield return entry;
        }
    }

    private static ModelEntry Entry(string name, string version, string directory)
    {
        var manifest = ModelManifest.Read(Path.Combine(directory, ModelManifest.FileName));
        return new ModelEntry(
            new ModelDescriptor(Id(name, version), name, version, manifest.Kind, manifest.Sha256 ?? "", directory),
            manifest);
    }

    private static (int, string) VersionKey(string version) =>
        int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? (v, "") : (int.MaxValue, version);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex SafeSegment();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex UnsafeChars();
}
