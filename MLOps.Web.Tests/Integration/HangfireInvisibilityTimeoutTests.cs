using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hangfire;

namespace MLOps.Web.Tests.Integration;

/// <summary><c>Hangfire:InvisibilityTimeout</c>: validated at start; the shipped default outlasts a long run.</summary>
public sealed class HangfireInvisibilityTimeoutTests
{
    private static HangfireOptions Bind(string? value)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        if (value is not null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Hangfire:InvisibilityTimeout"] = value });
        }

        builder.AddHangfireInfrastructure();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<HangfireOptions>>().Value;
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:05:00")]
    [InlineData("31.00:00:00")]
    public void An_invisibility_timeout_out_of_range_fails_validation_naming_the_setting(string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(value));
        Assert.Contains("Hangfire:InvisibilityTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_invisibility_timeout_is_taken_and_the_default_outlasts_a_day_long_run()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), Bind("00:00:02").InvisibilityTimeout);
        Assert.True(Bind(null).InvisibilityTimeout >= TimeSpan.FromHours(24));

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")));
        var shipped = TimeSpan.Parse(doc.RootElement.GetProperty("Hangfire").GetProperty("InvisibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(shipped >= TimeSpan.FromHours(24), $"appsettings.json ships {shipped}");
    }
}
