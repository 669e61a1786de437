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
    [InlineData("#AIrobots", "ai robots")]
    [InlineData("#AIRobots", "ai robots")]
    [InlineData("#MyAIrobots", "my ai robots")]
    [InlineData("#TVshows", "tv shows")]
    [InlineData("#ILoveNY", "i love ny")]
    [InlineData("#ATeam", "a team")]
    [InlineData("#iPhone", "iphone")]
    [InlineData("#eBayFinds", "ebay finds")]
    [InlineData("#COVID19", "covid 19")]
    [InlineData("#Covid19Vaccine", "covid 19 vaccine")]
    [InlineData("#4thOfJuly", "4th of july")]
    [InlineData("#2ndAmendment", "2nd amendment")]
    [InlineData("#Top10Movies", "top 10 movies")]
    [InlineData("#24hours", "24 hours")]
    [InlineData("#F1", "f1")]
    [InlineData("#G20Summit", "g20 summit")]
    [InlineData("#5G", "5g")]
    [InlineData("#Y2K", "y2k")]
    [InlineData("#Oscars2026", "oscars 2026")]
    [InlineData("#__spooky__season__", "spooky season")]
    [InlineData("#Christmas_Movies", "christmas movies")]
    [InlineData("#クリスマス", "クリスマス")]
    [InlineData("#東京2020", "東京 2020")]
    public void A_hashtag_becomes_lower_case_words_for_the_hypothesis(string tag, string label) =>
        Assert.Equal(label, LabelNaming.ToLabel(tag));

    [Theory]
    [InlineData("#ChristmasMovies", "classification_christmasmovies")]
    [InlineData("christmas movies", "classification_christmasmovies")]
    [InlineData("christmas\"; drop", "classification_christmasdrop")]
    [InlineData("noël", "classification_noel")]
    [InlineData("#World_Cup", "classification_world_cup")]
    [InlineData("#!!!", "")]
    [InlineData("#Christmas", "classification_christmas")]
    [InlineData("#Noël", "classification_noel")]
    [InlineData("#東京2020", "classification_2020")]
    public void A_field_name_keeps_only_lower_case_ascii_letters_digits_and_underscores(string tag, string field) =>
        Assert.Equal(field, LabelNaming.ToFieldName(tag));

    [Theory]
    [InlineData("クリスマス", "t_kurisumasu_")]
    [InlineData("#クリスマス", "t_kurisumasu_")]
    [InlineData("日本", "t_riben_")]
    [InlineData("Москва", "t_moskva_")]
    [InlineData("ハロウィン", "t_harouin_")]
    public void A_tag_with_no_latin_letter_or_digit_gets_a_transliterated_key_with_a_hash(string tag, string start)
    {
        var key = LabelNaming.ToFieldKey(tag);
        Assert.StartsWith(start, key);
        Assert.Matches("^t_[a-z0-9]+_[0-9a-f]{6}$", key);
        Assert.True(LabelNaming.IsFieldName(LabelNaming.ToFieldName(tag)));
    }

    [Fact]
    public void The_transliterated_key_is_the_same_for_the_tag_its_key_and_its_label_and_differs_between_homophones()
    {
        var key = LabelNaming.ToFieldKey("#クリスマス");
        Assert.Equal("t_kurisumasu_e07e6d", key); // pinned: a field name must never change under stored scores
        Assert.Equal(key, LabelNaming.ToFieldKey("クリスマス"));
        Assert.Equal(key, LabelNaming.ToFieldKey(LabelNaming.ToLabel("#クリスマス")));
        Assert.Equal("classification_" + key, LabelNaming.ToFieldName("#クリスマス"));

        // Both transliterate to "dongjing"; the hash keeps their fields apart.
        var tokyo = LabelNaming.ToFieldKey("東京");
        var other = LabelNaming.ToFieldKey("冬京");
        Assert.StartsWith("t_dongjing_", tokyo);
        Assert.StartsWith("t_dongjing_", other);
        Assert.NotEqual(tokyo, other);
    }

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
