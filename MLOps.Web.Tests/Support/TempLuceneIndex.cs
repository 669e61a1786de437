using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Lucene;

namespace MLOps.Web.Tests.Support;

/// <summary>A real Lucene catalog index in a temp folder of its own, deleted on dispose.</summary>
public sealed class TempLuceneIndex : IDisposable
{
    public TempLuceneIndex(string name)
    {
        Path = TempDirectory.Create(name);
        Index = new LuceneCatalogIndex(Path, NullLogger<LuceneCatalogIndex>.Instance);
    }

    public string Path { get; }

    public LuceneCatalogIndex Index { get; }

    public void Dispose()
    {
        Index.Dispose();
        Directory.Delete(Path, recursive: true);
    }
}
