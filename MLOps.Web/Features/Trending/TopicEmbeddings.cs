using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Trending;

/// <summary>Hypothesis embeddings by tag key for the embedding rule, or why there are none.</summary>
public sealed record TopicVectors(IReadOnlyDictionary<string, float[]>? Vectors, string? Note, string? Model, double Threshold = 0);

/// <summary>
/// Embeds the hypotheses of tag labels with the active model (<see cref="IScorerProvider"/>, when the
/// host has one and it is an embedding model), cached by (model, hypothesis), so a read after the
/// first embeds only new tags. A read waits at most <c>Trending:Topics:EmbeddingTimeout</c>; an
/// embedding still running then finishes in the background and fills the cache.
/// </summary>
public sealed class TopicEmbeddings(IServiceProvider services, IOptions<TrendingOptions> options)
{
    /// <summary>Cached vectors kept; the cache is cleared when it grows past this.</summary>
    public const int MaxCached = 20_000;

    private readonly ConcurrentDictionary<(string Model, string Hypothesis), float[]> _cache = new();

    /// <summary>The vectors of <paramref name="labels"/> (key -> label), or a note saying why the rule cannot run now.</summary>
    public async Task<TopicVectors> EmbedAsync(IReadOnlyList<(string Key, string Label)> labels, CancellationToken cancellationToken)
    {
        var o = options.Value.Topics;
        if (labels.Count == 0)
        {
            return new TopicVectors(null, null, null);
        }

        var (lease, threshold, refused) = await AcquireAsync(o, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var scorer = (IEmbeddingScorer)lease!.Scorer;
        var model = scorer.Model.Id;
        var hypotheses = labels.Select(l => scorer.Hypothesis(l.Label, null)).ToList();
        var missing = hypotheses.Where(h => !_cache.ContainsKey((model, h))).Distinct(StringComparer.Ordinal).ToList();
        var work = missing.Count == 0 ? Task.CompletedTask : FillAsync(scorer, lease, missing);
        if (missing.Count == 0)
        {
            lease.Dispose();
        }

        try
        {
            await work.WaitAsync(o.EmbeddingTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return new TopicVectors(null, $"embedding rule skipped: {missing.Count} new hypotheses still embedding with {model}", model);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new TopicVectors(null, $"embedding rule skipped: embedding with {model} failed ({ex.Message})", model);
        }

        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            if (_cache.TryGetValue((model, hypotheses[i]), out var v))
            {
                vectors[labels[i].Key] = v;
            }
        }

        return new TopicVectors(vectors, null, model, threshold);
    }

    /// <summary>A lease on the active model when it is an embedding model with a measured threshold; else why not.</summary>
    private async Task<(ScorerLease? Lease, double Threshold, TopicVectors? Refused)> AcquireAsync(TopicOptions o, CancellationToken cancellationToken)
    {
        if (services.GetService<IScorerProvider>() is not { } provider || provider.ActiveModelId is null)
        {
            return (null, 0, new TopicVectors(null, "embedding rule skipped: no model is loaded", null));
        }

        ScorerLease lease;
        try
        {
            lease = await provider.AcquireAsync(null, cancellationToken);
        }
        catch (ModelException ex)
        {
            return (null, 0, new TopicVectors(null, $"embedding rule skipped: {ex.Message}", null));
        }

        var model = lease.Scorer.Model;
        var threshold = o.EmbeddingThresholds.GetValueOrDefault(model.Name);
        var note = lease.Scorer is not IEmbeddingScorer ? $"embedding rule skipped: the active model {model.Id} is not an embedding model"
            : threshold <= 0 ? $"embedding rule off: no threshold measured for {model.Name} (Trending:Topics:EmbeddingThresholds)"
            : null;
        if (note is not null)
        {
            lease.Dispose();
            return (null, 0, new TopicVectors(null, note, model.Id));
        }

        return (lease, threshold, null);
    }

    /// <summary>Embeds <paramref name="hypotheses"/> into the cache, then releases the lease (also when the caller stopped waiting).</summary>
    private async Task FillAsync(IEmbeddingScorer scorer, ScorerLease lease, List<string> hypotheses)
    {
        using (lease)
        {
            var vectors = await scorer.EmbedAsync(hypotheses, CancellationToken.None);
            if (_cache.Count + vectors.Length > MaxCached)
            {
                _cache.Clear();
            }

            for (var i = 0; i < vectors.Length; i++)
            {
                _cache[(scorer.Model.Id, hypotheses[i])] = vectors[i];
            }
        }
    }
}
