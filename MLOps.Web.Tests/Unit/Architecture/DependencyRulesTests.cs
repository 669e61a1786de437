using System.Reflection;
using NetArchTest.Rules;

namespace MLOps.Web.Tests.Unit.Architecture;

/// <summary>
/// The rooms of docs/architecture.md, checked on the compiled types: a feature uses the contracts in
/// <c>MLOps.Web.Shared</c> and never another feature's types; Infrastructure (adapters) and Shared
/// (contracts) use no feature; only the composition roots (<c>Program</c>, <c>MLOps.Web.Commands</c>)
/// see everything.
/// </summary>
public sealed class DependencyRulesTests
{
    private const string Features = "MLOps.Web.Features";
    private static readonly Assembly App = typeof(Program).Assembly;

    /// <summary>Every feature folder that holds types: MLOps.Web.Features.{Name}.</summary>
    private static IReadOnlyList<string> FeatureList { get; } = [.. App.GetTypes()
        .Select(t => t.Namespace)
        .Where(n => n is not null && n.StartsWith(Features + ".", StringComparison.Ordinal))
        .Select(n => n!.Split('.')[3])
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)];

    public static TheoryData<string> FeatureNames() => [.. FeatureList];

    [Theory]
    [MemberData(nameof(FeatureNames))]
    public void A_feature_depends_on_no_other_feature(string feature)
    {
        var others = FeatureList.Where(f => f != feature).Select(f => $"{Features}.{f}").ToArray();
        var result = Types.InAssembly(App).That().ResideInNamespace($"{Features}.{feature}")
            .ShouldNot().HaveDependencyOnAny(others)
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result, $"{feature} uses another feature; move the contract to MLOps.Web.Shared"));
    }

    [Fact]
    public void Infrastructure_depends_on_no_feature_and_no_command()
    {
        var result = Types.InAssembly(App).That().ResideInNamespace("MLOps.Web.Infrastructure")
            .ShouldNot().HaveDependencyOnAny(Features, "MLOps.Web.Commands")
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result, "an adapter uses a feature"));
    }

    [Fact]
    public void Shared_contracts_depend_on_no_feature_no_adapter_and_no_command()
    {
        var result = Types.InAssembly(App).That().ResideInNamespace("MLOps.Web.Shared")
            .ShouldNot().HaveDependencyOnAny(Features, "MLOps.Web.Infrastructure", "MLOps.Web.Commands")
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result, "a shared contract uses a feature or an adapter"));
    }

    [Fact]
    public void The_rules_see_the_features_they_guard()
    {
        // A rule over no types passes vacuously: make sure the namespaces above exist.
        var features = FeatureList;
        Assert.Superset(new HashSet<string>(["Catalog", "Classification", "Evaluation", "Models", "Reclassification", "Trending"]), features.ToHashSet());
        Assert.NotEmpty(Types.InAssembly(App).That().ResideInNamespace("MLOps.Web.Shared").GetTypes());
        Assert.NotEmpty(Types.InAssembly(App).That().ResideInNamespace("MLOps.Web.Infrastructure").GetTypes());
    }

    private static string Describe(TestResult result, string what) =>
        result.IsSuccessful ? "" : $"{what}: {string.Join(", ", result.FailingTypeNames ?? [])}";
}
