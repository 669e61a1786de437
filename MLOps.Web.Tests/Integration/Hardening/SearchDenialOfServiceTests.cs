using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MLOps.Web.Tests.Integration.Catalog;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Issue 12, finding 1 and the regex half of finding 2, with the exact requests: queries that burned
/// CPU for seconds to minutes (and went on after the client left) are refused while they are parsed,
/// with a 400 naming <c>q</c> and the limit, within a fraction of a second; a regex Lucene cannot read
/// is a 400, not a 500; ordinary wildcard, regex and fuzzy queries still work.
/// </summary>
public sealed class SearchDenialOfServiceTests(CatalogAppFactory app, ITestOutputHelper output) : IClassFixture<CatalogAppFactory>
{
    /// <summary><c>a*b*c*…</c> with <paramref name="letters"/> letters, as the attacker sent it.</summary>
    private static string Alternating(int letters) =>
        string.Concat(Enumerable.Range(0, letters).Select(i => $"{(char)('a' + i % 26)}*"));

    public static TheoryData<string, string> Expensive() => new()
    {
        { Alternating(64), "wildcards" },
        { Alternating(260), "wildcards" },
        { string.Concat(Enumerable.Repeat("(a*)", 1500)), "" },
        { "/a{99999}/", "positions" },
        { "/[ab]*a[ab]{14}/", "states" },
    };

    [Theory]
    [MemberData(nameof(Expensive))]
    public async Task An_expensive_query_is_refused_at_parse_time_with_a_400_that_names_the_limit(string q, string limit)
    {
        using var client = await app.ReadyClientAsync();
        var clock = Stopwatch.StartNew();
        var response = await client.GetAsync(new Uri("/api/search?q=" + Uri.EscapeDataString(q), UriKind.Relative));
        clock.Stop();
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{(int)response.StatusCode} in {clock.ElapsedMilliseconds} ms: {body[..Math.Min(400, body.Length)]}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var message = JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("q")[0].GetString()!;
        Assert.Contains("too expensive", message, StringComparison.Ordinal);
        Assert.Contains(limit, message, StringComparison.Ordinal);
        // It took 10.5 s to over 60 s before; a loaded CI machine still answers well within 5 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("/[/")]
    [InlineData("/(/")]
    [InlineData("*mas")]
    [InlineData("title:(unclosed")]
    public async Task A_query_that_does_not_parse_is_a_400_naming_q(string q)
    {
        using var client = await app.ReadyClientAsync();
        var response = await client.GetAsync(new Uri("/api/search?q=" + Uri.EscapeDataString(q), UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("q", out _), body);
    }

    [Theory]
    [InlineData("christ*")]
    [InlineData("chr?stmas")]
    [InlineData("/christ.*/")]
    [InlineData("/[ab]*a[ab]{9}/")]
    [InlineData("christmas~1")]
    [InlineData("title:[a TO c]")]
    [InlineData("a*b*c*d*e*f*g*h*")]
    public async Task Ordinary_multi_term_queries_still_search(string q)
    {
        using var client = await app.ReadyClientAsync();
        var response = await client.GetAsync(new Uri("/api/search?q=" + Uri.EscapeDataString(q), UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
    }

    [Fact]
    public async Task The_christmas_wildcard_finds_the_christmas_films()
    {
        using var client = await app.ReadyClientAsync();
        var body = await client.GetStringAsync(new Uri("/api/search?q=christ*&size=100", UriKind.Relative));
        var hits = JsonDocument.Parse(body).RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Contains("christ", (h.GetProperty("title").GetString() + " " + h.GetProperty("overview").GetString()).ToLowerInvariant(), StringComparison.Ordinal));
    }
}

/// <summary>A search past <c>Search:Limits:Timeout</c> is a 503 ProblemDetails that says why, with Retry-After.</summary>
public sealed class SearchTimeBudgetTests
{
    [Fact]
    public async Task A_search_past_its_time_budget_is_a_503_that_names_the_budget()
    {
        await using var app = new Support.MLOpsFactory(new Dictionary<string, string?> { ["Search:Limits:Timeout"] = "00:00:00.010" });
        using var client = app.CreateClient();
        await app.Services.GetRequiredService<MLOps.Web.Features.Catalog.SampleCatalogLoader>().Completion.WaitAsync(TimeSpan.FromSeconds(60));

        // Accepted by the limits, but building its 1024-state automaton takes longer than 10 ms.
        var response = await client.GetAsync(new Uri("/api/search?q=" + Uri.EscapeDataString("/[ab]*a[ab]{9}/ OR snow~2"), UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Search:Timeout", body, StringComparison.Ordinal);
        Assert.True(response.Headers.RetryAfter is not null, "Retry-After missing");
    }
}
