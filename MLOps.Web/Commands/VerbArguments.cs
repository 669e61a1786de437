namespace MLOps.Web.Commands;

/// <summary>What one verb accepts after its name: flags, options with a value, positionals, host settings.</summary>
/// <param name="Verb">The verb as the usage text names it (<c>import</c>, <c>bench catalog</c>).</param>
/// <param name="Flags">Options without a value (<c>--strict</c>).</param>
/// <param name="Options">Options with a value, given as <c>--name value</c> or <c>--name=value</c>.</param>
/// <param name="MaxPositionals">How many plain arguments the verb takes.</param>
/// <param name="AcceptsSettings">
/// Whether <c>--Section:Key=value</c> configuration settings are allowed: only for the verbs that build
/// the app's host, which receives them as command-line configuration.
/// </param>
internal sealed record VerbSpec(string Verb, string[] Flags, string[] Options, int MaxPositionals, bool AcceptsSettings);

/// <summary>The arguments of one verb, split by its <see cref="VerbSpec"/>. Names are case-insensitive.</summary>
internal sealed class VerbArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _flags = new(StringComparer.OrdinalIgnoreCase);

    private VerbArguments(VerbSpec spec) => Spec = spec;

    public VerbSpec Spec { get; }

    public List<string> Positionals { get; } = [];

    /// <summary>The <c>--Section:Key=value</c> settings, as given, for the host's command-line configuration.</summary>
    public List<string> Settings { get; } = [];

    /// <summary>Splits <paramref name="args"/>; a malformed or unknown argument is a <see cref="CommandLineException"/> naming it.</summary>
    public static VerbArguments Split(VerbSpec spec, IReadOnlyList<string> args)
    {
        var result = new VerbArguments(spec);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                result.AddPositional(arg);
                continue;
            }

            var (name, inlineValue) = SplitOption(arg);
            if (spec.Flags.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                result._flags.Add(inlineValue is null ? name : throw new CommandLineException($"{spec.Verb}: option --{name} takes no value."));
            }
            else if (spec.Options.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                var value = inlineValue ?? (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                    ? args[++i]
                    : throw new CommandLineException($"{spec.Verb}: option --{name} needs a value."));
                result._options[name] = value;
            }
            else if (spec.AcceptsSettings && arg.StartsWith("--", StringComparison.Ordinal) && inlineValue is not null && name.Length > 0)
            {
                result.Settings.Add(arg);
            }
            else
            {
                throw new CommandLineException($"{spec.Verb}: unknown option '{arg}'.");
            }
        }

        return result;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Option(string name) => _options.GetValueOrDefault(name);

    /// <summary>A positive whole number, or <paramref name="fallback"/> when the option is absent.</summary>
    public int PositiveInt(string name, int fallback)
    {
        var text = Option(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new CommandLineException($"{Spec.Verb}: option --{name} must be a positive whole number, not '{text}'.");
    }

    /// <summary>A comma-separated list with at least one item, or null when the option is absent.</summary>
    public string[]? List(string name)
    {
        var text = Option(name);
        if (text is null)
        {
            return null;
        }

        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new CommandLineException($"{Spec.Verb}: option --{name} needs at least one comma-separated value.");
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive, returned as listed), or <paramref name="fallback"/>.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        var text = Option(name);
        if (text is null)
        {
            return fallback;
        }

        return allowed.FirstOrDefault(a => string.Equals(a, text, StringComparison.OrdinalIgnoreCase))
            ?? throw new CommandLineException($"{Spec.Verb}: option --{name} must be {string.Join(" or ", allowed)}, not '{text}'.");
    }

    /// <summary>An absolute http(s) URL, or <paramref name="fallback"/> when absent.</summary>
    public Uri Url(string name, Uri fallback)
    {
        var text = Option(name);
        return text is null ? fallback : ParseHttpUrl(text, $"{Spec.Verb}: option --{name}");
    }

    /// <summary>An absolute http(s) URL; otherwise a <see cref="CommandLineException"/> that starts with <paramref name="what"/>.</summary>
    public static Uri ParseHttpUrl(string text, string what) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new CommandLineException($"{what} must be an absolute http(s) URL, not '{text}'.");

    private void AddPositional(string arg)
    {
        if (Positionals.Count >= Spec.MaxPositionals)
        {
            throw new CommandLineException(Spec.MaxPositionals == 0
                ? $"{Spec.Verb}: unexpected argument '{arg}'."
                : $"{Spec.Verb}: unexpected extra argument '{arg}'.");
        }

        Positionals.Add(arg);
    }

    private static (string Name, string? Value) SplitOption(string arg)
    {
        var body = arg.TrimStart('-');
        var eq = body.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (body, null) : (body[..eq], body[(eq + 1)..]);
    }
}

/// <summary>A command line that does not parse; the message names the argument and the verb.</summary>
public sealed class CommandLineException(string message) : Exception(message);
