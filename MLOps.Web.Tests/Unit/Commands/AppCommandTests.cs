using MLOps.Web.Commands;
using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Tests.Unit.Commands;

/// <summary>The one command-line parse: every verb, its options, and bad input as a usage error.</summary>
public sealed class AppCommandTests
{
    [Theory]
    [InlineData(new string[0], 0)]
    [InlineData(new[] { "--urls", "http://localhost:8080" }, 2)]
    [InlineData(new[] { "--Storage:DataDirectory=/tmp/x", "--environment=Testing" }, 2)]
    public void No_verb_serves_the_app_with_every_argument_as_host_configuration(string[] args, int count)
    {
        var serve = Assert.IsType<ServeCommand>(AppCommand.Parse(args));
        Assert.Equal(count, serve.HostArguments.Length);
        Assert.Equal(args, serve.HostArguments);
    }

    [Fact]
    public void Healthcheck_takes_an_optional_url()
    {
        Assert.Null(Assert.IsType<HealthcheckCommand>(AppCommand.Parse(["healthcheck"])).Url);
        Assert.Equal("http://127.0.0.1:9/readyz", Assert.IsType<HealthcheckCommand>(AppCommand.Parse(["HealthCheck", "http://127.0.0.1:9/readyz"])).Url);
    }

    [Fact]
    public void Import_takes_a_file_the_strict_flag_and_host_settings()
    {
        var import = Assert.IsType<ImportCommand>(AppCommand.Parse(["import", "movies.ndjson", "--strict", "--Storage:DataDirectory=/tmp/d"]));
        Assert.Equal("movies.ndjson", import.Path);
        Assert.True(import.Strict);
        Assert.Equal(["--Storage:DataDirectory=/tmp/d"], import.Settings);

        var lenient = Assert.IsType<ImportCommand>(AppCommand.Parse(["import", "movies.ndjson"]));
        Assert.False(lenient.Strict);
        Assert.Empty(lenient.Settings);
    }

    [Fact]
    public void Bench_catalog_takes_a_file_and_a_query_count()
    {
        Assert.Equal(new CatalogBenchCommand("m.jsonl", 500), AppCommand.Parse(["bench", "catalog", "--file", "m.jsonl", "--queries", "500"]));
        Assert.Equal(new CatalogBenchCommand("m.jsonl", 7), AppCommand.Parse(["bench", "catalog", "--file=m.jsonl", "--queries=7"]));
        Assert.Equal(new CatalogBenchCommand(null, CatalogBenchCommand.DefaultQueries), AppCommand.Parse(["bench", "catalog"]));
    }

    [Fact]
    public void Bench_reclassify_takes_label_lists_and_host_settings()
    {
        var bench = Assert.IsType<ReclassifyBenchCommand>(AppCommand.Parse(
            ["bench", "reclassify", "--cold-labels", "christmas, ocean", "--warm-labels", "space", "--Search:LoadSampleCatalog=false"]));
        Assert.Equal(["christmas", "ocean"], bench.ColdLabels);
        Assert.Equal(["space"], bench.WarmLabels);
        Assert.Equal(["--Search:LoadSampleCatalog=false"], bench.Settings);

        var defaults = Assert.IsType<ReclassifyBenchCommand>(AppCommand.Parse(["bench", "reclassify"]));
        Assert.Equal(ReclassifyBenchCommand.DefaultColdLabels, defaults.ColdLabels);
        Assert.Equal(ReclassifyBenchCommand.DefaultWarmLabels, defaults.WarmLabels);
    }

    [Fact]
    public void The_bench_verbs_host_runs_no_startup_or_scheduled_reclassification()
    {
        Assert.Equal("false", ReclassifyBenchCommand.HostSettings["Reclassification:RunAtStartup"]);
        Assert.Equal("", ReclassifyBenchCommand.HostSettings["Reclassification:Cron"]);
    }

