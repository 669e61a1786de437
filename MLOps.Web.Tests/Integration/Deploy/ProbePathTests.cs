using System.Net;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Deploy;

namespace MLOps.Web.Tests.Integration.Deploy;

/// <summary>The paths the k8s probes request are endpoints of the real app.</summary>
public sealed class ProbePathTests(DefaultAppFactory factory) : IClassFixture<DefaultAppFactory>
{
    public static TheoryData<string> Paths() => [.. KubernetesManifestTests.ProbePaths().Order(StringComparer.Ordinal)];

    [Fact]
    public void The_manifests_probe_both_health_endpoints()
    {
        Assert.Equal(["/healthz", "/readyz"], KubernetesManifestTests.ProbePaths().Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Each_probe_path_is_served_by_the_app(string path)
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        // A probe passes on 2xx and fails on 503; anything else (404, 401, 3xx) means the path is wrong.
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
            $"GET {path} answered {(int)response.StatusCode}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_path_the_app_does_not_serve_is_told_apart()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
