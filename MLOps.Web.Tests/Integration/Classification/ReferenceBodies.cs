using System.Text.Json;

namespace MLOps.Web.Tests.Integration.Classification;

/// <summary>
/// Request bodies exactly as the reference Python classifier's clients send them (fixtures: do not
/// "improve" them, they are what existing clients put on the wire).
/// </summary>
public static class ReferenceBodies
{
    /// <summary>A Christmas overview: should score high for <c>christmas</c>.</summary>
    public const string ChristmasOverview =
        "On Christmas Eve a desperate father races across the city to find the sold-out action figure his son wants more than anything under the tree.";

    /// <summary>A basketball overview: should score low for <c>christmas</c>.</summary>
    public const string BasketballOverview =
        "Cartoon characters team up with a basketball star to play a game against invading aliens who want to take them away to their amusement park.";

    /// <summary>
    /// <c>data-scripts/2-classify.sh</c> of the reference pipeline: <c>POST /classify</c> with
    /// <c>{"sequence": "&lt;overview&gt;", "labels": ["christmas"]}</c>, reads <c>.scores[0]</c>.
    /// </summary>
    public static string Classify(string overview) =>
        $$"""{"sequence": {{JsonSerializer.Serialize(overview)}}, "labels": ["christmas"]}""";

    /// <summary>
    /// The reference service's own call of the pipeline with its older flag name:
    /// <c>{"sequence": ..., "labels": [...], "multi_class": true}</c>.
    /// </summary>
    public static string ClassifyMultiClass(string overview, params string[] labels) =>
        $$"""{"sequence": {{JsonSerializer.Serialize(overview)}}, "labels": {{JsonSerializer.Serialize(labels)}}, "multi_class": true}""";

    /// <summary>
    /// <c>kserving.py</c> clients (KServe v1 protocol): <c>POST /v1/models/zero-shot-classifier:predict</c>
    /// with <c>{"instances": [{"sequence": ..., "labels": [...]}]}</c>, read <c>.predictions[i].scores[0]</c>.
    /// </summary>
    public static string Predict(params string[] overviews) =>
        $$"""{"instances": [{{string.Join(", ", overviews.Select(o => $$"""{"sequence": {{JsonSerializer.Serialize(o)}}, "labels": ["christmas"]}"""))}}]}""";
}