    [Fact]
    public void Bench_embed_accuracy_and_latency_take_their_own_options()
    {
        var embed = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(
            ["bench", "embed", "--batches", "1,8", "--spinning", "on", "--limit", "50", "--model", "snowflake-arctic-embed-xs@1", "--registry", "r"]));
        Assert.Equal(ClassificationBenchKind.Embed, embed.Which);
        Assert.Equal([1, 8], embed.Options.EffectiveBatches);
        Assert.True(embed.Options.Spinning);
        Assert.Equal(50, embed.Options.Limit);
        Assert.Equal("snowflake-arctic-embed-xs@1", embed.Options.Model);
        Assert.Equal("r", embed.Options.Registry);

        var accuracy = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "accuracy"]));
        Assert.Equal(ClassificationBenchKind.Accuracy, accuracy.Which);
        Assert.False(accuracy.Options.Spinning);
        Assert.Equal([1, 8, 32], accuracy.Options.EffectiveBatches);

        var latency = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "latency", "--url", "http://127.0.0.1:8081", "--requests", "300"]));
        Assert.Equal(ClassificationBenchKind.Latency, latency.Which);
        Assert.Equal(new Uri("http://127.0.0.1:8081"), latency.Options.EffectiveUrl);
        Assert.Equal(300, latency.Options.Requests);
        Assert.Equal(ClassificationBenchOptions.DefaultUrl, Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "latency"])).Options.EffectiveUrl);
    }

    [Fact]
    public void Bench_embed_takes_the_session_flags_bucketing_and_an_int8_model_and_accuracy_and_tokens_their_own()
    {
        var embed = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(
            ["bench", "embed", "--model", "all-MiniLM-L6-v2-int8@1", "--bucketing", "on", "--threads", "1", "--spinning", "on", "--optimization", "extended",
             "--execution", "parallel", "--inter-op", "3", "--memory-pattern", "off", "--arena", "off"]));
        Assert.Equal("all-MiniLM-L6-v2-int8@1", embed.Options.Model);
        Assert.Equal([true], embed.Options.EffectiveBucketing);
        Assert.Equal(new OnnxSessionSettings(1, true, OnnxGraphOptimization.Extended, OnnxExecutionMode.Parallel, 3, false, false), embed.Options.EffectiveSession);

        var defaults = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "embed"]));
        Assert.Equal([true, false], defaults.Options.EffectiveBucketing);
        Assert.Equal(new OnnxSessionSettings(Math.Max(1, Environment.ProcessorCount / 2), false), defaults.Options.EffectiveSession);
        Assert.Equal(new BatchingSettings(8, TimeSpan.Zero, true, Workers: 2), defaults.Options.BatchingFor(8, bucketing: true));

        var oneWorker = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "embed", "--workers", "1"]));
        Assert.Equal(1, oneWorker.Options.BatchingFor(8, bucketing: false).Workers);
        Assert.Equal(Environment.ProcessorCount, oneWorker.Options.EffectiveSession.IntraOpNumThreads);

        var accuracy = Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "accuracy", "--models", "a@1,a-int8@1", "--judgments", "j"]));
        Assert.Equal(["a@1", "a-int8@1"], accuracy.Options.Models);
        Assert.Equal("j", accuracy.Options.Judgments);
        Assert.Equal(ClassificationBenchKind.Tokens, Assert.IsType<ClassificationBenchCommand>(AppCommand.Parse(["bench", "tokens", "--model", "a@1"])).Which);
    }

    [Theory]
    [InlineData(new[] { "bench", "embed", "--optimization", "max" }, "option --optimization must be all or extended or basic or disabled, not 'max'")]
    [InlineData(new[] { "bench", "embed", "--threads", "0" }, "option --threads must be a positive whole number")]
    [InlineData(new[] { "bench", "embed", "--workers", "0" }, "option --workers must be a positive whole number")]
    [InlineData(new[] { "bench", "tokens", "--threads", "2" }, "bench tokens: unknown option '--threads'")]
    [InlineData(new[] { "serve-please" }, "unknown command 'serve-please'")]
    [InlineData(new[] { "healthcheck", "/healthz" }, "healthcheck: the url must be an absolute http(s) URL")]
    [InlineData(new[] { "healthcheck", "http://a/", "http://b/" }, "unexpected extra argument 'http://b/'")]
    [InlineData(new[] { "healthcheck", "--verbose" }, "unknown option '--verbose'")]
    [InlineData(new[] { "import" }, "import: name the file")]
    [InlineData(new[] { "import", "a.json", "b.json" }, "unexpected extra argument 'b.json'")]
    [InlineData(new[] { "import", "a.json", "--strcit" }, "unknown option '--strcit'")]
    [InlineData(new[] { "import", "a.json", "--strict=yes" }, "option --strict takes no value")]
    [InlineData(new[] { "bench" }, "bench: name what to measure")]
    [InlineData(new[] { "bench", "--file", "x" }, "bench: name what to measure")]
    [InlineData(new[] { "bench", "speed" }, "unknown benchmark 'speed'")]
    [InlineData(new[] { "bench", "1" }, "unknown benchmark '1'")]
    [InlineData(new[] { "bench", "catalog", "--queries", "many" }, "option --queries must be a positive whole number, not 'many'")]
    [InlineData(new[] { "bench", "catalog", "--queries", "0" }, "option --queries must be a positive whole number")]
    [InlineData(new[] { "bench", "catalog", "--file" }, "bench catalog: option --file needs a value")]
    [InlineData(new[] { "bench", "catalog", "--Storage:DataDirectory=/tmp" }, "bench catalog: unknown option '--Storage:DataDirectory=/tmp'")]
    [InlineData(new[] { "bench", "catalog", "extra" }, "bench catalog: unexpected argument 'extra'")]
    [InlineData(new[] { "bench", "reclassify", "--cold-labels", "," }, "option --cold-labels needs at least one comma-separated value")]
    [InlineData(new[] { "bench", "reclassify", "--hot-labels", "a" }, "bench reclassify: unknown option '--hot-labels'")]
    [InlineData(new[] { "bench", "embed", "--url", "http://x" }, "bench embed: unknown option '--url'")]
    [InlineData(new[] { "bench", "embed", "--batches", "1,x" }, "option --batches must list positive whole numbers, not 'x'")]
    [InlineData(new[] { "bench", "embed", "--spinning", "maybe" }, "option --spinning must be on or off, not 'maybe'")]
    [InlineData(new[] { "bench", "embed", "--model", "minilm" }, "option --model must be a model id name@version")]
    [InlineData(new[] { "bench", "latency", "--url", "localhost:8080" }, "bench latency: option --url must be an absolute http(s) URL")]
    [InlineData(new[] { "bench", "latency", "--requests", "-5" }, "bench latency: option --requests must be a positive whole number, not '-5'")]
    public async Task Bad_input_is_a_usage_error_naming_the_argument_with_exit_code_2(string[] args, string message)
    {
        var error = Assert.IsType<UsageError>(AppCommand.Parse(args));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await error.RunAsync(stdout, stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Empty(stdout.ToString());
        Assert.StartsWith($"error: {error.Message}", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("usage: dotnet MLOps.Web.dll", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_writes_the_usage_to_stdout_and_exits_0()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(0, await AppCommand.Parse(["help"]).RunAsync(stdout, stderr, CancellationToken.None));
        Assert.Contains("bench reclassify", stdout.ToString(), StringComparison.Ordinal);
        Assert.Empty(stderr.ToString());
    }

    [Fact]
    public async Task Import_of_a_missing_file_exits_66_without_building_a_host()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");

        Assert.Equal(66, await AppCommand.Parse(["import", missing]).RunAsync(stdout, stderr, CancellationToken.None));
        Assert.Contains("does not exist", stderr.ToString(), StringComparison.Ordinal);
    }
}
