using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Features.Models;
using MLOps.Web.Infrastructure.Lucene;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Classification;

namespace MLOps.Web.Tests.Integration.Relevance;

/// <summary>
/// A small constructed catalog for the tag "sharks" on a real Lucene index in a temp folder, and the
/// real all-MiniLM-L6-v2 loaded as the registry loads it. Two documents test the pipeline: one that
/// mentions the tag but is about something else (a loan shark), one that is about it without naming it.
/// </summary>
public sealed class RelevanceCatalog : IAsyncLifetime
{
    public const string MentionsNotAbout = "loanshark";
    public const string AboutUnnamed = "predator";

    public static readonly string[] SharkFilms = ["jaws", "cage", "reef", "surfer", "lab"];

    private static readonly (string Id, string Title, string Overview)[] Documents =
    [
        ("jaws", "Beach Town", "A great white shark terrorizes the swimmers of a small beach town and three men set out to kill it."),
        ("cage", "Cage Dive", "Two sisters are trapped in a diving cage on the ocean floor while sharks circle above them."),
        ("reef", "Reef Bait", "Divers on a sinking boat drift among hungry sharks far from the coast."),
        ("surfer", "The Rock", "A surfer stranded on a rock two hundred yards from shore fights off a circling shark."),
        ("lab", "Deep Lab", "Scientists in an underwater research lab are hunted by genetically engineered sharks."),
        (MentionsNotAbout, "Vig", "A bookkeeper steals the ledger of the loan shark he works for and flees to Las Vegas with the debt collectors on his heels."),
        (AboutUnnamed, "Open Water Summer", "Scuba divers stranded far out at sea cling to their sinking boat while a huge hungry predator circles below them."),
        ("romance", "Paris Letters", "Two pen pals fall in love through letters before they ever meet in Paris."),
        ("space", "Red Dust", "An astronaut stranded on Mars grows potatoes to survive until rescue."),
        ("boxer", "Southpaw Road", "A washed-up boxer trains a young fighter for a title bout."),
        ("cook", "Kitchen Rules", "A chef opens a small restaurant and battles a harsh food critic."),
        ("heist", "Vault Night", "A crew of thieves plans to rob a casino vault during a boxing match."),
        ("ghost", "The Hollow House", "A family moves into an old house haunted by the ghost of a drowned girl."),
        ("war", "Winter Front", "Soldiers hold a frozen bridge against an advancing army."),
        ("school", "Homeroom", "A shy teenager runs for class president against the most popular girl."),
        ("robot", "Tin Heart", "A household robot learns to feel after its family leaves it behind."),
        ("horse", "Wild Mustang", "A girl tames a wild horse and rides it in the county race."),
        ("alien", "First Signal", "Linguists try to talk to aliens whose ships hover over twelve cities."),
        ("dog", "Good Boy", "A lost dog crosses the country to find the boy who raised him."),
        ("music", "Bandstand", "A garage band gets one shot at a record deal."),
        ("court", "The Verdict", "A tired lawyer takes on a hospital in a malpractice trial."),
        ("island", "Castaway Days", "A courier stranded on a desert island talks to a volleyball."),
        ("fishing", "Old Man's Catch", "An old fisherman hooks a giant marlin far out in the Gulf Stream."),
        ("aquarium", "Blue Tank", "A marine biologist fights to save her aquarium from developers."),
        ("submarine", "Silent Run", "The crew of a damaged submarine races to surface before the air runs out."),
    ];

    /// <summary>64 films about nothing near the sea, so that the statistics sample looks like a catalog (the tag's films are few).</summary>
    private static readonly (string Id, string Title, string Overview)[] Fillers =
    [
        .. from p in new[] { "teacher", "nurse", "detective", "chef", "lawyer", "farmer", "pilot", "painter" }
           from (int Index, string Plot) plot in new[]
           {
               "falls in love with a neighbour during a heat wave in the city.",
               "fights to keep the family bakery open after the factory closes.",
               "solves a murder at a mountain ski lodge.",
               "trains for a marathon after losing a job.",
               "inherits a vineyard and a feud with the family next door.",
               "runs for mayor of a small desert town.",
               "teaches a choir of troubled teenagers to sing.",
               "searches for a missing brother in the jungle.",
           }.Select((text, i) => (i, text))
           select ($"{p}{plot.Index}", $"The {char.ToUpperInvariant(p[0])}{p[1..]} {plot.Index}", $"A {p} {plot.Plot}"),
    ];

    private readonly string _path = TempDirectory.Create("relevance-catalog");

    public LuceneCatalogIndex Index { get; private set; } = null!;

    public LoadedModel Model { get; private set; } = null!;

    public IEmbeddingScorer Scorer => (IEmbeddingScorer)Model.Scorer;

    public IReadOnlyList<string> Ids { get; } = [.. Documents.Concat(Fillers).Select(d => d.Id).Order(StringComparer.Ordinal)];

    public async Task InitializeAsync()
    {
        Index = new LuceneCatalogIndex(_path, NullLogger<LuceneCatalogIndex>.Instance);
        await Index.IndexAsync([.. Documents.Concat(Fillers).Select(d => new CatalogDocument { Id = d.Id, Title = d.Title, Overview = d.Overview })], CancellationToken.None);
        var dir = await BuiltInModelFiles.DirectoryOfAsync("all-MiniLM-L6-v2");
        var manifest = ModelManifest.Read(Path.Combine(dir, ModelManifest.FileName));
        Model = LoadedModel.Load(new ModelDescriptor("all-MiniLM-L6-v2@1", "all-MiniLM-L6-v2", "1", manifest.Kind, manifest.Sha256 ?? "", dir),
            manifest, new OnnxSessionSettings(AllowSpinning: false), new BatchingSettings());
    }

    public async Task DisposeAsync()
    {
        await Model.ReleaseAndWaitAsync();
        Index.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    public async Task<IReadOnlyList<CatalogDocument>> DocumentsAsync() => await Index.GetManyAsync(Ids, CancellationToken.None);
}
