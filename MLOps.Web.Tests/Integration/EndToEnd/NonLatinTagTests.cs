using System.Net;
using System.Net.Http.Json;
using MLOps.Web.Features.Reclassification;
using MLOps.Web.Shared;
using MLOps.Web.Shared.Trending;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.EndToEnd;

/// <summary>
/// Issue 13: a trending tag with no Latin letter is not dropped. Pushed posts make #クリスマス and
/// #ハロウィン trend (as their own topics: nothing links them to a Latin tag); a run over the trending
/// tags scores them with the real model into their <c>t_</c> fields, the runs API maps each tag to its
/// field, and the search sorts by that field, by name or by the hashtag.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class NonLatinTagTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_tag_with_no_latin_letter_is_scored_by_a_run_and_found_by_sort_through_its_field_key()
    {
        await using var app = await EndToEndApp.StartAsync(redis: false, new Dictionary<string, string?> { ["Trending:Source"] = "push" });
        var posts = Enumerable.Repeat(new { text = "今年も #クリスマス の映画" }, 8)
            .Concat(Enumerable.Repeat(new { text = "仮装の準備 #ハロウィン" }, 5));
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsJsonAsync("/api/posts", posts)).StatusCode);
        var field = LabelNaming.ToFieldName("クリスマス");
        Assert.StartsWith("classification_t_kurisumasu_", field);

        var trending = (await app.Client.GetFromJsonAsync<TrendingSnapshot>("/api/trending", EndToEndApp.Json))!;
        Assert.Equal([("クリスマス", field), ("ハロウィン", LabelNaming.ToFieldName("ハロウィン"))], trending.Tags.Select(t => (t.Tag, t.Field)));

        var run = await app.ReclassifyAsync(labels: null, TimeSpan.FromMinutes(3));
        output.WriteLine($"run {run.Id}: {string.Join(", ", run.TagFields.Select(t => $"{t.Tag} -> {t.Field} ({t.Label})"))}");
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(new RunTag("クリスマス", "クリスマス", field), run.TagFields[0]);
        Assert.Equal(run.Fields, run.TagFields.Select(t => t.Field));
        Assert.Equal(run.Documents, run.DocumentsDone);

        var byField = await app.SearchAsync($"sort={field}&size=20");
        Assert.Equal(field, byField.Sort);
        Assert.Equal(20, byField.Hits.Count);
        Assert.All(byField.Hits, h => Assert.True(h.Classifications.ContainsKey(field), $"{h.Id} has no {field}"));
        var scores = byField.Hits.Select(h => h.Classifications[field]).ToList();
        Assert.Equal(scores.OrderDescending(), scores);

        var byTag = await app.SearchAsync($"sort={Uri.EscapeDataString("#クリスマス")}&size=20");
        Assert.Equal(field, byTag.Sort);
        Assert.Equal(byField.Hits.Select(h => h.Id), byTag.Hits.Select(h => h.Id));
    }
}
