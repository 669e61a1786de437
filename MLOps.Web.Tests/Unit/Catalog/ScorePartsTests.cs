using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The parts of each classification score: stored with the document, merged and removed like the scores, explained.</summary>
public sealed class ScorePartsTests
{
    private static readonly Dictionary<string, float> Fused = new()
    {
        [ScorePartNames.Cosine] = 0.41f,
        [ScorePartNames.SemanticZ] = 2.1f,
        [ScorePartNames.Match] = 1f,
        [ScorePartNames.Bm25] = 7.2f,
        [ScorePartNames.Bm25Median] = 3.1f,
        [ScorePartNames.Bm25Max] = 9f,
        [ScorePartNames.Bm25ByMax] = 0.8f,
        [ScorePartNames.Fused] = 5.7f,
        [ScorePartNames.Score] = 0.93f,
    };

    private static CatalogDocument Doc() => new() { Id = "m1", Title = "The Heist" };

    [Fact]
    public void Parts_round_trip_through_the_documents_json_and_null_entries_are_skipped()
    {
        var doc = Doc();
        doc.Classifications["classification_heist"] = 0.93f;
        doc.ClassificationParts["classification_heist"] = Fused;
        var json = CatalogJson.Serialize(doc);
        Assert.Contains("\"classified_parts\":{\"classification_heist\":{\"bm25\":7.2,", json, StringComparison.Ordinal);

        var back = CatalogJson.Parse(json);
        Assert.Equal(Fused, back.ClassificationParts["classification_heist"]);

        var withRemoval = CatalogJson.Parse("""{"id":"m1","title":"T","classified_parts":{"classification_old":null,"classification_x":{"cosine":0.5,"score":0.6}}}""");
        Assert.Equal(["classification_x"], withRemoval.ClassificationParts.Keys);
        Assert.Throws<CatalogFormatException>(() => CatalogJson.Parse("""{"id":"m1","title":"T","classified_parts":{"classification_x":{"cosine":"high"}}}"""));
        Assert.Throws<CatalogFormatException>(() => CatalogJson.Parse("""{"id":"m1","title":"T","classified_parts":[1]}"""));
    }

    [Fact]
    public void An_update_sets_the_parts_of_its_fields_drops_stale_ones_and_removes_those_of_removed_fields()
    {
        var doc = Doc();
        doc.Classifications["classification_old"] = 0.2f;
        doc.ClassificationParts["classification_old"] = Fused;
        doc.ClassificationParts["classification_nli"] = Fused;
        var scores = new Dictionary<string, float> { ["classification_heist"] = 0.93f, ["classification_nli"] = 0.5f };
        CatalogJson.Apply(doc, new ClassificationUpdate("m1", scores, "m@1", DateTimeOffset.UnixEpoch, ["classification_old"],
            new Dictionary<string, IReadOnlyDictionary<string, float>> { ["classification_heist"] = Fused }));

        Assert.Equal(["classification_heist"], doc.ClassificationParts.Keys); // nli scored without parts: its old parts are gone
        var merged = CatalogJson.MergeKeepingClassifications(doc, Doc());
        Assert.Equal(Fused, merged.ClassificationParts["classification_heist"]);
    }

    [Fact]
    public void Explanations_print_each_part_and_ignore_parts_of_another_value()
    {
        var doc = Doc();
        doc.Classifications["classification_heist"] = 0.93f;
        doc.ClassificationParts["classification_heist"] = Fused;

        Assert.Equal("semantic z 2.1 (cosine 0.41), lexical 0.8 (bm25 7.2 / best 9), match 1, fused 5.7 → 0.93",
            SearchExplanations.Parts("classification_heist", doc));
        Assert.Equal("sorted by classification_heist desc = 0.93 (missing = 0); semantic z 2.1 (cosine 0.41), lexical 0.8 (bm25 7.2 / best 9), match 1, fused 5.7 → 0.93",
            SearchExplanations.FieldSort("classification_heist", doc));
        var blend = SearchExplanations.Blend(0.965f, 0.5f, 1f, null, null, [KeyValuePair.Create("classification_heist", 0.5f)], doc);
        Assert.EndsWith("+ 0.5 × classification_heist 0.93; classification_heist: semantic z 2.1 (cosine 0.41), lexical 0.8 (bm25 7.2 / best 9), match 1, fused 5.7 → 0.93", blend, StringComparison.Ordinal);

        doc.ClassificationParts["classification_heist"] = new Dictionary<string, float>(Fused) { [ScorePartNames.TitleMatch] = 1f };
        Assert.Equal("semantic z 2.1 (cosine 0.41), lexical 0.8 (bm25 7.2 / best 9), match 1, title match 1, fused 5.7 → 0.93",
            SearchExplanations.Parts("classification_heist", doc));

        doc.ClassificationParts["classification_heist"] = new Dictionary<string, float> { [ScorePartNames.Cosine] = 0.41f, [ScorePartNames.Score] = 0.93f };
        Assert.Equal("cosine 0.41 → 0.93 (the model's calibrated cosine)", SearchExplanations.Parts("classification_heist", doc));

        doc.Classifications["classification_heist"] = 0.5f; // rescored by a run that stored no parts
        Assert.Null(SearchExplanations.Parts("classification_heist", doc));
        Assert.Equal("sorted by classification_heist desc = 0.5 (missing = 0)", SearchExplanations.FieldSort("classification_heist", doc));
    }
}
