using Microsoft.Playwright;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Browser;

/// <summary>Drives Debian's chromium against the app on a real port, as a person would.</summary>
public sealed class DashboardBrowserTests
{
    [SkippableFact]
    public async Task Dashboard_shows_trending_tags_and_runs_a_search_side_by_side()
    {
        var chromium = TestEnvironment.Chromium;
        Skip.If(chromium is null, "chromium is not installed; scripts/test.sh installs it (apt-get install chromium).");

        using var factory = new MLOpsFactory(null);
        factory.UseKestrel(0);
        factory.StartServer();
        var baseUrl = factory.ClientOptions.BaseAddress.ToString().TrimEnd('/');

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium!,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(baseUrl + "/");

        Assert.Equal("/swagger", await page.GetAttributeAsync("#link-swagger", "href"));
        Assert.Equal("/hangfire", await page.GetAttributeAsync("#link-hangfire", "href"));

        // Trending tags arrive from the replayed sample posts.
        await page.WaitForSelectorAsync(".trending-tag", new PageWaitForSelectorOptions { Timeout = 60_000 });
        Assert.True(await page.Locator(".trending-tag").CountAsync() > 0);

        // The model registry is listed, with the active version flagged.
        await page.WaitForSelectorAsync("#models-table tr.model", new PageWaitForSelectorOptions { Timeout = 60_000 });
        Assert.Contains("active", await page.InnerTextAsync("#models-table"), StringComparison.Ordinal);

        // Evaluating the active model on the bundled judgments draws its NDCG@10 point on the line chart.
        await page.ClickAsync("#evaluate-now");
        await page.WaitForSelectorAsync("#ndcg-chart svg circle", new PageWaitForSelectorOptions { Timeout = 60_000 });

        // Search: the same query ranked two ways.
        await page.FillAsync("#search-genre", "Family");
        await page.ClickAsync("#search-form button[type=submit]");
        await page.WaitForSelectorAsync("#results-relevance li.hit", new PageWaitForSelectorOptions { Timeout = 30_000 });
        await page.WaitForSelectorAsync("#results-trending li.hit", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.True(await page.Locator("#results-relevance li.hit").CountAsync() > 0);
        Assert.Equal(10, await page.Locator("#results-trending li.hit").CountAsync());

        var shot = Path.Combine(TestEnvironment.ArtifactsDirectory, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000);

        // The Hangfire dashboard it links to lists the nightly reclassification job.
        await page.ClickAsync("#link-hangfire");
        await page.GotoAsync(baseUrl + "/hangfire/recurring");
        Assert.Contains("reclassify-trending", await page.ContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestEnvironment.ArtifactsDirectory, "hangfire-recurring.png") });
    }
}
