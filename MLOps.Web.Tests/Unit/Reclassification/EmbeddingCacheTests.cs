using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Reclassification;

public sealed class EmbeddingCacheTests
{
    private static DiskEmbeddingCache Cache(string root) => new(
        new DataDirectory(Options.Create(new StorageOptions { DataDirectory = root }), new Env(root)),
        Options.Create(new ReclassificationOptions()));

    private static readonly string Sha = new('a', 64);

    [Fact]
    public async Task Vectors_written_by_one_cache_are_read_back_by_a_new_one_on_the_same_directory()
    {
        var root = TempDirectory.Create("embcache");
        var keys = new[] { EmbeddingCacheKey.ForText("first text"), EmbeddingCacheKey.ForText("second text") };
        using (var cache = Cache(root))
        {
            await cache.PutManyAsync(Sha, keys, [[1f, 2f, 3f], [-0.5f, 0.25f, 8f]], CancellationToken.None);
        }

        using var reopened = Cache(root);
        var got = await reopened.GetManyAsync(Sha, [keys[1], EmbeddingCacheKey.ForText("never stored"), keys[0]], CancellationToken.None);
        Assert.Equal([-0.5f, 0.25f, 8f], got[0]!);
        Assert.Null(got[1]);
        Assert.Equal([1f, 2f, 3f], got[2]!);

        // Another model's vectors are separate.
        Assert.All(await reopened.GetManyAsync(new string('b', 64), keys, CancellationToken.None), Assert.Null);
    }

    [Fact]
    public async Task A_record_cut_short_by_a_crash_is_dropped_and_later_appends_stay_readable()
    {
        var root = TempDirectory.Create("embcache");
        var k1 = EmbeddingCacheKey.ForText("one");
        var k2 = EmbeddingCacheKey.ForText("two");
        var k3 = EmbeddingCacheKey.ForText("three");
        using (var cache = Cache(root))
        {
            await cache.PutManyAsync(Sha, [k1, k2], [[1f, 1f], [2f, 2f]], CancellationToken.None);
        }

        var file = Directory.GetFiles(Path.Combine(root, "embedding-cache"), "*.bin").Single();
        var length = new FileInfo(file).Length;
        Assert.Equal(2 * (32 + 4 + 8), length);
        await using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(length - 3); // the second record loses its last bytes
        }

        using (var cache = Cache(root))
        {
            var got = await cache.GetManyAsync(Sha, [k1, k2], CancellationToken.None);
            Assert.Equal([1f, 1f], got[0]!);
            Assert.Null(got[1]);
            await cache.PutManyAsync(Sha, [k3], [[3f, 3f]], CancellationToken.None);
        }

        using var last = Cache(root);
        var all = await last.GetManyAsync(Sha, [k1, k2, k3], CancellationToken.None);
        Assert.Equal([1f, 1f], all[0]!);
        Assert.Null(all[1]);
        Assert.Equal([3f, 3f], all[2]!);
    }

    [Fact]
    public void Text_keys_are_the_sha256_of_the_utf8_text()
    {
        // sha256("abc"), a published test vector.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", EmbeddingCacheKey.ForText("abc"));
        Assert.NotEqual(EmbeddingCacheKey.ForText("Abc"), EmbeddingCacheKey.ForText("abc"));
        Assert.Equal(new string('c', 64), EmbeddingCacheKey.ForModel(new string('C', 64)));
        Assert.Equal(EmbeddingCacheKey.ForText("../../etc"), EmbeddingCacheKey.ForModel("../../etc"));
    }

    private sealed class Env(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Testing";
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = root;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
