using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Commands;

/// <summary>
/// <c>dotnet MLOps.Web.dll import &lt;file&gt; [--strict] [--Section:Key=value ...]</c>: imports into
/// the configured index through the app's host (built, never started: no hosted service runs), then
/// exits 0 (all written), 1 (failed; with <c>--strict</c> nothing written), 2 (bad lines skipped),
/// 66 (no such file).
/// </summary>
/// <param name="Path">The file to import, as given.</param>
/// <param name="Strict">Validate everything first and write nothing when a record is bad.</param>
/// <param name="Settings">The host's <c>--Section:Key=value</c> configuration.</param>
public sealed record ImportCommand(string Path, bool Strict, IReadOnlyList<string> Settings) : AppCommand
{
    public const string Verb = "import";

    /// <summary>Exit code when the input file does not exist.</summary>
    public const int NoInputExitCode = 66;

    internal static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static readonly VerbSpec Spec = new(Verb, Flags: ["strict"], Options: [], MaxPositionals: 1, AcceptsSettings: true);

    internal static ImportCommand FromArguments(IReadOnlyList<string> args)
    {
        var parsed = VerbArguments.Split(Spec, args);
        var path = parsed.Positionals.FirstOrDefault() ?? throw new CommandLineException("import: name the file to import.");
        return new ImportCommand(path, parsed.Flag("strict"), parsed.Settings);
    }

    public override async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.GetFullPath(Path);
        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"import failed: file '{path}' does not exist.");
            return NoInputExitCode;
        }

        using var cancellation = new CtrlCCancellation(cancellationToken);
        try
        {
            await using var app = AppHost.CreateBuilder([.. Settings]).Build();
            await app.Services.GetRequiredService<ICatalogIndex>().EnsureCreatedAsync(cancellation.Token);
            var report = await app.Services.GetRequiredService<CatalogImporter>().ImportFileAsync(path, Strict, cancellation.Token);
            return await ReportAsync(report, output, error);
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.");
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"import failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The report as JSON on stdout, a summary (or the errors) on stderr; the exit code.</summary>
    private static async Task<int> ReportAsync(ImportReport report, TextWriter output, TextWriter error)
    {
        await output.WriteLineAsync(JsonSerializer.Serialize(report, ReportJson));
        if (!report.Succeeded)
        {
            await error.WriteLineAsync($"import failed: {report.Failure}");
            foreach (var e in report.Errors)
            {
                await error.WriteLineAsync($"  {e}");
            }

            return 1;
        }

        await error.WriteLineAsync(
            $"imported {report.Indexed} documents ({report.Format}) in {report.DurationMs / 1000:F1} s; {report.Skipped} bad records skipped.");
        return report.Skipped > 0 ? 2 : 0;
    }
}
