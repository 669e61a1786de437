using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Features.Catalog;
using MLOps.Web.Tests.Integration.Classification;
using MLOps.Web.Tests.Support;
using Xunit.Abstractions;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// The bounded fuzz run of issue 12: a few thousand seeded requests (<see cref="FuzzInputs"/>) over
/// every operation of the app's own Swagger document, on a test host with the real model and the
/// sample catalog: malformed bodies, content types, charsets, query syntax and sizes. No answer may
/// be a 5xx or take more than 30 s, every 4xx is <c>application/problem+json</c>, and <c>/healthz</c>
/// answers afterwards. <c>FUZZ_SEED</c> and <c>FUZZ_REQUESTS</c> replay or lengthen a run.
/// </summary>
public sealed class ApiFuzzTests(ITestOutputHelper output)
{
    private const int Workers = 4;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(75);

    /// <summary>Operations the fuzzer leaves out, with why.</summary>
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        "GET /api/trending/stream", // server-sent events: the answer never ends by design
    };

    [Fact]
    public async Task Thousands_of_malformed_requests_over_every_documented_operation_get_no_5xx_and_problem_details()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var s) ? s : 20_261_201;
        var target = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_REQUESTS"), out var n) ? n : 3000;
        await using var app = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Trending:Source"] = "push",
            ["Hangfire:ServerEnabled"] = "false", // jobs are enqueued, not run: the fuzzer tests the routes
            ["RateLimits:Enabled"] = "false", // the limiter has its own tests; here every request reaches its route
            ["Evaluation:EvaluateOnRegister"] = "false",
            ["Models:ImportDirectory"] = TempDirectory.Create("fuzz-incoming"),
        });
        await ClassifierApp.WaitForModelsAsync(app);
        await app.Services.GetRequiredService<SampleCatalogLoader>().Completion.WaitAsync(TimeSpan.FromSeconds(60));
        using var client = app.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);

        using var swagger = JsonDocument.Parse(await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative)));
        var operations = FuzzOperation.FromSwagger(swagger.RootElement).Where(o => !Skipped.Contains(o.ToString())).ToList();
        Assert.True(operations.Count >= 30, $"only {operations.Count} operations documented");

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var inputs = new FuzzInputs(seed + w);
            while (clock.Elapsed < Budget && Interlocked.Increment(ref sent) <= target)
            {
                var (description, request) = Build(inputs, inputs.Pick(operations));
                var verdict = await SendAsync(client, request);
                statuses.AddOrUpdate(verdict.Status, 1, (_, c) => c + 1);
                if (verdict.Failure is { } failure)
                {
                    failures.Enqueue($"{description} -> {failure}");
                }
            }
        })));
        var done = Math.Min(sent, target);

        output.WriteLine($"seed {seed}: {done} requests over {operations.Count} operations in {clock.Elapsed.TotalSeconds:F1} s; " +
            string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers, first ones:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(done >= 500, $"only {done} requests within {Budget}");
        var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static (string Description, HttpRequestMessage Request) Build(FuzzInputs inputs, FuzzOperation op)
    {
        // A valid model id in a path can start real work (calibration registers a copy of the model): only for cheap routes.
        var path = op.Path;
        foreach (var (name, _) in op.Parameters.Where(p => p.In == "path"))
        {
            var value = inputs.PathValue(allowValidModelIds: !op.Path.EndsWith("/calibrate", StringComparison.Ordinal));
            path = path.Replace("{" + name + "}", inputs.Chance(0.8) ? Uri.EscapeDataString(value) : value, StringComparison.Ordinal);
        }

        var query = op.Parameters.Where(p => p.In == "query" && inputs.Chance(0.7))
            .Select(p => $"{p.Name}={Uri.EscapeDataString(inputs.QueryValue())}")
            .Concat(inputs.Chance(0.1) ? ["unknown=1"] : [])
            .ToList();
        var url = path + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        if (!Uri.TryCreate(url, UriKind.Relative, out var uri))
        {
            uri = new Uri(Uri.EscapeDataString(url), UriKind.Relative);
        }

        var request = new HttpRequestMessage(new HttpMethod(op.Method), uri);
        var description = $"{op.Method} {url[..Math.Min(200, url.Length)]}";
        if (op.Method is "POST" or "PUT" || inputs.Chance(0.05))
        {
            var body = inputs.Body(op.Example);
            var contentType = inputs.ContentType(op.ContentTypes);
            request.Content = new ByteArrayContent(body);
            if (contentType.Length > 0)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            description += $" [{contentType}] {Shorten(body)}";
        }

        return (description, request);
    }

    private static async Task<(int Status, string? Failure)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        try
        {
            using (request)
            using (var response = await client.SendAsync(request))
            {
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                var media = response.Content.Headers.ContentType?.MediaType;
                return status >= 500 ? (status, $"{status}: {body[..Math.Min(300, body.Length)]}")
                    : status >= 400 && media != "application/problem+json" ? (status, $"{status} as {media ?? "no content type"}: {body[..Math.Min(200, body.Length)]}")
                    : (status, null);
            }
        }
        catch (TaskCanceledException)
        {
            return (0, "no answer within 30 s");
        }
        catch (InvalidOperationException e) when (e.StackTrace?.Contains("Microsoft.AspNetCore.TestHost", StringComparison.Ordinal) == true)
        {
            // The in-memory test client cannot send it (a %00 in the path); Kestrel refuses such a request line itself.
            return (-1, null);
        }
    }

    private static string Shorten(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 120));
        return body.Length > 120 ? text + $"… ({body.Length} bytes)" : text;
    }
}
