using k8s;
using k8s.Models;
using MLOps.Web.Tests.Deploy;
using YamlDotNet.Core;

namespace MLOps.Web.Tests.Unit.Deploy;

/// <summary>
/// Every manifest under k8s/ parses strictly into the KubernetesClient object model (an unknown
/// or misspelt field fails; ECK's Elasticsearch resource is checked against the allow-list type
/// <see cref="EckElasticsearch"/>), and every file belongs to a set KubernetesManifestTests checks.
/// </summary>
public sealed class KubernetesManifestParsingTests
{
    public static TheoryData<string> ManifestFiles() =>
        [.. KubernetesManifests.AllFiles().Select(f => Path.GetRelativePath(RepositoryFiles.Root, f))];

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void Every_manifest_parses_strictly_into_known_resource_types(string file)
    {
        var resources = KubernetesManifests.LoadFile(RepositoryFiles.PathOf(file));
        Assert.NotEmpty(resources);
        Assert.All(resources, r => Assert.True(
            r.Resource is IKubernetesObject<V1ObjectMeta> { Metadata.Name: { Length: > 0 } } or EckElasticsearch { Metadata.Name: { Length: > 0 } },
            $"{r.Describe()} has a name"));
    }

    [Fact]
    public void Every_manifest_file_belongs_to_a_set_the_tests_check()
    {
        var checkedFiles = KubernetesManifests.LoadSets().SelectMany(s => s.Resources).Select(r => r.File).ToHashSet();
        var all = KubernetesManifests.AllFiles().Select(f => Path.GetRelativePath(RepositoryFiles.Root, f));
        Assert.All(all, f => Assert.Contains(f, checkedFiles));
    }

    private const string MisspeltDeploymentField = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: x
        spec:
          replica: 2
        """;

    private const string EckFieldOutsideTheAllowList = """
        apiVersion: elasticsearch.k8s.elastic.co/v1
        kind: Elasticsearch
        metadata:
          name: x
        spec:
          version: 8.15.3
          nodeSet:
            - name: default
        """;

    [Theory]
    [InlineData(MisspeltDeploymentField, "replica")]
    [InlineData(EckFieldOutsideTheAllowList, "nodeSet")]
    public void The_strict_parser_rejects_a_misspelt_field_or_one_outside_the_eck_allow_list(string yaml, string field)
    {
        var ex = Assert.ThrowsAny<YamlException>(() => KubernetesManifests.Parse(yaml));
        Assert.Contains(field, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_strict_parser_checks_core_types_embedded_in_the_eck_resource()
    {
        const string yaml = """
            apiVersion: elasticsearch.k8s.elastic.co/v1
            kind: Elasticsearch
            metadata:
              name: x
            spec:
              nodeSets:
                - name: default
                  podTemplate:
                    spec:
                      containers:
                        - name: elasticsearch
                          resource: {}
            """;
        Assert.ThrowsAny<YamlException>(() => KubernetesManifests.Parse(yaml));
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  Threads: 2\n", ".data.Threads")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  Enabled: yes\n", ".data.Enabled")]
    [InlineData("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      env:\n        - name: X\n          value: true\n", ".spec.containers[].env[].value")]
    public void A_number_or_boolean_where_kubernetes_wants_a_string_is_refused(string yaml, string path)
    {
        Assert.Equal([path], KubernetesManifests.UntypedStringFields(yaml));
        Assert.ThrowsAny<YamlException>(() => KubernetesManifests.Parse(yaml));
    }
}
