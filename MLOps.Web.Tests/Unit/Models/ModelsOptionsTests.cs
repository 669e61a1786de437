using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Tests.Unit.Models;

/// <summary>The ONNX Runtime session settings of <c>Models:</c>: bound, validated at start, and shipped at the measured best.</summary>
public sealed class ModelsOptionsTests
{
    private static ModelsOptions Bind(params (string Key, string Value)[] settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings.ToDictionary(s => $"Models:{s.Key}", s => (string?)s.Value));
        builder.AddModels();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<ModelsOptions>>().Value;
    }

    [Fact]
    public void Configured_session_settings_reach_the_sessions_settings_record()
    {
        var options = Bind(("IntraOpNumThreads", "3"), ("AllowSpinning", "true"), ("GraphOptimizationLevel", "Extended"),
            ("ExecutionMode", "Parallel"), ("InterOpNumThreads", "2"), ("MemoryPattern", "false"), ("CpuMemoryArena", "false"));
        Assert.Equal(new OnnxSessionSettings(3, true, OnnxGraphOptimization.Extended, OnnxExecutionMode.Parallel, 2, false, false), options.Session);
        using var ort = options.Session.ToSessionOptions();
        Assert.Equal((3, 2, Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_PARALLEL, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, false, false),
            (ort.IntraOpNumThreads, ort.InterOpNumThreads, ort.ExecutionMode, ort.GraphOptimizationLevel, ort.EnableMemoryPattern, ort.EnableCpuMemArena));
    }

    [Fact]
    public void The_defaults_are_the_measured_best_two_workers_sharing_the_cpus_spinning_off_level_all_sequential_pattern_and_arena_on()
    {
        var threads = Math.Max(1, Environment.ProcessorCount / 2);
        Assert.Equal(new OnnxSessionSettings(threads, false, OnnxGraphOptimization.All, OnnxExecutionMode.Sequential, 1, true, true), Bind().Session);
        Assert.Equal(new BatchingSettings(1, TimeSpan.FromMilliseconds(2), true, Workers: 2), Bind().Batching);
        Assert.True(Bind().MaterializeQuantized);
        Assert.Equal("all-MiniLM-L6-v2-int8@1", Bind().ActiveModel);
    }

    [Fact]
    public void Unset_threads_are_the_cpus_shared_among_the_workers_and_set_threads_stay()
    {
        Assert.Equal(Environment.ProcessorCount, Bind(("InferenceWorkers", "1")).Session.IntraOpNumThreads);
        Assert.Equal(1, Bind(("InferenceWorkers", "64")).Session.IntraOpNumThreads);
        Assert.Equal(3, Bind(("InferenceWorkers", "4"), ("IntraOpNumThreads", "3")).Session.IntraOpNumThreads);
        Assert.Equal(4, Bind(("InferenceWorkers", "4")).Batching.Workers);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public void Inference_workers_out_of_range_stop_the_start_naming_the_setting(string workers)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(("InferenceWorkers", workers)));
        Assert.Contains("InferenceWorkers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inter_op_threads_with_sequential_execution_stop_the_start_naming_both_settings()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(("InterOpNumThreads", "4")));
        Assert.Contains("Models:InterOpNumThreads", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Models:ExecutionMode=Parallel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_optimisation_level_stops_the_start_naming_the_setting()
    {
        var ex = Assert.ThrowsAny<InvalidOperationException>(() => Bind(("GraphOptimizationLevel", "Turbo")));
        Assert.Contains("GraphOptimizationLevel", ex.ToString(), StringComparison.Ordinal);
    }
}
