using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using MLOps.Web.Features.Classification;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Tests.Unit.Classification;

public sealed class KServeModelNamesTests
{
    private static ModelDescriptor M(string name, string version) =>
        new($"{name}@{version}", name, version, ModelKind.Embedding, "", "");

    private static readonly IReadOnlyList<ModelDescriptor> Registered =
        [M("all-MiniLM-L6-v2", "1"), M("all-MiniLM-L6-v2", "10"), M("all-MiniLM-L6-v2", "2"), M("snowflake-arctic-embed-xs", "1")];

    [Theory]
    [InlineData("zero-shot-classifier", "all-MiniLM-L6-v2@2", null)]
    [InlineData("all-MiniLM-L6-v2@1", "all-MiniLM-L6-v2@2", "all-MiniLM-L6-v2@1")]
    [InlineData("all-MiniLM-L6-v2", "all-MiniLM-L6-v2@2", "all-MiniLM-L6-v2@2")] // the active version of that name
    [InlineData("all-MiniLM-L6-v2", "snowflake-arctic-embed-xs@1", "all-MiniLM-L6-v2@10")] // else the latest, numerically
    [InlineData("all-MiniLM-L6-v2", null, "all-MiniLM-L6-v2@10")]
    [InlineData("snowflake-arctic-embed-xs", "all-MiniLM-L6-v2@2", "snowflake-arctic-embed-xs@1")]
    public void A_name_resolves_to_a_version(string name, string? active, string? expected)
    {
        Assert.True(KServeModelNames.TryResolve(name, Registered, active, out var id));
        Assert.Equal(expected, id);
    }

    [Theory]
    [InlineData("no-such-model")]
    [InlineData("all-MiniLM-L6-v2@9")]
    [InlineData("All-MiniLM-L6-v2")]
    [InlineData("zero-shot-classifier@1")]
    public void An_unknown_name_does_not_resolve(string name) =>
        Assert.False(KServeModelNames.TryResolve(name, Registered, "all-MiniLM-L6-v2@1", out _));

    [Fact]
    public void The_list_is_the_default_name_then_each_registered_name_once() =>
        Assert.Equal(["zero-shot-classifier", "all-MiniLM-L6-v2", "snowflake-arctic-embed-xs"], KServeModelNames.List(Registered));

    [Fact]
    public void The_error_text_is_the_field_messages_else_the_detail_else_the_title()
    {
        var validation = new HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            ["instances[0].sequence"] = ["The sequence must not be empty."],
            ["instances"] = ["x"],
        });
        Assert.Equal("instances: x; instances[0].sequence: The sequence must not be empty.", KServeErrors.Describe(validation));

        var thrown = new ProblemDetails { Detail = "d" };
        thrown.Extensions["errors"] = new Dictionary<string, string[]> { ["labels"] = ["At least one label is required."] };
        Assert.Equal("labels: At least one label is required.", KServeErrors.Describe(thrown));

        Assert.Equal("Model 'x' is not served here.", KServeErrors.Describe(new ProblemDetails { Title = "Not found", Detail = "Model 'x' is not served here." }));
        Assert.Equal("Bad request", KServeErrors.Describe(new ProblemDetails { Title = "Bad request" }));
    }
}
