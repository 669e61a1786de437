using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLOps.Web.Tests.Deploy;

/// <summary>One Dockerfile instruction: keyword (upper case) and its arguments, continuations joined.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The arguments of an exec-form instruction (<c>["a", "b"]</c>), or null for shell form.</summary>
    public IReadOnlyList<string>? ExecForm
    {
        get
        {
            var text = Arguments.Trim();
            if (!text.StartsWith('['))
            {
                return null;
            }

            return JsonSerializer.Deserialize<string[]>(text);
        }
    }
}

/// <summary>A build stage: its FROM image, its name (<c>AS name</c>) and its instructions.</summary>
public sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => string.Equals(i.Keyword, keyword, StringComparison.Ordinal));

    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();

    /// <summary>ENV key=value pairs of this stage, in order (later ones win).</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var instruction in All("ENV"))
            {
                foreach (Match m in DockerfileModel.EnvPair().Matches(instruction.Arguments))
                {
                    var value = m.Groups["value"].Value;
                    env[m.Groups["key"].Value] = value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
                }
            }

            return env;
        }
    }
}

/// <summary>
/// A small Dockerfile reader: enough to check the image's contract (stages, USER, EXPOSE, VOLUME,
/// HEALTHCHECK, ENTRYPOINT, ENV). Comments and blank lines are skipped; a trailing backslash
/// continues the instruction on the next line.
/// </summary>
public static partial class DockerfileModel
{
    public static IReadOnlyList<DockerStage> Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            var joined = line;
            while (joined.EndsWith('\\') && i + 1 < lines.Length)
            {
                joined = joined[..^1].TrimEnd();
                var next = lines[++i].Trim();
                if (next.StartsWith('#'))
                {
                    joined += " \\";
                    continue;
                }

                joined += " " + next;
            }

            var space = joined.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? joined : joined[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : joined[(space + 1)..].Trim();
            instructions.Add(new DockerInstruction(keyword, arguments, start));
        }

        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var m = FromLine().Match(instruction.Arguments);
                if (!m.Success)
                {
                    throw new FormatException($"Line {instruction.Line}: FROM '{instruction.Arguments}' is not understood.");
                }

                current = [];
                stages.Add(new DockerStage(m.Groups["image"].Value, m.Groups["name"].Success ? m.Groups["name"].Value : null, current));
            }
            else if (current is null)
            {
                if (instruction.Keyword != "ARG")
                {
                    throw new FormatException($"Line {instruction.Line}: {instruction.Keyword} before the first FROM.");
                }
            }
            else
            {
                current.Add(instruction);
            }
        }

        return stages;
    }

    [GeneratedRegex(@"^(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex("""(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>"[^"]*"|\S*)""")]
    internal static partial Regex EnvPair();
}
