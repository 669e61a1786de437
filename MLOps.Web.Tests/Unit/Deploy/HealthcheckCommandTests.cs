using MLOps.Web.Commands;

namespace MLOps.Web.Tests.Unit.Deploy;

public sealed class HealthcheckCommandTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Theory]
    [InlineData(new[] { "healthcheck" }, true)]
    [InlineData(new[] { "HealthCheck", "http://localhost:1/healthz" }, true)]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--urls", "http://localhost:8080" }, false)]
    [InlineData(new[] { "--healthcheck" }, false)]
    public void The_verb_is_recognised_only_as_the_first_argument(string[] args, bool expected)
    {
        Assert.Equal(expected, AppCommand.Parse(args) is HealthcheckCommand);
    }

    [Fact]
    public void Without_configuration_it_probes_healthz_on_the_image_port()
    {
        Assert.Equal(new Uri("http://localhost:8080/healthz"), HealthcheckCommand.ResolveTarget(null, Env()));
    }

    [Theory]
    [InlineData("5000", null, "http://localhost:5000/healthz")]
    [InlineData("5001;5002", null, "http://localhost:5001/healthz")]
    [InlineData(null, "http://+:7000;https://+:7001", "http://localhost:7000/healthz")]
    [InlineData(null, "https://+:7001;http://*:7002", "http://localhost:7002/healthz")]
    [InlineData(null, "http://0.0.0.0:7003", "http://localhost:7003/healthz")]
    [InlineData("6000", "http://+:7000", "http://localhost:6000/healthz")]
    public void It_probes_the_port_kestrel_listens_on(string? httpPorts, string? urls, string expected)
    {
        var env = new List<(string, string)>();
        if (httpPorts is not null)
        {
            env.Add(("ASPNETCORE_HTTP_PORTS", httpPorts));
        }

        if (urls is not null)
        {
            env.Add(("ASPNETCORE_URLS", urls));
        }

        Assert.Equal(new Uri(expected), HealthcheckCommand.ResolveTarget(null, Env([.. env])));
    }

    [Fact]
    public void An_explicit_url_wins()
    {
        Assert.Equal(new Uri("http://127.0.0.1:9/readyz"),
            HealthcheckCommand.ResolveTarget("http://127.0.0.1:9/readyz", Env(("ASPNETCORE_HTTP_PORTS", "5000"))));
    }

    [Theory]
    [InlineData("ASPNETCORE_HTTP_PORTS", "eighty")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "70000")]
    public void A_malformed_port_setting_is_reported(string key, string value)
    {
        var ex = Assert.Throws<FormatException>(() => HealthcheckCommand.ResolveTarget(null, Env((key, value))));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_url_argument_is_reported()
    {
        Assert.Throws<FormatException>(() => HealthcheckCommand.ResolveTarget("/healthz", Env()));
    }
}
