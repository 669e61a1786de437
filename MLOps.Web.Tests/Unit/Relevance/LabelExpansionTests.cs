using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Tests.Unit.Relevance;

public sealed class LabelExpansionTests
{
    [Theory]
    [InlineData("#HeistMovies", true, new[] { "heist" })]
    [InlineData("#BankRobbery", true, new[] { "bank", "robbery" })]
    [InlineData("#MovieNight", true, new[] { "movie", "night" })] // nothing but filler: every word is kept
    [InlineData("#HeistMovies", false, new[] { "heistmovies" })]
    [InlineData("sharks", true, new[] { "sharks" })]
    public void The_lexical_words_are_the_label_words_without_filler(string tag, bool split, string[] expected) =>
        Assert.Equal(expected, LabelExpansion.Words(tag, split));

    [Theory]
    [InlineData("boxing", new[] { "boxing", "boxings", "boxer", "boxers" })]
    [InlineData("horses", new[] { "horses", "horse" })]
    [InlineData("ghosts", new[] { "ghosts", "ghost" })]
    [InlineData("robbery", new[] { "robbery", "robberies" })]
    [InlineData("boxes", new[] { "boxes", "box" })]
    [InlineData("running", new[] { "running", "runnings", "runner", "runners", "runer" })]
    [InlineData("werewolves", new[] { "werewolves", "werewolve", "werewolf" })]
    [InlineData("werewolf", new[] { "werewolf", "werewolfs", "werewolves" })]
    [InlineData("knives", new[] { "knives", "knive", "knife" })]
    [InlineData("housewives", new[] { "housewives", "housewive", "housewife" })]
    [InlineData("wife", new[] { "wife", "wifes", "wives" })]
    [InlineData("cliff", new[] { "cliff", "cliffs" })]
    // Not every -f / -fe word: "saves", "lives", "leaves" and "caf" would match what these tags are not about.
    [InlineData("safe", new[] { "safe", "safes" })]
    [InlineData("life", new[] { "life", "lifes" })]
    [InlineData("leaf", new[] { "leaf", "leafs" })]
    [InlineData("caves", new[] { "caves", "cave" })]
    [InlineData("hackers", new[] { "hackers", "hacker", "hacking" })]
    [InlineData("runners", new[] { "runners", "runner", "running" })]
    [InlineData("lovers", new[] { "lovers", "lover", "loving" })] // the planner's frequency check leaves "loving" (stem "love") out where it matches too much
    [InlineData("users", new[] { "users", "user" })] // too short for -ers -> -ing
    public void Morphological_variants_follow_the_rules(string word, string[] expected) =>
        Assert.Equal(expected, LabelExpansion.MorphVariants(word));

    [Fact]
    public void Only_variants_with_a_new_english_stem_are_added_to_the_core_query()
    {
        // "boxing" stems to "box"; "boxer" is a new stem; "boxings" and "boxers" fold into those.
        var texts = LabelExpansion.CoreTexts(["boxing"], variants: true);
        Assert.Equal([new WeightedText("boxing", 1f), new WeightedText("boxer", 1f)], texts);

        // "sharks" and "shark" share the stem: nothing is added.
        Assert.Equal([new WeightedText("sharks", 1f)], LabelExpansion.CoreTexts(["sharks"], variants: true));
        Assert.Equal([new WeightedText("boxing", 1f)], LabelExpansion.CoreTexts(["boxing"], variants: false));
        // "banks" and "robberies" stem like "bank" and "robbery": a multi-word label gains nothing either.
        Assert.Equal([new WeightedText("bank robbery", 1f)], LabelExpansion.CoreTexts(["bank", "robbery"], variants: true));
    }

    [Fact]
    public void An_f_plural_brings_its_singular_which_the_stemmer_keeps_apart()
    {
        // The English stemmer leaves "werewolves" as "werewolv" and "werewolf" as "werewolf": without
        // the variant, #werewolves misses "Publisher Will Randall becomes a werewolf".
        Assert.NotEqual(LabelExpansion.Stems("werewolves"), LabelExpansion.Stems("werewolf"));
        Assert.Equal([new WeightedText("werewolves", 1f), new WeightedText("werewolf", 1f)], LabelExpansion.CoreTexts(["werewolves"], variants: true));
        Assert.Equal([new WeightedText("werewolf", 1f), new WeightedText("werewolves", 1f)], LabelExpansion.CoreTexts(["werewolf"], variants: true));
    }

