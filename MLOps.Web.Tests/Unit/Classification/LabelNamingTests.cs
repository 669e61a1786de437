using MLOps.Web.Shared;

namespace MLOps.Web.Tests.Unit.Classification;

public sealed class LabelNamingTests
{
    [Theory]
    [InlineData("#ChristmasMovies", "christmas movies")]
    [InlineData("christmas", "christmas")]
    [InlineData("#WorldCup2026", "world cup 2026")]
    [InlineData("HTMLParser", "html parser")]
    [InlineData("#snake_case_tag", "snake case tag")]
    [InlineData("  #Noël ", "noël")]
    [InlineData("#MAGA", "maga")]
    public void A_hashtag_becomes_lower_case_words_for_the_hypothesis(string tag, string label) =>
        Assert.Equal(label, LabelNaming.ToLabel(tag));

    [Theory]
    [InlineData("#ChristmasMovies", "classification_christmasmovies")]
    [InlineData("christmas movies", "classification_christmasmovies")]
    [InlineData("christmas\"; drop", "classification_christmasdrop")]
    [InlineData("noël", "classification_noel")]
    [InlineData("#World_Cup", "classification_world_cup")]
    [InlineData("日本", "")]
    [InlineData("#!!!", "")]
    public void A_field_name_keeps_only_lower_case_ascii_letters_digits_and_underscores(string tag, string field) =>
        Assert.Equal(field, LabelNaming.ToFieldName(tag));

    [Theory]
    [InlineData("classification_christmas", true)]
    [InlineData("classification_world_cup_2026", true)]
    [InlineData("classification_", false)]
    [InlineData("classification_Christmas", false)]
    [InlineData("classification_christmas\"; drop", false)]
    [InlineData("title", false)]
    public void Only_well_formed_classification_fields_are_accepted(string field, bool valid) =>
        Assert.Equal(valid, LabelNaming.IsFieldName(field));
}
