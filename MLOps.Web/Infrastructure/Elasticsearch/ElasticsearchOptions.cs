using System.ComponentModel.DataAnnotations;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>Elasticsearch connection (used when <c>Search:Engine</c> is <c>elasticsearch</c>).</summary>
public sealed class ElasticsearchOptions
{
    public const string SectionName = "Search:Elasticsearch";

    /// <summary>Node URLs, comma-separated.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Url { get; set; } = "http://localhost:9200";

    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[a-z0-9][a-z0-9_.-]*$", ErrorMessage = "Search:Elasticsearch:Index must be a lower-case index name.")]
    public string Index { get; set; } = "tmdb";

    /// <summary>Basic auth user; its password from <see cref="Password"/> (env) or <see cref="PasswordFile"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? PasswordFile { get; set; }

    /// <summary>API key (the base64 "id:key" form Elasticsearch returns as <c>encoded</c>), from env or <see cref="ApiKeyFile"/>.</summary>
    public string? ApiKey { get; set; }

    public string? ApiKeyFile { get; set; }

    /// <summary>SHA-256 fingerprint of the cluster's CA certificate (hex, colons optional), for self-signed clusters.</summary>
    public string? CertificateFingerprint { get; set; }

    [Range(1, 600, ErrorMessage = "Search:Elasticsearch:RequestTimeoutSeconds must be between 1 and 600.")]
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>Replicas of the index this service creates (0 suits a single-node cluster).</summary>
    [Range(0, 1000, ErrorMessage = "Search:Elasticsearch:NumberOfReplicas must be between 0 and 1000.")]
    public int NumberOfReplicas { get; set; }

    /// <summary>Bulk writes' <c>refresh</c>: <c>wait_for</c> (searches see a write once it returns), <c>true</c> or <c>false</c>.</summary>
    [RegularExpression("^(wait_for|true|false)$", ErrorMessage = "Search:Elasticsearch:Refresh must be wait_for, true or false.")]
    public string Refresh { get; set; } = "wait_for";
}
