using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Support.Fakes;

/// <summary>Small generated catalogs: every fifth movie is a Christmas family film, the rest are not.</summary>
public static class TestCatalog
{
    private static readonly string[] Others =
    [
        "Cartoon heroes play a basketball game against aliens to win their freedom.",
        "A clownfish father crosses the ocean reef to find his lost son.",
        "Astronauts stranded on a space station repair their rocket before the oxygen runs out.",
        "A detective hunts a killer through the rainy streets of the city.",
    ];

    public static bool IsChristmas(string id) => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) % 5 == 0;

    public static List<CatalogDocument> Create(int count) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var id = $"m{i:D4}";
            var christmas = IsChristmas(id);
            return new CatalogDocument
            {
                Id = id,
                Title = christmas ? $"Christmas Eve {i}" : $"Movie {i}",
                Overview = christmas
                    ? "On Christmas Eve a father hunts for a sold-out toy; christmas snow, santa and family christmas joy."
                    : Others[i % Others.Length],
                Genres = christmas ? ["Family"] : ["Action"],
            };
        })];
}