    [Fact]
    public void Stream_variants_become_weighted_texts_without_repeating_the_core_words()
    {
        var core = LabelExpansion.CoreTexts(["heist"], variants: true);
        var stream = LabelExpansion.StreamTexts(["#BankRobbery", "heists", "#Heist", "the", ""], core, 0.5f);

        // "heists" and "#Heist" stem like the core word "heist"; "the" is a stop word: no text.
        Assert.Equal([new WeightedText("bank robbery", 0.5f)], stream);
        Assert.Empty(LabelExpansion.StreamTexts(["#BankRobbery"], core, 0f));
        Assert.Empty(LabelExpansion.StreamTexts(null, core, 0.5f));
    }

    [Theory]
    [InlineData("boxing", new[] { "boxer", "boxers" })]
    [InlineData("running", new[] { "runner", "runners", "runer" })]
    [InlineData("hackers", new[] { "hacking" })]
    [InlineData("spies", new string[0])] // an inflection ("spy") is another form of the word, not another word
    [InlineData("wolves", new string[0])]
    public void Derivations_are_the_ing_and_er_forms(string word, string[] expected) =>
        Assert.Equal(expected, LabelExpansion.Derivations(word));

    private static readonly IReadOnlyList<WeightedText> Lovers = [new("lovers", 1f), new("lover boy", 1f), new("loving", 1f), new("lovely", 1f)];

    [Fact]
    public void The_frequency_check_drops_a_checked_variant_beyond_the_ratio_of_the_words_matches_and_keeps_the_rest()
    {
        var (kept, checks) = LabelExpansion.WithinFrequency(Lovers, new Dictionary<string, (long, long)> { ["loving"] = (500, 64), ["lovely"] = (256, 64) }, 4);

        Assert.Equal([Lovers[0], Lovers[1], Lovers[3]], kept); // "lover boy" is not checked; 256 = 4 × 64 is still within
        Assert.Equal([new VariantCheck("loving", 500, 64, Kept: false), new VariantCheck("lovely", 256, 64, Kept: true)], checks);
    }

    [Fact]
    public void The_tag_words_always_stay_and_count_as_one_document_when_they_match_none()
    {
        var (kept, checks) = LabelExpansion.WithinFrequency(Lovers, new Dictionary<string, (long, long)> { ["lovers"] = (99, 0), ["loving"] = (4, 0), ["lovely"] = (5, 0) }, 4);

        Assert.Equal([Lovers[0], Lovers[1], Lovers[2]], kept);
        Assert.Equal([new VariantCheck("loving", 4, 0, Kept: true), new VariantCheck("lovely", 5, 0, Kept: false)], checks);
    }

    [Fact]
    public void Ratio_zero_keeps_every_text()
    {
        Assert.Equal(Lovers, LabelExpansion.WithinFrequency(Lovers, new Dictionary<string, (long, long)> { ["loving"] = (1000, 1) }, 0).Kept);
    }

    [Fact]
    public void Each_variant_is_measured_against_its_own_word()
    {
        var (kept, checks) = LabelExpansion.WithinFrequency(Lovers, new Dictionary<string, (long, long)> { ["loving"] = (483, 64), ["lovely"] = (30, 200) }, 4);

        Assert.Equal([Lovers[0], Lovers[1], Lovers[3]], kept);
        Assert.Equal([false, true], checks.Select(c => c.Kept));
    }

    [Theory]
    [InlineData("runners", "run")]
    [InlineData("run", "runners")]
    public void A_variant_never_repeats_the_stem_of_another_word_whatever_the_word_order(string first, string second)
    {
        var texts = LabelExpansion.CoreTexts([first, second], variants: true).Select(t => t.Text).ToList();

        Assert.DoesNotContain("running", texts); // stem "run", which the word "run" already searches
        Assert.Contains("runner", LabelExpansion.Stems(string.Join(' ', texts)));
    }
}
