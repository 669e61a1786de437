using System.IO.Compression;
using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Models;

/// <summary>
/// A zip upload to <c>POST /api/models</c>: the form read (a malformed multipart body is a 400), the
/// zip unpacked into a temp folder (entries checked: no path outside it, no two with one name; the
/// uncompressed size bounded by <c>Models:MaxUploadMegabytes</c> on the declared sizes first and on
/// the bytes actually written as it extracts, so a zip bomb stops at the limit), the model folder in
/// it found and registered. The temp folder is deleted whatever happens, and no message names it.
/// </summary>
internal static class ModelUpload
{
    private const int CopyBuffer = 81920;

    /// <summary>The uploaded zip of a multipart request, or the problem of a body that is not a readable form with one.</summary>
    public static async Task<(IFormFile? File, string? Problem)> ReadFileAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // No boundary, a truncated body, a part without Content-Disposition, a part over the limits.
            return (null, $"The multipart body cannot be read: {e.Message}");
        }

        var file = form.Files.GetFile("file") ?? (form.Files.Count > 0 ? form.Files[0] : null);
        return file is null || file.Length == 0 ? (null, "Upload a zip file in the form field 'file'.") : (file, null);
    }

    /// <summary>
    /// Unpacks <paramref name="file"/> under <paramref name="workRoot"/> (the data directory's <c>tmp</c>:
    /// a container's <c>/tmp</c> is small), registers the model it holds and deletes the work folder.
    /// </summary>
    public static async Task<Shared.Models.ModelDescriptor> RegisterAsync(
        IFormFile file, ModelLifecycle lifecycle, long maxUncompressed, string workRoot, CancellationToken cancellationToken)
    {
        var work = Path.Combine(workRoot, $"mlops-upload-{Guid.NewGuid():N}");
        try
        {
            var folder = Path.Combine(work, SafeFolderName(file.FileName));
            Directory.CreateDirectory(folder);
            await using (var stream = file.OpenReadStream())
            {
                await ExtractAsync(stream, folder, maxUncompressed, cancellationToken);
            }

            return await lifecycle.RegisterAsync(FindModelFolder(folder), $"upload {SafeFolderName(file.FileName)}.zip", [work], cancellationToken);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    internal static async Task ExtractAsync(Stream stream, string folder, long maxUncompressed, CancellationToken cancellationToken)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            if (zip.Entries.Sum(e => e.Length) > maxUncompressed)
            {
                throw TooLarge(maxUncompressed);
            }

            var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
            var names = new HashSet<string>(StringComparer.Ordinal);
            long written = 0;
            foreach (var entry in zip.Entries)
            {
                var target = Path.GetFullPath(Path.Combine(folder, entry.FullName));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                {
                    throw ProblemException.BadRequest("file", $"Zip entry '{entry.FullName}' points outside the archive.");
                }

                if (entry.FullName.EndsWith('/'))
                {
                    Directory.CreateDirectory(target);
                    continue;
                }

                if (!names.Add(target))
                {
                    throw ProblemException.BadRequest("file", $"The zip has more than one entry named '{entry.FullName}'.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                written = await CopyBoundedAsync(entry, target, written, maxUncompressed, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            throw ProblemException.BadRequest("file", $"The upload is not a valid zip: {e.Message}");
        }
    }

    /// <summary>Writes the entry's bytes, stopping as soon as the archive's running total passes the limit (declared sizes can lie).</summary>
    private static async Task<long> CopyBoundedAsync(ZipArchiveEntry entry, string target, long written, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[CopyBuffer];
        await using var source = entry.Open();
        await using var sink = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBuffer, useAsync: true);
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            written += read;
            if (written > limit)
            {
                throw TooLarge(limit);
            }

            await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return written;
    }

    private static ProblemException TooLarge(long limit) =>
        ProblemException.BadRequest("file", $"The zip expands beyond the upload limit of {limit >> 20} MiB (Models:MaxUploadMegabytes).");

    /// <summary>The folder holding model.onnx: the zip root or its only top folder.</summary>
    private static string FindModelFolder(string folder)
    {
        if (File.Exists(Path.Combine(folder, "model.onnx")))
        {
            return folder;
        }

        var candidates = Directory.EnumerateFiles(folder, "model.onnx", SearchOption.AllDirectories).ToList();
        return candidates.Count == 1
            ? Path.GetDirectoryName(candidates[0])!
            : throw ProblemException.BadRequest("file", candidates.Count == 0
                ? "Missing model file 'model.onnx' in the zip."
                : "The zip holds more than one model.onnx; upload one model per zip.");
    }

    private static string SafeFolderName(string fileName)
    {
        var name = Path.GetFileNameWithoutExtension(fileName);
        var cleaned = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-')]).Trim('-', '.');
        return cleaned.Length == 0 ? "model" : cleaned;
    }
}
