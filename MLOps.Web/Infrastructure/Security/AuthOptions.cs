using System.ComponentModel.DataAnnotations;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>
/// Who may change state (section <c>Auth</c>). Requests from loopback are allowed without a key by
/// default (the README's commands and the tour); remote requests need an API key with the route's
/// role. Keys are configured as SHA-256 hashes only, from configuration (environment variables,
/// <c>Auth__Keys__0__Sha256</c>) or a mounted file (<see cref="KeysFile"/>, a Kubernetes Secret).
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Requests from this machine (loopback, no forwarded headers) need no key.</summary>
    public bool AllowLoopback { get; set; } = true;

    /// <summary>Remote reads (GET routes, classify) need a key too (any role); off by default.</summary>
    public bool RequireReaderKey { get; set; }

    /// <summary>Keys from configuration: a name, its roles and the SHA-256 (hex) of the key.</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>
    /// A mounted file with more keys, one a line: <c>name role[,role] sha256hex</c> (<c>#</c> starts a
    /// comment). Read at start; a missing file gives no keys (logged), so an optional Secret may be absent.
    /// </summary>
    public string? KeysFile { get; set; }

    /// <summary>Reverse proxies whose <c>X-Forwarded-For</c>/<c>-Proto</c> are honoured (IP addresses). Empty: none are.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies, in CIDR notation (<c>10.0.0.0/8</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>One API key as configured: never the key itself, only its SHA-256.</summary>
public sealed class ApiKeyEntry
{
    [Required(AllowEmptyStrings = false)]
    public string Name { get; set; } = "";

    /// <summary><c>operator</c>, <c>ingest</c> and/or <c>reader</c>.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Lower- or upper-case hex SHA-256 of the key's UTF-8 bytes (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[0-9A-Fa-f]{64}$", ErrorMessage = "Auth:Keys:*:Sha256 must be 64 hex digits (the SHA-256 of the key).")]
    public string Sha256 { get; set; } = "";
}
