using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Evaluation;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>
/// A small catalog, three model versions and two judgment sets whose NDCG values are worked out by
/// hand in the tests. <c>m@1</c> is the champion: its christmas scores put a basketball cartoon first.
/// <c>m@2</c> ranks the Christmas films first and equals m@1 on ocean. <c>m@3</c> is as good as m@2
/// on christmas but ranks the ocean films last.
/// </summary>
public sealed class EvaluationScenario
{
    private static readonly (string Id, string Title, string Overview, string[] Genres)[] Docs =
    [
        ("xmas1", "The Toy Hunt", "A father hunts for a sold-out toy for his son on Christmas Eve.", ["Family", "Comedy"]),
        ("xmas2", "Snow Angels", "Carolers save a village's Christmas.", ["Family"]),
        ("xmas3", "Holiday Lights", "A family strings lights for the holidays.", ["Family"]),
        ("bball", "Space Dunk", "Cartoon characters play basketball against aliens.", ["Family", "Animation"]),
        ("fish", "Lost Reef", "A clownfish is lost in the ocean.", ["Family", "Animation"]),
        ("unj", "The Attic", "Siblings find an old map in the attic.", ["Family"]),
        ("drama", "Winter Ward", "A nurse works the Christmas night shift.", ["Drama"]),
        ("sea", "Deep Blue", "Divers explore the ocean floor.", ["Documentary"]),
    ];

    /// <summary>model -> label -> document -> cosine.</summary>
    public static readonly Dictionary<string, Dictionary<string, Dictionary<string, double>>> Cosines = new()
    {
        ["m@1"] = new()
        {
            ["christmas"] = new() { ["bball"] = .9, ["xmas1"] = .8, ["unj"] = .7, ["xmas3"] = .6, ["fish"] = .2, ["xmas2"] = .1, ["drama"] = .5, ["sea"] = 0 },
            ["ocean"] = new() { ["fish"] = .9, ["sea"] = .8 },
        },
        ["m@2"] = new()
        {
            ["christmas"] = new() { ["xmas1"] = .9, ["xmas2"] = .85, ["xmas3"] = .6, ["unj"] = .5, ["bball"] = .1, ["fish"] = .05, ["drama"] = .7, ["sea"] = 0 },
            ["ocean"] = new() { ["fish"] = .9, ["sea"] = .8 },
        },
        ["m@3"] = new()
        {
            ["christmas"] = new() { ["xmas1"] = .9, ["xmas2"] = .85, ["xmas3"] = .6, ["unj"] = .5, ["bball"] = .1, ["fish"] = .05, ["drama"] = .7, ["sea"] = 0 },
            ["ocean"] = new() { ["fish"] = .05, ["sea"] = .1, ["xmas1"] = .5, ["xmas2"] = .5, ["xmas3"] = .5, ["bball"] = .5, ["unj"] = .5, ["drama"] = .5 },
        },
    };

    private readonly Dictionary<string, string> _idByText;

    public EvaluationScenario(bool withCandidates = true)
    {
        Index = new EvaluationFakeCatalogIndex();
        foreach (var (id, title, overview, genres) in Docs)
        {
            var fields = new Dictionary<string, float>
            {
                ["classification_christmas"] = (float)Cosines["m@1"]["christmas"][id],
                ["classification_ocean"] = (float)Cosines["m@1"]["ocean"].GetValueOrDefault(id, .1),
            };
            Index.Add(id, title, overview, genres, fields, model: id == "unj" ? "m@0" : "m@1");
        }

        _idByText = Docs.ToDictionary(
            d => new CatalogDocument { Id = d.Id, Title = d.Title, Overview = d.Overview }.ClassificationText,
            d => d.Id,
            StringComparer.Ordinal);

        Scorers = new EvaluationFakeScorerProvider();
        Registry = new EvaluationFakeModelRegistry(Scorers);
        Registry.Add("m@1", CosineOf("m@1"), active: true);
        if (withCandidates)
        {
            Registry.Add("m@2", CosineOf("m@2"));
            Registry.Add("m@3", CosineOf("m@3"));
        }
    }

    public EvaluationFakeCatalogIndex Index { get; }

    public EvaluationFakeScorerProvider Scorers { get; }

    public EvaluationFakeModelRegistry Registry { get; }

    public EvaluationFakeReclassificationTrigger Trigger { get; } = new();

    /// <summary>Family movies sorted by christmas; drama is judged but outside the Family filter.</summary>
    public static JudgmentSet ChristmasSet { get; } = new(
        "family-christmas",
        new JudgedQuery("Family", "christmas"),
        [new("xmas1", 3), new("xmas2", 3), new("xmas3", 2), new("bball", 0), new("fish", 0), new("drama", 1)],
        DateTimeOffset.UnixEpoch);

    /// <summary>Every movie sorted by ocean.</summary>
    public static JudgmentSet OceanSet { get; } = new(
        "ocean",
        new JudgedQuery(null, "ocean"),
        [new("fish", 3), new("sea", 2), new("bball", 0), new("xmas1", 0)],
        DateTimeOffset.UnixEpoch);

    public const string ChristmasCsv = "document_id,relevance\nxmas1,3\nxmas2,3\nxmas3,2\nbball,0\nfish,0\ndrama,1\n";

    /// <summary>The cosine function of a model: by document (found from its text) and label; 0.1 when not listed.</summary>
    public Func<string, string, double> CosineOf(string model) =>
        (text, label) => _idByText.TryGetValue(text, out var id) && Cosines[model].TryGetValue(label, out var byDoc)
            ? byDoc.GetValueOrDefault(id, .1)
            : .1;
}
