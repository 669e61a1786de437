using MLOps.Web.Features.Models;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Models;

/// <summary>New versions assembled in a staging folder and moved into place in one rename, or not at all.</summary>
public sealed class StagedModelTests
{
    private static string[] Staging(ModelStore store) => Directory.GetDirectories(store.Root, ".staging*");

    [Fact]
    public async Task A_derived_version_keeps_the_base_model_file_adds_files_and_edits_the_manifest()
    {
        var store = await TinyRegistry.CreateAsync(versions: 1);
        var baseVersion = store.Get("tiny@1");
        var learned = Path.Combine(TempDirectory.Create("learned"), "adapter.bin");
        await File.WriteAllBytesAsync(learned, [1, 2, 3]);

        ModelDescriptor derived;
        await using (var staged = StagedModel.DeriveFrom(store, baseVersion))
        {
            staged.AddFile("params/adapter.bin", learned);
            staged.Manifest.Source = "trained from tiny@1";
            await staged.StageAsync(store.NextVersion("tiny"), CancellationToken.None);
            derived = staged.Commit();
        }

        Assert.Equal("tiny@2", derived.Id);
        Assert.Equal(store.VersionDirectory("tiny", "2"), derived.Directory);
        Assert.Equal(baseVersion.Descriptor.Sha256, derived.Sha256);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(baseVersion.Descriptor.Directory, "model.onnx")),
            await File.ReadAllBytesAsync(Path.Combine(derived.Directory, "model.onnx")));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(Path.Combine(derived.Directory, "params", "adapter.bin")));
        var manifest = store.Get("tiny@2").Manifest;
        Assert.Equal(("tiny", "2", "trained from tiny@1"), (manifest.Name, manifest.Version, manifest.Source));
        Assert.NotEqual("trained from tiny@1", store.Get("tiny@1").Manifest.Source); // the base version is untouched
        Assert.Empty(Staging(store));
    }

    [Fact]
    public async Task A_replaced_model_file_is_hashed_again()
    {
        var store = await TinyRegistry.CreateAsync(versions: 1);
        var baseVersion = store.Get("tiny@1");
        var quantized = Path.Combine(TempDirectory.Create("quantized"), "model.onnx");
        await File.WriteAllBytesAsync(quantized, [9, 9, 9, 9]);

        await using var staged = StagedModel.DeriveFrom(store, baseVersion);
        Assert.Equal(baseVersion.Descriptor.Sha256, await staged.Sha256Async(CancellationToken.None));
        staged.AddFile(StagedModel.ModelFile, quantized);
        var candidate = await staged.StageAsync("2", CancellationToken.None);

        Assert.Equal(await ModelManifest.Sha256Async(quantized, CancellationToken.None), candidate.Sha256);
        Assert.NotEqual(baseVersion.Descriptor.Sha256, candidate.Sha256);
        Assert.Equal(staged.Directory, candidate.Directory);
    }

    [Fact]
    public async Task A_version_never_committed_leaves_nothing_behind()
    {
        var store = await TinyRegistry.CreateAsync(versions: 1);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var staged = StagedModel.DeriveFrom(store, store.Get("tiny@1"));
            await staged.StageAsync("2", CancellationToken.None);
            Assert.NotEmpty(Staging(store));
            throw new InvalidOperationException("validation failed");
        });

        Assert.Empty(Staging(store));
        Assert.False(store.Exists("tiny", "2"));
    }

    [Fact]
    public async Task A_file_may_not_be_placed_outside_the_staged_version()
    {
        var store = await TinyRegistry.CreateAsync(versions: 1);
        await using var staged = StagedModel.Create(store, "m", new ModelManifest());
        Assert.Throws<ArgumentException>(() => staged.PathOf("../escape.txt"));
        Assert.Throws<InvalidOperationException>(() => staged.Commit());
    }
}
