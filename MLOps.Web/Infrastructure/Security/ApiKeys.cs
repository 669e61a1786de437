using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace MLOps.Web.Infrastructure.Security;

/// <summary>A configured key: its name, roles and SHA-256.</summary>
public sealed record ApiKey(string Name, IReadOnlySet<string> Roles, byte[] Hash);

/// <summary>
/// The configured keys (options and <see cref="AuthOptions.KeysFile"/>), loaded once. A presented
/// key is hashed and compared with every stored hash in constant time, so neither the comparison
/// nor the number of keys tried tells an attacker anything.
/// </summary>
public sealed partial class ApiKeys
{
    private readonly ApiKey[] _keys;

    public ApiKeys(IOptions<AuthOptions> options, ILogger<ApiKeys> logger)
    {
        var o = options.Value;
        var keys = o.Keys.Select(k => Parse(k.Name, k.Roles, k.Sha256, "Auth:Keys")).ToList();
        if (!string.IsNullOrWhiteSpace(o.KeysFile))
        {
            if (File.Exists(o.KeysFile))
            {
                keys.AddRange(ReadFile(o.KeysFile));
            }
            else
            {
                // An optional Secret that is not there: no keys from it, so remote callers are refused (fail closed).
                LogNoKeysFile(logger, o.KeysFile);
            }
        }

        _keys = [.. keys];
        LogLoaded(logger, _keys.Length);
    }

    [LoggerMessage(EventId = 8103, Level = LogLevel.Warning, Message = "Auth:KeysFile {Path} does not exist; no API keys were read from it (remote state-changing requests are refused)")]
    private static partial void LogNoKeysFile(ILogger logger, string path);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Information, Message = "{Count} API key(s) configured")]
    private static partial void LogLoaded(ILogger logger, int count);

    public int Count => _keys.Length;

    /// <summary>The SHA-256 of a key's UTF-8 bytes.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The key <paramref name="presented"/> is, or null.</summary>
    public ApiKey? Match(string presented)
    {
        var hash = Hash(presented);
        ApiKey? found = null;
        foreach (var key in _keys)
        {
            // No early exit: every stored hash is compared.
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
            {
                found ??= key;
            }
        }

        return found;
    }

    /// <summary>Lines <c>name role[,role] sha256hex</c>; blank lines and <c>#</c> comments skipped.</summary>
    internal static IEnumerable<ApiKey> ReadFile(string path)
    {
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
            {
                throw new InvalidOperationException($"Auth:KeysFile line {number}: expected 'name role[,role] sha256hex'.");
            }

            yield return Parse(parts[0], parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries), parts[2], $"Auth:KeysFile line {number}");
        }
    }

    private static ApiKey Parse(string name, IEnumerable<string> roles, string sha256, string where)
    {
        var set = roles.Select(r => r.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var unknown = set.Where(r => !Roles.All.Contains(r)).ToList();
        if (set.Count == 0 || unknown.Count > 0)
        {
            throw new InvalidOperationException($"{where}: key '{name}' needs roles from {string.Join(", ", Roles.All)}" +
                (unknown.Count > 0 ? $"; unknown: {string.Join(", ", unknown)}" : "") + ".");
        }

        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit))
        {
            throw new InvalidOperationException($"{where}: key '{name}' needs its SHA-256 as 64 hex digits.");
        }

        return new ApiKey(name, set, Convert.FromHexString(sha256.ToUpper(CultureInfo.InvariantCulture)));
    }
}
