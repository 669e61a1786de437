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
    public void The_defaults_are_the_measured_best_spinning_off_level_all_sequential_pattern_and_arena_on()
    {
        Assert.Equal(new OnnxSessionSettings(0, false, OnnxGraphOptimization.All, OnnxExecutionMode.Sequential, 1, true, true), Bind().Session);
        Assert.True(Bind().MaterializeQuantized);
        Assert.Equal("all-MiniLM-L6-v2-int8@1", Bind().ActiveModel);
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
