using System.Net;
using System.Text;
using System.Text.Json;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Issue 12, finding 2: <c>Content-Type: application/json; charset=bogus</c> was a 500 on every JSON
/// POST. Every operation of the Swagger document that takes a JSON body now answers 415
/// ProblemDetails naming the charset, and the same body with <c>charset=utf-8</c> is not refused for it.
/// </summary>
public sealed class BogusCharsetTests(DefaultAppFactory app) : IClassFixture<DefaultAppFactory>
{
    [Fact]
    public async Task Every_json_body_route_answers_415_to_an_unknown_charset()
    {
        using var client = app.CreateClient();
        using var swagger = JsonDocument.Parse(await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative)));
        var routes = FuzzOperation.FromSwagger(swagger.RootElement)
            .Where(o => o.Method is "POST" or "PUT" && o.ContentTypes.Any(t => t.Contains("json", StringComparison.Ordinal)))
            .ToList();
        Assert.True(routes.Count >= 10, $"only {routes.Count} JSON routes: {string.Join(", ", routes)}");

        foreach (var route in routes)
        {
            var path = route.Path.Replace("{id}", "all-MiniLM-L6-v2@1", StringComparison.Ordinal)
                .Replace("{name}", "zero-shot-classifier", StringComparison.Ordinal)
                .Replace("{set}", "charset-test", StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path, UriKind.Relative))
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes(route.Example ?? "{}")),
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=bogus");
            var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{route}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("bogus", body, StringComparison.Ordinal);
        }
    }
}
