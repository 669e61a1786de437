using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Models;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Models;

/// <summary>The registry folder: listing, finding, numbering, registry.json and safe id segments; nothing is loaded.</summary>
public sealed class ModelStoreTests
{
    private static ModelStore EmptyStore() => new(TempDirectory.Create("store"), NullLogger.Instance);

    private static void WriteVersion(ModelStore store, string name, string version, string manifest = """{"kind": "embedding"}""")
    {
        var directory = store.VersionDirectory(name, version);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ModelManifest.FileName), manifest);
    }

    [Fact]
    public void Versions_are_listed_by_name_then_numerically_and_broken_or_unsafe_folders_are_skipped()
    {
        var store = EmptyStore();
        foreach (var v in new[] { "10", "2", "1", "beta" })
        {
            WriteVersion(store, "b-model", v);
        }

        WriteVersion(store, "a-model", "1");
        WriteVersion(store, "a-model", "3", "{ not json");
        Directory.CreateDirectory(Path.Combine(store.Root, ".staging-a-model-x", "1"));
        Directory.CreateDirectory(store.VersionDirectory("c-model", "1")); // no manifest

        Assert.Equal(["a-model@1", "b-model@1", "b-model@2", "b-model@10", "b-model@beta"], store.ListEntries().Select(e => e.Descriptor.Id));
    }

    [Fact]
    public void The_next_version_is_one_more_than_the_highest_numeric_one()
    {
        var store = EmptyStore();
        Assert.Equal("1", store.NextVersion("m"));
        WriteVersion(store, "m", "1");
        WriteVersion(store, "m", "7");
        WriteVersion(store, "m", "rc");
        Assert.Equal("8", store.NextVersion("m"));
    }

    [Fact]
    public void Find_returns_null_for_an_unknown_id_get_throws_not_found_and_a_broken_manifest_is_unusable()
    {
        var store = EmptyStore();
        WriteVersion(store, "m", "1");
        WriteVersion(store, "m", "2", "{ not json");

        Assert.Equal(ModelKind.Embedding, store.Find("m@1")!.Descriptor.Kind);
        Assert.Null(store.Find("m@9"));
        Assert.Null(store.Find("../m@1"));
        Assert.Equal("m@9", Assert.Throws<ModelNotFoundException>(() => store.Get("m@9")).ModelId);
        Assert.Contains("broken manifest", Assert.Throws<ModelUnusableException>(() => store.Find("m@2")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_state_round_trips_through_registry_json_and_a_corrupt_file_reads_as_empty()
    {
        var store = EmptyStore();
        Assert.Equal(RegistryState.Empty, store.ReadState());

        var state = new RegistryState("m@2", "m@1", DateTimeOffset.UnixEpoch, "test");
        store.WriteState(state);
        Assert.Equal(state, store.ReadState());
        Assert.Equal([ModelStore.StateFile], Directory.GetFiles(store.Root).Select(Path.GetFileName));

        File.WriteAllText(Path.Combine(store.Root, ModelStore.StateFile), "{ torn");
        Assert.Equal(RegistryState.Empty, store.ReadState());
    }

    [Theory]
    [InlineData("name@1", true, "name", "1")]
    [InlineData("org@team@2", false, "", "")]
    [InlineData("..@1", false, "", "")]
    [InlineData("a/b@1", false, "", "")]
    [InlineData("noversion", false, "", "")]
    [InlineData("@1", false, "", "")]
    public void Ids_split_into_safe_segments_only(string id, bool ok, string name, string version)
    {
        Assert.Equal(ok, ModelStore.TrySplitId(id, out var n, out var v) && n.Length > 0);
        if (ok)
        {
            Assert.Equal((name, version), (n, v));
        }
    }

    [Theory]
    [InlineData("tests/tiny nli!", "tests-tiny-nli")]
    [InlineData("..", "model")]
    [InlineData("MiniLM-L6_v2.onnx", "MiniLM-L6_v2.onnx")]
    public void Names_are_made_safe(string raw, string safe) => Assert.Equal(safe, ModelStore.SanitizeName(raw));
}
