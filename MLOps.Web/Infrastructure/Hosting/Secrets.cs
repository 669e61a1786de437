namespace MLOps.Web.Infrastructure.Hosting;

/// <summary>
/// Secrets come from environment variables (through configuration, e.g. <c>Redis__Password</c>) or
/// from mounted files (<c>Redis__PasswordFile=/var/run/secrets/redis/password</c>), never from
/// committed config. The file wins when both are set, so that rotated mounts take effect.
/// </summary>
public static class Secrets
{
    /// <summary>The secret's value from <paramref name="filePath"/> when set, else <paramref name="value"/>.</summary>
    public static string? Read(string? value, string? filePath)
    {
        if (!string.IsNullOrWhiteSpace(filePath))
        {
            if (!File.Exists(filePath))
            {
                throw new InvalidOperationException($"Secret file '{filePath}' does not exist.");
            }

            return File.ReadAllText(filePath).Trim();
        }

        return string.IsNullOrEmpty(value) ? null : value;
    }
}
