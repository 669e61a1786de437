using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Catalog;

/// <summary>
/// Where a strict <c>POST /api/catalog/import</c> stages its body (<c>&lt;data&gt;/tmp/import-*.staging</c>:
/// two passes need the body twice). An import deletes its file when it ends; a process killed
/// mid-import cannot, so <see cref="ImportStagingCleanup"/> removes what is left at the next start
/// (no import runs then: the data directory belongs to one process, as the Lucene lock already says).
/// </summary>
public static class ImportStaging
{
    private const string Pattern = "import-*.staging";

    public static string Folder(DataDirectory data) => data.Resolve("tmp");

    /// <summary>A fresh staging file path (its folder created).</summary>
    public static string NewPath(DataDirectory data)
    {
        var folder = Folder(data);
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, $"import-{Guid.NewGuid():N}.staging");
    }

    /// <summary>Deletes every staging file in the folder; returns how many and their bytes.</summary>
    public static (int Files, long Bytes) RemoveAll(DataDirectory data)
    {
        var folder = Folder(data);
        if (!Directory.Exists(folder))
        {
            return (0, 0);
        }

        var (files, bytes) = (0, 0L);
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles(Pattern))
        {
            var length = file.Length;
            file.Delete();
            files++;
            bytes += length;
        }

        return (files, bytes);
    }
}

/// <summary>At start, before any request: removes staging files a killed import left behind.</summary>
public sealed partial class ImportStagingCleanup(DataDirectory data, ILogger<ImportStagingCleanup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var (files, bytes) = ImportStaging.RemoveAll(data);
        if (files > 0)
        {
            var folder = ImportStaging.Folder(data);
            LogRemoved(logger, files, bytes, folder);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 4013, Level = LogLevel.Information, Message = "Removed {Files} stale import staging file(s) ({Bytes} bytes) from {Folder}, left by an import the process did not finish")]
    private static partial void LogRemoved(ILogger logger, int files, long bytes, string folder);
}
