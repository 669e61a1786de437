using System.IO.Compression;
using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Models;

/// <summary>A zip upload to <c>POST /api/models</c>: unpacked into a temp folder (entries checked, size bounded), the model folder in it found.</summary>
internal static class ModelUpload
{
    /// <summary>Unpacks <paramref name="file"/>, registers the model it holds and deletes the temp folder.</summary>
    public static async Task<Shared.Models.ModelDescriptor> RegisterAsync(IFormFile file, ModelLifecycle lifecycle, long maxUncompressed, CancellationToken cancellationToken)
    {
        var work = Path.Combine(Path.GetTempPath(), $"mlops-upload-{Guid.NewGuid():N}");
        try
        {
            var folder = Path.Combine(work, SafeFolderName(file.FileName));
            Directory.CreateDirectory(folder);
            await using (var stream = file.OpenReadStream())
            {
                Extract(stream, folder, maxUncompressed);
            }

            return await lifecycle.RegisterAsync(FindModelFolder(folder), cancellationToken);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static void Extract(Stream stream, string folder, long maxUncompressed)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            if (zip.Entries.Sum(e => e.Length) > maxUncompressed)
            {
                throw ProblemException.BadRequest("file", "The zip expands beyond the configured upload limit.");
            }

            var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
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

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target);
            }
        }
        catch (InvalidDataException e)
        {
            throw ProblemException.BadRequest("file", $"The upload is not a valid zip: {e.Message}");
        }
    }

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
