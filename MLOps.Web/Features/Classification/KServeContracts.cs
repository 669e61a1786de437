using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Features.Classification;

/// <summary>One KServe v1 instance: the reference <c>kserving.py</c> model's input, a pipeline call.</summary>
public sealed record PredictInstance(
    [property: JsonPropertyName("sequence")] string? Sequence,
    [property: JsonPropertyName("labels")] IReadOnlyList<string>? Labels,
    [property: JsonPropertyName("multi_label")] bool? MultiLabel = null,
    [property: JsonPropertyName("multi_class")] bool? MultiClass = null,
    [property: JsonPropertyName("hypothesis_template")] string? HypothesisTemplate = null);

/// <summary>KServe v1 <c>:predict</c> body.</summary>
public sealed record PredictRequest([property: JsonPropertyName("instances")] IReadOnlyList<PredictInstance?>? Instances);

/// <summary>KServe v1 <c>:predict</c> answer: one pipeline dict per instance, in order.</summary>
public sealed record PredictResponse([property: JsonPropertyName("predictions")] IReadOnlyList<ClassifyResponse> Predictions);

/// <summary>KServe v1 <c>GET /v1/models</c>.</summary>
public sealed record KServeModelList([property: JsonPropertyName("models")] IReadOnlyList<string> Models);

/// <summary>KServe v1 <c>GET /v1/models/{name}</c>.</summary>
public sealed record KServeModelReady([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("ready")] bool Ready);

/// <summary>
/// KServe model names. <c>zero-shot-classifier</c> (the reference deployment's name) is the active
/// version; a full id <c>name@version</c> is that version; a registered name alone is its active
/// version when the active model has that name, else its latest (highest) version.
/// </summary>
public static class KServeModelNames
{
    public const string Default = "zero-shot-classifier";

    /// <summary>
    /// True when <paramref name="name"/> is known; <paramref name="modelId"/> is then the version to
    /// lease (null: the active one, for <see cref="Default"/>).
    /// </summary>
    public static bool TryResolve(string name, IReadOnlyList<ModelDescriptor> registered, string? activeId, out string? modelId)
    {
        modelId = null;
        if (string.Equals(name, Default, StringComparison.Ordinal))
        {
            return true;
        }

        if (registered.Any(m => string.Equals(m.Id, name, StringComparison.Ordinal)))
        {
            modelId = name;
            return true;
        }

        var versions = registered.Where(m => string.Equals(m.Name, name, StringComparison.Ordinal)).ToList();
        if (versions.Count == 0)
        {
            return false;
        }

        modelId = versions.FirstOrDefault(m => string.Equals(m.Id, activeId, StringComparison.Ordinal))?.Id
            ?? versions.OrderBy(m => VersionKey(m.Version)).ThenBy(m => m.Version, StringComparer.Ordinal).Last().Id;
        return true;
    }

    /// <summary>What <c>GET /v1/models</c> lists: the default name, then every registered name once.</summary>
    public static IReadOnlyList<string> List(IReadOnlyList<ModelDescriptor> registered) =>
        [Default, .. registered.Select(m => m.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    // numeric versions in numeric order, then the others (as the registry sorts them)
    private static long VersionKey(string version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : long.MaxValue;
}

/// <summary>
/// KServe clients read <c>error</c> from a failed response. On the <c>/v1</c> routes every
/// ProblemDetails (validation, unknown model, bad JSON, 503) also carries <c>error</c>: its field
/// messages, else its detail, else its title. Status codes stay as on <c>/api/classify</c>.
/// </summary>
public static class KServeErrors
{
    public const string PathPrefix = "/v1";

    public static IServiceCollection AddKServeErrorField(this IServiceCollection services) =>
        services.PostConfigure<ProblemDetailsOptions>(o =>
        {
            var inner = o.CustomizeProblemDetails;
            o.CustomizeProblemDetails = context =>
            {
                inner?.Invoke(context);
                if (context.HttpContext.Request.Path.StartsWithSegments(PathPrefix, StringComparison.Ordinal))
                {
                    context.ProblemDetails.Extensions["error"] = Describe(context.ProblemDetails);
                }
            };
        });

    /// <summary>The <c>error</c> text of a problem: "field: message" pairs, else detail, else title.</summary>
    public static string Describe(ProblemDetails problem)
    {
        var errors = problem is HttpValidationProblemDetails { Errors.Count: > 0 } v ? v.Errors
            : problem.Extensions.TryGetValue("errors", out var e) && e is IDictionary<string, string[]> d ? d
            : null;
        if (errors is { Count: > 0 })
        {
            return string.Join("; ", errors.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {string.Join(" ", p.Value)}"));
        }

        return problem.Detail ?? problem.Title ?? "The request failed.";
    }
}
