using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Classification;

/// <summary>The built-in models written once per test run into a temp registry (through the shared extraction cache).</summary>
public static class BuiltInModelFiles
{
    public static string CacheDirectory => Path.Combine(Path.GetTempPath(), "mlops-test-builtin-models");

    private static readonly Lazy<Task<string>> Registry = new(async () =>
    {
        var root = TempDirectory.Create("builtin-registry");
        var materializer = new BuiltInModelMaterializer(root, CacheDirectory, TimeProvider.System, NullLogger.Instance);
        foreach (var model in BuiltInModels.All)
        {
            await materializer.MaterializeAsync(model, CancellationToken.None);
        }

        return root;
    });

    public static async Task<string> DirectoryOfAsync(string name) =>
        Path.Combine(await Registry.Value, name, BuiltInModel.Version);

    /// <summary>vocab.txt read by the test itself: token -> id (line number, from 0).</summary>
    public static async Task<Dictionary<string, int>> VocabularyAsync(string name)
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(await DirectoryOfAsync(name), "vocab.txt"));
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            vocab.TryAdd(lines[i].TrimEnd('\r'), i);
        }

        return vocab;
    }
}
