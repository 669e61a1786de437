using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The contract suite on a real Lucene index in a temp folder.</summary>
public sealed class LuceneCatalogIndexContractTests : CatalogIndexContractTests, IDisposable
{
    private readonly List<LuceneCatalogIndex> _opened = [];

    protected override Task<ICatalogIndex> CreateIndexAsync(string testCase)
    {
        var index = new LuceneCatalogIndex(TempDirectory.Create($"lucene-{testCase}"), NullLogger<LuceneCatalogIndex>.Instance);
        _opened.Add(index);
        return Task.FromResult<ICatalogIndex>(index);
    }

    public void Dispose()
    {
        foreach (var index in _opened)
        {
            index.Dispose();
            Directory.Delete(index.Path, recursive: true);
        }
    }
}
