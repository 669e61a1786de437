using System.Text.Json;
using Microsoft.Extensions.Options;

namespace MLOps.Web.Features.Evaluation;

/// <summary>
/// Seeds an empty judgment store at start from <c>Evaluation:SeedDirectory</c>: one file per set,
/// <c>&lt;set&gt;.json</c> in the body format of <c>PUT /api/judgments/{set}</c>. A store that holds
/// any set is never touched, so edits made through the API are not overwritten.
/// </summary>
public sealed partial class JudgmentSeeder(
    IJudgmentStore store,
    IOptions<EvaluationOptions> options,
    TimeProvider time,
    ILogger<JudgmentSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.SeedDirectory))
        {
            return;
        }

        var dir = Path.IsPathRooted(o.SeedDirectory) ? o.SeedDirectory : Path.Combine(AppContext.BaseDirectory, o.SeedDirectory);
        if (!Directory.Exists(dir))
        {
            return;
        }

        try
        {
            if ((await store.ListAsync(cancellationToken)).Count > 0)
            {
                return;
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
            {
                await SeedAsync(file, o.MaxJudgmentsPerSet, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store is unreachable (Redis down): start anyway; sets can be PUT later.
            LogSeedingFailed(logger, ex, dir);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task SeedAsync(string file, int maxJudgments, CancellationToken cancellationToken)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (!JudgmentSetName.IsValid(name))
        {
            LogSkipped(logger, file, "the file name is not a valid set name ([A-Za-z0-9_-], 1 to 64 characters)");
            return;
        }

        JudgmentSetRequest? request;
        try
        {
            await using var stream = File.OpenRead(file);
            request = await JsonSerializer.DeserializeAsync<JudgmentSetRequest>(stream, EvaluationJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            LogSkipped(logger, file, ex.Message);
            return;
        }

        switch (JudgmentUploadReader.FromJson(request, fallbackQuery: null, maxJudgments))
        {
            case JudgmentUpload.Valid(var query, var judgments):
                await store.PutAsync(new JudgmentSet(name, query, judgments, time.GetUtcNow()), cancellationToken);
                LogSeeded(logger, name, judgments.Count, file);
                break;
            case JudgmentUpload.Invalid invalid:
                LogSkipped(logger, file, string.Join("; ", invalid.Errors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")));
                break;
        }
    }

    [LoggerMessage(EventId = 6401, Level = LogLevel.Information, Message = "Seeded judgment set {Set} ({Count} judgments) from {File}")]
    private static partial void LogSeeded(ILogger logger, string set, int count, string file);

    [LoggerMessage(EventId = 6402, Level = LogLevel.Warning, Message = "Judgment seed file {File} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 6403, Level = LogLevel.Error, Message = "Could not seed judgment sets from {Directory}")]
    private static partial void LogSeedingFailed(ILogger logger, Exception exception, string directory);
}
