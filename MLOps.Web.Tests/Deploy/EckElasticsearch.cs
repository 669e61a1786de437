using k8s.Models;

namespace MLOps.Web.Tests.Deploy;

/// <summary>
/// The allow-list for ECK's <c>Elasticsearch</c> custom resource (elasticsearch.k8s.elastic.co/v1),
/// which the KubernetesClient object model does not know. It lists only the fields our manifests
/// may use; parsing strictly into it fails on any other field (a typo, or a field we have not
/// reviewed). The parts that embed core types (pod template, volume claim templates) are the
/// KubernetesClient types, so they are checked as strictly as a Deployment. Property names map to
/// YAML in camelCase.
/// </summary>
public sealed class EckElasticsearch
{
    public const string ApiVersionAndKind = "elasticsearch.k8s.elastic.co/v1/Elasticsearch";

    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public V1ObjectMeta? Metadata { get; set; }

    public EckSpec? Spec { get; set; }

    public sealed class EckSpec
    {
        public string? Version { get; set; }

        public EckHttp? Http { get; set; }

        public List<EckNodeSet>? NodeSets { get; set; }
    }

    public sealed class EckHttp
    {
        public EckTls? Tls { get; set; }
    }

    public sealed class EckTls
    {
        public EckSelfSignedCertificate? SelfSignedCertificate { get; set; }
    }

    public sealed class EckSelfSignedCertificate
    {
        public bool? Disabled { get; set; }
    }

    public sealed class EckNodeSet
    {
        public string? Name { get; set; }

        public int? Count { get; set; }

        /// <summary>elasticsearch.yml settings: free-form by design.</summary>
        public Dictionary<string, object>? Config { get; set; }

        public V1PodTemplateSpec? PodTemplate { get; set; }

        public List<V1PersistentVolumeClaim>? VolumeClaimTemplates { get; set; }
    }
}
