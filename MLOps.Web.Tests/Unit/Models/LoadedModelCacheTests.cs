using MLOps.Web.Features.Models;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Tests.Unit.Models;

/// <summary>
/// The loaded-model cache over tiny NLI versions and a scripted loader: one load per version however
/// many callers ask, loads outside any lock, failed loads forgotten, references never leaked. No
/// timing: a held load stays held until the test opens its gate.
/// </summary>
public sealed class LoadedModelCacheTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private ModelStore _store = null!;
    private ScriptedLoader _loader = null!;

    public async Task InitializeAsync()
    {
        _store = await TinyRegistry.CreateAsync(versions: 4);
        _loader = new ScriptedLoader(TinyRegistry.RealLoader());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private LoadedModelCache NewCache(int maxInactive = 2) => new(_store, _loader, new ModelReadiness("tiny@1"), maxInactive);

    private async Task ActivateAsync(LoadedModelCache cache, string id) =>
        cache.Activate(await cache.ReferenceAsync(_store.Get(id), CancellationToken.None));

    [Fact]
    public async Task Many_concurrent_leases_of_a_version_not_in_memory_cause_one_load()
    {
        await using var cache = NewCache();
        var gate = _loader.Hold("tiny@2");

        var leases = Enumerable.Range(0, 16)
            .Select(_ => Task.Run(async () => await cache.AcquireAsync("tiny@2", CancellationToken.None)))
            .ToList();
        await _loader.Entered("tiny@2").WaitAsync(Guard);
        gate.TrySetResult();
        var leased = await Task.WhenAll(leases).WaitAsync(Guard);

        Assert.Equal(1, _loader.Loads["tiny@2"]);
        Assert.All(leased, l => Assert.Same(leased[0].Scorer, l.Scorer));
        Assert.All(leased, l => Assert.Equal("tiny@2", l.Scorer.Model.Id));
        foreach (var lease in leased)
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task A_slow_load_of_one_version_holds_up_no_lease_of_other_versions()
    {
        await using var cache = NewCache();
        await ActivateAsync(cache, "tiny@1");
        using (await cache.AcquireAsync("tiny@3", CancellationToken.None))
        {
            // tiny@3 is now loaded and inactive
        }

        var gate = _loader.Hold("tiny@2");
        var slow = cache.AcquireAsync("tiny@2", CancellationToken.None).AsTask();
        await _loader.Entered("tiny@2").WaitAsync(Guard);

        // While tiny@2 is still loading: the active version, an inactive loaded one and a fresh load of another all serve.
        using (var active = await cache.AcquireAsync(null, CancellationToken.None).AsTask().WaitAsync(Guard))
        using (var byId = await cache.AcquireAsync("tiny@1", CancellationToken.None).AsTask().WaitAsync(Guard))
        using (var inactive = await cache.AcquireAsync("tiny@3", CancellationToken.None).AsTask().WaitAsync(Guard))
        using (var other = await cache.AcquireAsync("tiny@4", CancellationToken.None).AsTask().WaitAsync(Guard))
        {
            var scores = await active.Scorer.ScoreAsync(["the father lost a toy ."], ["ocean"], new ZeroShotOptions(true), CancellationToken.None);
            Assert.InRange(scores[0][0], 0f, 1f);
            Assert.Equal(["tiny@1", "tiny@1", "tiny@3", "tiny@4"], new[] { active, byId, inactive, other }.Select(l => l.Scorer.Model.Id));
        }

        Assert.False(slow.IsCompleted);
        gate.TrySetResult();
        using var late = await slow.WaitAsync(Guard);
        Assert.Equal("tiny@2", late.Scorer.Model.Id);
    }

    [Fact]
    public async Task A_failed_load_is_not_kept_and_the_next_lease_loads_again()
    {
        await using var cache = NewCache();
        _loader.FailNext("tiny@2");

        var failure = await Assert.ThrowsAsync<ModelUnusableException>(async () => await cache.AcquireAsync("tiny@2", CancellationToken.None));
        Assert.Contains("scripted failure", failure.Message, StringComparison.Ordinal);

        using var lease = await cache.AcquireAsync("tiny@2", CancellationToken.None);
        Assert.Equal("tiny@2", lease.Scorer.Model.Id);
        Assert.Equal(2, _loader.Loads["tiny@2"]);
    }

    [Fact]
    public async Task Unknown_ids_and_an_empty_active_slot_are_domain_errors()
    {
        await using var cache = NewCache();
        await Assert.ThrowsAsync<ModelNotFoundException>(async () => await cache.AcquireAsync("nope@1", CancellationToken.None));
        var unavailable = await Assert.ThrowsAsync<ModelUnavailableException>(async () => await cache.AcquireAsync(null, CancellationToken.None));
        Assert.Equal("Loading model tiny@1.", unavailable.Message);
    }

    [Fact]
    public async Task Without_inactive_slots_a_version_leased_by_id_lives_exactly_as_long_as_its_lease()
    {
        await using var cache = NewCache(maxInactive: 0);
        var lease = await cache.AcquireAsync("tiny@2", CancellationToken.None);
        var model = await _loader.Loaded("tiny@2");

        var scores = await lease.Scorer.ScoreAsync(["the father lost a toy ."], ["ocean"], new ZeroShotOptions(true), CancellationToken.None);
        Assert.InRange(scores[0][0], 0f, 1f);
        Assert.False(model.IsDisposed);

        lease.Dispose();
        Assert.True(model.IsDisposed);
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_gives_its_reference_back()
    {
        var cache = NewCache();
        var gate = _loader.Hold("tiny@2");
        using var cancel = new CancellationTokenSource();
        var waiting = cache.AcquireAsync("tiny@2", cancel.Token).AsTask();
        await _loader.Entered("tiny@2").WaitAsync(Guard);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        gate.TrySetResult();
        var model = await _loader.Loaded("tiny@2").WaitAsync(Guard);

        // only the cache's own reference is left: disposing the cache unloads it
        await cache.DisposeAsync();
        Assert.True(model.IsDisposed);
    }

    [Fact]
    public async Task A_promotion_moves_the_replaced_version_to_the_lru_and_unloads_it_after_its_last_lease()
    {
        await using var cache = NewCache(maxInactive: 0);
        await ActivateAsync(cache, "tiny@1");
        var old = cache.ActiveModel!;
        var lease = await cache.AcquireAsync(null, CancellationToken.None);

        await ActivateAsync(cache, "tiny@2");
        Assert.Equal("tiny@2", cache.ActiveModelId);
        Assert.False(old.IsDisposed);
        Assert.Equal("tiny@1", lease.Scorer.Model.Id);

        lease.Dispose();
        Assert.True(old.IsDisposed);
    }
}
