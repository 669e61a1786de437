using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using MLOps.Web.Features.Models;
using MLOps.Web.Tests.Integration.Classification;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration.Models;

/// <summary>
/// The shipped default active model is the MiniLM int8 copy that start-up writes (issue 15's rule, docs/benchmarks.md);
/// when start-up does not write it, the fp32 source serves and a warning says why.
/// </summary>
public sealed class DefaultModelTests
{
    private const string MiniLm = "all-MiniLM-L6-v2@1";
    private const string MiniLmInt8 = "all-MiniLM-L6-v2-int8@1";
    private const int QuantizedDefaultMissingEvent = 2013;

    private static Uri U(string path) => new(path, UriKind.Relative);

    [Fact]
    public void The_configured_default_is_the_int8_copy_and_readiness_says_it_is_loading_until_start_up_settles()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new ModelsOptions());
        Assert.Equal(MiniLmInt8, options.Value.ActiveModel);
        var readiness = new ModelReadiness(options);
        Assert.Equal(ModelStatusKind.Loading, readiness.Status.Kind);
        Assert.Contains(MiniLmInt8, readiness.Status.Message, StringComparison.Ordinal);
        Assert.False(readiness.Initialization.IsCompleted);
        Assert.Equal(MiniLm, ModelStartup.BuiltInQuantizedSource(MiniLmInt8));
        Assert.Null(ModelStartup.BuiltInQuantizedSource(MiniLm));
    }

    [Fact]
    public async Task On_an_empty_data_directory_with_the_defaults_the_int8_copy_is_active_once_start_up_settles()
    {
        var (factory, app, logs) = Start(null);
        await using var _ = factory;
        await using var __ = app;
        var rooms = await SettledAsync(app);

        Assert.Equal(MiniLmInt8, rooms.Cache.ActiveModelId);
        using var client = app.CreateClient();
        var check = await ModelCheckAsync(client);
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal(MiniLmInt8, check.GetProperty("data").GetProperty("active_model").GetString());
        var classify = await client.PostAsJsonAsync(U("/api/classify"), new { sequence = "Cartoon heroes play basketball against aliens", labels = new[] { "christmas" } });
        Assert.Equal(HttpStatusCode.OK, classify.StatusCode);
        var body = JsonDocument.Parse(await classify.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(MiniLmInt8, body.GetProperty("model").GetString());
        Assert.InRange(body.GetProperty("scores")[0].GetSingle(), 0f, 0.3f);
        Assert.DoesNotContain(logs.Entries, e => e.EventId == QuantizedDefaultMissingEvent);
    }

    [Fact]
    public async Task With_MaterializeQuantized_off_the_fp32_source_is_active_and_a_warning_says_why()
    {
        var (factory, app, logs) = Start(new Dictionary<string, string?> { ["Models:MaterializeQuantized"] = "false" });
        await using var _ = factory;
        await using var __ = app;
        var rooms = await SettledAsync(app);

        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);
        Assert.Null(rooms.Store.Find(MiniLmInt8));
        var warning = Assert.Single(logs.Entries, e => e.EventId == QuantizedDefaultMissingEvent);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(MiniLmInt8, warning.Message, StringComparison.Ordinal);
        Assert.Contains("Models:MaterializeQuantized", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error); // a deliberate setting, not a failure

        using var client = app.CreateClient();
        var check = await ModelCheckAsync(client);
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal(MiniLm, check.GetProperty("data").GetProperty("active_model").GetString());
        Assert.Contains("Models:MaterializeQuantized", check.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_int8_copy_cannot_be_written_the_fp32_source_serves_degraded_with_the_reason()
    {
        // a file where the int8 copy's folder goes: its materialisation fails at start-up
        var data = TempDirectory.Create("mlops-app");
        Directory.CreateDirectory(Path.Combine(data, "models"));
        await File.WriteAllTextAsync(Path.Combine(data, "models", "all-MiniLM-L6-v2-int8"), "not a folder");
        var (factory, app, logs) = Start(null, data);
        await using var _ = factory;
        await using var __ = app;
        var rooms = await SettledAsync(app);

        Assert.Equal(MiniLm, rooms.Cache.ActiveModelId);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(MiniLmInt8, StringComparison.Ordinal));
        var warning = Assert.Single(logs.Entries, e => e.EventId == QuantizedDefaultMissingEvent);
        Assert.Contains("quantizing", warning.Message, StringComparison.Ordinal);

        using var client = app.CreateClient();
        var check = await ModelCheckAsync(client);
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Equal(MiniLm, check.GetProperty("data").GetProperty("active_model").GetString());
        var classify = await client.PostAsJsonAsync(U("/api/classify"), new { sequence = "snow", labels = new[] { "winter" } });
        Assert.Equal(HttpStatusCode.OK, classify.StatusCode);
    }

    private static (MLOpsFactory Factory, WebApplicationFactory<Program> App, RecordingLoggerProvider Logs) Start(IDictionary<string, string?>? settings, string? data = null)
    {
        var logs = new RecordingLoggerProvider();
        var factory = new MLOpsFactory(settings, data);
        var app = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        return (factory, app, logs);
    }

    private static async Task<ModelRooms> SettledAsync(WebApplicationFactory<Program> app)
    {
        var rooms = ModelRooms.Of(app.Services);
        await rooms.Startup.Initialization.WaitAsync(TimeSpan.FromMinutes(3));
        return rooms;
    }

    /// <summary>The <c>model</c> check of <c>/readyz</c> (the other checks depend on what the test machine runs).</summary>
    private static async Task<JsonElement> ModelCheckAsync(HttpClient client)
    {
        var ready = await client.GetAsync(U("/readyz"));
        var text = await ready.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.GetProperty("checks").GetProperty("model").Clone();
    }

    private sealed record LogEntry(int EventId, LogLevel Level, string Message);

    /// <summary>Every log entry of the host, warnings and up (the test hosts' level).</summary>
    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<LogEntry> _entries = new();

        public List<LogEntry> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => new Recorder(_entries);

        public void Dispose()
        {
        }

        private sealed class Recorder(ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new LogEntry(eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}
