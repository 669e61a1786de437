using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace MLOps.Web.Tests.Deploy;

/// <summary>
/// The configuration keys the app knows, in environment-variable form (<c>Section__Key</c>):
/// <list type="bullet">
/// <item>every leaf of the repository-root appsettings.json, flattened with <c>__</c> (array items as <c>__0</c>, ...);</item>
/// <item>every property of an options class (a type with a <c>const string SectionName</c>) in MLOps.Web,
/// so that secrets, which appsettings.json never holds (<c>Redis__Password</c>), count too;</item>
/// <item>framework keys: anything under <c>ASPNETCORE_</c>, <c>DOTNET_</c> or <c>Logging__</c>.</item>
/// </list>
/// Keys compare case-insensitively, as the configuration binder does.
/// </summary>
public sealed class ConfigurationKeys
{
    public static readonly string[] FrameworkPrefixes = ["ASPNETCORE_", "DOTNET_", "Logging__"];

    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _prefixes = [.. FrameworkPrefixes];

    private ConfigurationKeys()
    {
    }

    public IReadOnlySet<string> FromAppSettings { get; private set; } = new HashSet<string>();

    public IReadOnlySet<string> FromOptions { get; private set; } = new HashSet<string>();

    public static ConfigurationKeys Load()
    {
        var keys = new ConfigurationKeys();
        var appSettings = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var doc = JsonDocument.Parse(RepositoryFiles.Read("appsettings.json"), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }))
        {
            Flatten(doc.RootElement, "", appSettings);
        }

        var options = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var optionPrefixes = new List<string>();
        foreach (var type in typeof(Program).Assembly.GetTypes())
        {
            var field = type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
            if (field is { IsLiteral: true } && field.GetRawConstantValue() is string section)
            {
                AddProperties(type, section.Replace(":", "__", StringComparison.Ordinal), options, optionPrefixes, depth: 0);
            }
        }

        keys.FromAppSettings = appSettings;
        keys.FromOptions = options;
        keys._exact.UnionWith(appSettings);
        keys._exact.UnionWith(options);
        keys._prefixes.AddRange(optionPrefixes);

        return keys;
    }

    public bool IsKnown(string key) =>
        _exact.Contains(key) || _prefixes.Exists(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    private static void Flatten(JsonElement element, string path, HashSet<string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}__{property.Name}", into);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}__{i++}", into);
                }

                break;
            default:
                into.Add(path);
                break;
        }
    }

    private static void AddProperties(Type type, string path, HashSet<string> into, List<string> prefixes, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } && !IsCollection(property.PropertyType))
            {
                continue;
            }

            var key = $"{path}__{property.Name}";
            into.Add(key);
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsCollection(t))
            {
                prefixes.Add(key + "__");
            }
            else if (depth < 4 && t.IsClass && t.Assembly == typeof(Program).Assembly)
            {
                AddProperties(t, key, into, prefixes, depth + 1);
            }
        }
    }

    private static bool IsCollection(Type t) => t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t);
}
