using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;

namespace MLOps.Web.Features.Models;

/// <summary>Logistic calibration of an embedding model, as the API shows it.</summary>
public sealed record CalibrationInfo(
    [property: JsonPropertyName("a")] double A,
    [property: JsonPropertyName("b")] double B,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("fitted_from")] string? FittedFrom);

/// <summary>One registered model version.</summary>
public sealed record ModelInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("previous")] bool Previous,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("pooling")] string? Pooling,
    [property: JsonPropertyName("max_tokens")] int MaxTokens,
    [property: JsonPropertyName("hypothesis_template")] string HypothesisTemplate,
    [property: JsonPropertyName("calibration")] CalibrationInfo? Calibration,
    [property: JsonPropertyName("created_at")] DateTimeOffset? CreatedAt,
    [property: JsonPropertyName("metrics")] JsonObject? Metrics);

/// <summary>Registers a model folder the service can read.</summary>
public sealed record RegisterModelRequest([property: JsonPropertyName("path")] string? Path);

/// <summary>Why a version is promoted (recorded in the registry).</summary>
public sealed record PromoteModelRequest([property: JsonPropertyName("reason")] string? Reason);

/// <summary>Which version is active after a rollback, and which one it replaced.</summary>
public sealed record RollbackResponse(
    [property: JsonPropertyName("active")] string Active,
    [property: JsonPropertyName("previous")] string? Previous);

/// <summary>Model registry API: list, register (folder path or zip upload), promote, rollback.</summary>
public static class ModelsEndpoints
{
    public static WebApplication MapModelsEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/api/models").WithTags("Models");

        group.MapGet("", List)
            .WithName("ListModels")
            .WithSummary("Every registered model version, with the active one flagged, its kind, sha256 and source.");

        var maxUpload = (long)app.Services.GetRequiredService<IOptions<ModelsOptions>>().Value.MaxUploadMegabytes << 20;
        group.MapPost("", RegisterAsync)
            .WithName("RegisterModel")
            .WithSummary("Registers a model: JSON {\"path\": \"/dir\"} naming a folder, or a multipart upload (field 'file') of a zip with model.onnx, tokenizer files and mlops-model.json or a Hugging Face config.json. The package is loaded and smoke-tested first; a broken one is refused with the reason and nothing active changes.")
            .Accepts<RegisterModelRequest>("application/json", "multipart/form-data")
            .WithRequestExample("""{"path": "/models/incoming/my-mnli-model"}""")
            .WithMetadata(new RequestSizeLimitAttribute(maxUpload))
            .WithFormOptions(multipartBodyLengthLimit: maxUpload)
            .DisableAntiforgery();

        group.MapPost("/{id}/promote", PromoteAsync)
            .WithName("PromoteModel")
            .WithSummary("Makes a version the active one, atomically and without a restart; requests in flight finish on the old version.")
            .WithRequestExample("""{"reason": "beats the champion on NDCG@10"}""")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPost("/rollback", RollbackAsync)
            .WithName("RollbackModel")
            .WithSummary("Re-activates the previously active version.")
            .ProducesProblem(StatusCodes.Status409Conflict);

        return app;
    }

    private static Ok<ModelInfo[]> List(ModelRegistry registry) => TypedResults.Ok(Describe(registry));

    private static async Task<Results<Created<ModelInfo>, ValidationProblem>> RegisterAsync(
        HttpRequest request, ModelRegistry registry, IOptions<ModelsOptions> options, CancellationToken cancellationToken)
    {
        Shared.Models.ModelDescriptor registered;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            var file = form.Files.GetFile("file") ?? (form.Files.Count > 0 ? form.Files[0] : null);
            if (file is null || file.Length == 0)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = ["Upload a zip file in the form field 'file'."] });
            }

            var work = Path.Combine(Path.GetTempPath(), $"mlops-upload-{Guid.NewGuid():N}");
            try
            {
                var folder = Path.Combine(work, SafeFolderName(file.FileName));
                Directory.CreateDirectory(folder);
                await using (var stream = file.OpenReadStream())
                {
                    Extract(stream, folder, (long)options.Value.MaxUploadMegabytes << 22);
                }

                registered = await registry.RegisterAsync(FindModelFolder(folder), cancellationToken);
            }
            finally
            {
                if (Directory.Exists(work))
                {
                    Directory.Delete(work, recursive: true);
                }
            }
        }
        else
        {
            RegisterModelRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<RegisterModelRequest>(cancellationToken);
            }
            catch (System.Text.Json.JsonException e)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"Invalid JSON: {e.Message}"] });
            }
            catch (InvalidOperationException)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["Send JSON {\"path\": ...} or a multipart zip upload."] });
            }

            if (string.IsNullOrWhiteSpace(body?.Path))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["path"] = ["The model folder path is required."] });
            }

            registered = await registry.RegisterAsync(body.Path, cancellationToken);
        }

        var info = Describe(registry).First(m => m.Id == registered.Id);
        return TypedResults.Created($"/api/models/{Uri.EscapeDataString(info.Id)}", info);
    }

    private static async Task<Ok<ModelInfo>> PromoteAsync(string id, ModelRegistry registry, CancellationToken cancellationToken, PromoteModelRequest? body = null)
    {
        await registry.PromoteAsync(id, body?.Reason ?? "promoted through the API", cancellationToken);
        return TypedResults.Ok(Describe(registry).First(m => m.Id == id));
    }

    private static async Task<Ok<RollbackResponse>> RollbackAsync(ModelRegistry registry, CancellationToken cancellationToken)
    {
        var active = await registry.RollbackAsync(cancellationToken);
        return TypedResults.Ok(new RollbackResponse(active, registry.ReadState().Previous));
    }

    private static ModelInfo[] Describe(ModelRegistry registry)
    {
        var active = registry.ActiveModelId;
        var previous = registry.ReadState().Previous;
        return [.. registry.ListEntries().Select(e => new ModelInfo(
            e.Descriptor.Id,
            e.Descriptor.Name,
            e.Descriptor.Version,
            e.Descriptor.Kind.ToString().ToLowerInvariant(),
            e.Descriptor.Id == active,
            e.Descriptor.Id == previous,
            e.Descriptor.Sha256,
            e.Manifest.Source,
            e.Descriptor.Kind == Shared.Models.ModelKind.Embedding ? e.Manifest.Pooling.ToString().ToLowerInvariant() : null,
            e.Manifest.MaxTokens,
            e.Manifest.HypothesisTemplate,
            e.Manifest.Calibration is { } c ? new CalibrationInfo(c.A, c.B, c.Method, c.FittedFrom) : null,
            e.Manifest.CreatedAt,
            e.Manifest.Metrics))];
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
