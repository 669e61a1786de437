using System.Text.Json;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Unit.Catalog;

public sealed class CatalogJsonTests
{
    [Fact]
    public void A_document_round_trips_with_scores_model_time_and_extra_fields()
    {
        var doc = CatalogJson.Parse("""
            {"id":19995,"title":"Avatar","overview":"Pandora.","tagline":"Enter the world.","genres":[{"id":28,"name":"Action"},"Adventure"],
             "release_date":"2009-12-10","vote_average":7.2,"keywords":["moon","marine"],
             "classification_space":0.91,"classification_old":null,"classification_model":"minilm@2","classified_at":"2026-11-20T08:30:00Z"}
            """);

        Assert.Equal("19995", doc.Id);
        Assert.Equal(["Action", "Adventure"], doc.Genres);
        Assert.Equal(0.91f, doc.Classifications["classification_space"]);
        Assert.False(doc.Classifications.ContainsKey("classification_old"));
        Assert.Equal("minilm@2", doc.ClassificationModel);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 8, 30, 0, TimeSpan.Zero), doc.ClassifiedAt);
        Assert.Equal(7.2, doc.Extra["vote_average"].GetDouble());

        var again = CatalogJson.Parse(CatalogJson.Serialize(doc));
        Assert.Equal(doc.Title, again.Title);
        Assert.Equal(doc.Tagline, again.Tagline);
        Assert.Equal(doc.Genres, again.Genres);
        Assert.Equal(doc.Classifications, again.Classifications);
        Assert.Equal(doc.ClassifiedAt, again.ClassifiedAt);
        Assert.Equal("marine", again.Extra["keywords"][1].GetString());
    }

    [Theory]
    [InlineData("""{"title":"No id"}""", "id is missing")]
    [InlineData("""{"id":"1"}""", "title is missing")]
    [InlineData("""{"id":"1","title":""}""", "title is missing")]
    [InlineData("""{"id":true,"title":"x"}""", "id must be a string or a number")]
    [InlineData("""{"id":"1","title":7}""", "title must be a string")]
    [InlineData("""{"id":"1","title":"x","genres":{"name":"Drama"}}""", "genres must be an array")]
    [InlineData("""{"id":"1","title":"x","genres":[{"id":3}]}""", "genres[0]")]
    [InlineData("""{"id":"1","title":"x","classification_space":"high"}""", "classification_space must be a number")]
    [InlineData("""{"id":"1","title":"x","classified_at":"yesterday"}""", "classified_at")]
    [InlineData("""[1,2]""", "expected a JSON object")]
    public void Unusable_documents_are_rejected_naming_the_field(string json, string message)
    {
        var ex = Assert.Throws<CatalogFormatException>(() => CatalogJson.Parse(json));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_action_id_wins_over_the_body_id_and_long_ids_are_refused()
    {
        using var body = JsonDocument.Parse("""{"id":"body","title":"x"}""");
        Assert.Equal("action", CatalogJson.Parse(body.RootElement, "action").Id);
        Assert.Throws<CatalogFormatException>(() => CatalogJson.Parse(body.RootElement, new string('a', 513)));
    }

    [Fact]
    public void Merging_keeps_stored_scores_and_lets_incoming_scores_win()
    {
        var stored = CatalogJson.Parse("""{"id":"1","title":"Old","classification_a":0.1,"classification_b":0.2,"classification_model":"m@1"}""");
        var incoming = CatalogJson.Parse("""{"id":"1","title":"New","classification_b":0.9}""");

        var merged = CatalogJson.MergeKeepingClassifications(stored, incoming);

        Assert.Equal("New", merged.Title);
        Assert.Equal(0.1f, merged.Classifications["classification_a"]);
        Assert.Equal(0.9f, merged.Classifications["classification_b"]);
        Assert.Equal("m@1", merged.ClassificationModel);
    }

    [Theory]
    [InlineData("classification_christmas", true)]
    [InlineData("classification_model", false)]
    [InlineData("classification_", false)]
    [InlineData("classification_Christmas", false)]
    [InlineData("title", false)]
    public void Only_well_formed_classification_fields_are_score_fields(string name, bool expected) =>
        Assert.Equal(expected, CatalogJson.IsScoreField(name));
}
