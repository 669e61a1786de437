using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MLOps.Web.Tests.Deploy;

/// <summary>One resource of a manifest file, as its KubernetesClient type (or <see cref="EckElasticsearch"/>).</summary>
public sealed record ManifestResource(string File, object Resource)
{
    public string Describe() => Resource switch
    {
        IKubernetesObject<V1ObjectMeta> o => $"{o.Kind}/{o.Metadata?.Name} in {File}",
        EckElasticsearch e => $"{e.Kind}/{e.Metadata?.Name} in {File}",
        _ => $"{Resource.GetType().Name} in {File}",
    };
}

/// <summary>
/// The resources one <c>kubectl apply -f &lt;folder or file&gt;</c> creates: k8s/deployment.yaml on
/// its own, or every file of k8s/scale-out/.
/// </summary>
public sealed class ManifestSet(string name, IReadOnlyList<ManifestResource> resources)
{
    public string Name { get; } = name;

    public IReadOnlyList<ManifestResource> Resources { get; } = resources;

    public IEnumerable<T> OfType<T>() => Resources.Select(r => r.Resource).OfType<T>();

    /// <summary>Pod templates of every workload, with the workload's name and replica count.</summary>
    public IEnumerable<(string Workload, int Replicas, V1PodTemplateSpec Template)> PodTemplates() =>
        OfType<V1Deployment>().Select(d => ($"Deployment/{d.Metadata.Name}", d.Spec.Replicas ?? 1, d.Spec.Template))
            .Concat(OfType<V1StatefulSet>().Select(s => ($"StatefulSet/{s.Metadata.Name}", s.Spec.Replicas ?? 1, s.Spec.Template)));

    /// <summary>The MLOps.Web container(s): those named mlops-web, from the image the Dockerfile builds.</summary>
    public IEnumerable<(V1Deployment Deployment, V1Container Container)> AppContainers() =>
        OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers
            .Where(c => c.Name == KubernetesManifests.AppContainerName)
            .Select(c => (d, c)));

    public V1ConfigMap? ConfigMap(string name) => OfType<V1ConfigMap>().FirstOrDefault(c => c.Metadata.Name == name);

    /// <summary>Every environment variable the container gets: its ConfigMaps (envFrom) then its env list.</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentOf(V1Container container)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var from in container.EnvFrom ?? [])
        {
            if (from.ConfigMapRef is { } reference && ConfigMap(reference.Name) is { Data: { } data })
            {
                foreach (var (k, v) in data)
                {
                    env[(from.Prefix ?? "") + k] = v;
                }
            }
        }

        foreach (var e in container.Env ?? [])
        {
            env[e.Name] = e.Value;
        }

        return env;
    }
}

/// <summary>Loads every manifest under k8s/ strictly: an unknown field anywhere is an error.</summary>
public static partial class KubernetesManifests
{
    public const string AppContainerName = "mlops-web";

    private static readonly Dictionary<string, Type> CustomResources = new()
    {
        [EckElasticsearch.ApiVersionAndKind] = typeof(EckElasticsearch),
    };

    public static string Folder => RepositoryFiles.PathOf("k8s");

    /// <summary>k8s/deployment.yaml (embedded defaults) and k8s/scale-out/ (shared backends).</summary>
    public static IReadOnlyList<ManifestSet> LoadSets() =>
    [
        new ManifestSet("k8s/deployment.yaml", LoadFile(Path.Combine(Folder, "deployment.yaml"))),
        new ManifestSet("k8s/scale-out/", Directory.GetFiles(Path.Combine(Folder, "scale-out"), "*.yaml")
            .Order(StringComparer.Ordinal)
            .SelectMany(LoadFile)
            .ToList()),
    ];

    /// <summary>Every manifest file under k8s/.</summary>
    public static IReadOnlyList<string> AllFiles() =>
        Directory.GetFiles(Folder, "*.yaml", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Folder, "*.yml", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static IReadOnlyList<ManifestResource> LoadFile(string path)
    {
        var relative = Path.GetRelativePath(RepositoryFiles.Root, path);
        try
        {
            return Parse(File.ReadAllText(path)).Select(r => new ManifestResource(relative, r)).ToList();
        }
        catch (YamlException ex)
        {
            throw new YamlException(ex.Start, ex.End, $"{relative}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Parses a multi-document manifest: first the string-typed fields that Kubernetes rejects when
    /// YAML reads them as numbers or booleans, then every document into its type with the strict
    /// deserializer of KubernetesClient (unknown fields and duplicate keys throw).
    /// </summary>
    public static IReadOnlyList<object> Parse(string yaml)
    {
        var untyped = UntypedStringFields(yaml);
        if (untyped.Count > 0)
        {
            throw new YamlException($"Values that Kubernetes requires as strings are not quoted: {string.Join(", ", untyped)}.");
        }

        return KubernetesYaml.LoadAllFromString(yaml, CustomResources, strict: true);
    }

    /// <summary>
    /// ConfigMap data, env values, labels and annotations are strings in the API; an unquoted
    /// <c>2</c>, <c>true</c> or <c>yes</c> there is a number or boolean to the API server, which
    /// refuses the object. The typed deserializer would quietly turn them into strings, so they
    /// are checked on the YAML nodes.
    /// </summary>
    public static IReadOnlyList<string> UntypedStringFields(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var found = new List<string>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root)
            {
                Walk(root, "", found);
            }
        }

        return found;
    }

    private static void Walk(YamlNode node, string path, List<string> found)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    var key = ((YamlScalarNode)keyNode).Value ?? "";
                    var child = $"{path}.{key}";
                    var stringMap = key is "labels" or "annotations" or "matchLabels"
                        || (key is "data" && path.Length == 0)
                        || (key is "value" && path.EndsWith(".env[]", StringComparison.Ordinal));
                    if (stringMap && value is YamlMappingNode values)
                    {
                        found.AddRange(values.Children
                            .Where(kv => IsNonString(kv.Value))
                            .Select(kv => $"{child}.{((YamlScalarNode)kv.Key).Value}"));
                    }
                    else if (stringMap && IsNonString(value))
                    {
                        found.Add(child);
                    }
                    else
                    {
                        Walk(value, child, found);
                    }
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    Walk(item, path + "[]", found);
                }

                break;
        }
    }

    private static bool IsNonString(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain } scalar && (scalar.Value is null || YamlNonString().IsMatch(scalar.Value));

    // YAML 1.1 (what the API server's YAML reader follows) booleans, nulls and numbers.
    [GeneratedRegex(@"^(?:y|n|yes|no|true|false|on|off|null|~|[-+]?(?:[0-9][0-9_]*)?\.?[0-9]+(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o?[0-7]+|[-+]?\.(?:inf|nan))?$", RegexOptions.IgnoreCase)]
    private static partial Regex YamlNonString();
}
