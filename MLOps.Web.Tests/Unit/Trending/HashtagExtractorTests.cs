using System.Diagnostics;
using MLOps.Web.Features.Trending;

namespace MLOps.Web.Tests.Unit.Trending;

public class HashtagExtractorTests
{
    private readonly HashtagExtractor _extractor = new(100, ["fyp", "#ForYou"]);

    private List<(string Key, string Display)> Extract(string text)
    {
        var sink = new ListSink();
        var found = _extractor.ExtractFromText(text, ref sink);
        Assert.Equal(found, sink.Tags.Count);
        return sink.Tags;
    }

    private List<string> Keys(string text) => Extract(text).Select(t => t.Key).ToList();

    [Fact]
    public void Keys_are_case_folded_and_the_display_keeps_the_written_form()
    {
        var tags = Extract("Watching #ChristmasMovies with #christmasmovies fans");
        Assert.Equal([("christmasmovies", "ChristmasMovies"), ("christmasmovies", "christmasmovies")], tags);
    }

    [Theory]
    [InlineData("Lichter überall #Noël", "noël")]
    [InlineData("今年も #クリスマス", "クリスマス")]
    [InlineData("पटाखे #दिवाली की रात", "दिवाली")]
    [InlineData("عيد سعيد #عيد_الفطر", "عيد_الفطر")]
    [InlineData("С праздником #НовыйГод!", "новыйгод")]
    [InlineData("วันนี้ #สงกรานต์ สนุก", "สงกรานต์")]
    [InlineData("中文 #春节快乐", "春节快乐")]
    [InlineData("supplementary plane #𠀀𠀁 letters", "𠀀𠀁")]
    [InlineData("Arabic-Indic digits #كأس٢٠٢٦", "كأس٢٠٢٦")]
    public void Letters_digits_and_marks_of_any_script_make_one_tag(string text, string expected)
    {
        Assert.Equal([expected], Keys(text));
    }

    [Theory]
    [InlineData("Tree is up #christmas🎄 yay", "christmas")]
    [InlineData("🎄#christmas", "christmas")]
    [InlineData("#worldcup⚽️⚽️", "worldcup")]
    public void Emoji_end_a_tag_and_may_precede_one(string text, string expected)
    {
        Assert.Equal([expected], Keys(text));
    }

    [Theory]
    [InlineData("#🎄 decorations")]
    [InlineData("#❤️")]
    [InlineData("just a # sign and #")]
    public void A_hash_followed_by_emoji_or_nothing_is_not_a_tag(string text)
    {
        Assert.Empty(Keys(text));
    }

    [Theory]
    [InlineData("Notes at https://example.org/notes#section-2 for all")]
    [InlineData("see http://x.com/?q=1#frag")]
    [InlineData("anchor example.org/#frag")]
    [InlineData("in page#anchor text")]
    [InlineData("html entity &#38; here")]
    public void Url_fragments_and_hashes_inside_words_are_not_tags(string text)
    {
        Assert.Empty(Keys(text));
    }

    [Fact]
    public void A_tag_after_a_url_is_still_found()
    {
        Assert.Equal(["real"], Keys("https://example.org/a#b #real"));
    }

    [Fact]
    public void A_double_hash_yields_the_tag_once()
    {
        Assert.Equal([("christmas", "christmas")], Extract("so excited ##christmas"));
    }

    [Fact]
    public void A_hash_right_after_a_tag_does_not_start_another()
    {
        Assert.Equal(["one"], Keys("#one#two"));
    }

    [Theory]
    [InlineData("#christmas!")]
    [InlineData("#christmas.")]
    [InlineData("(#christmas)")]
    [InlineData("#christmas, and more")]
    [InlineData("#christmas's best")]
    [InlineData("\"#christmas\"")]
    [InlineData("#christmas?!")]
    public void Trailing_punctuation_is_not_part_of_the_tag(string text)
    {
        Assert.Equal([("christmas", "christmas")], Extract(text));
    }

    [Theory]
    [InlineData("#2026")]
    [InlineData("#1 fan")]
    [InlineData("#１２３")]
    [InlineData("#_1")]
    [InlineData("#___")]
    public void Pure_numbers_and_tags_without_a_letter_are_not_tags(string text)
    {
        Assert.Empty(Keys(text));
    }

    [Fact]
    public void Digits_and_underscores_inside_a_tag_are_kept()
    {
        Assert.Equal(["worldcup2026", "spooky_season", "2026worldcup"], Keys("#WorldCup2026 #spooky_season #2026WorldCup"));
    }

    [Fact]
    public void The_full_width_hash_starts_a_tag()
    {
        Assert.Equal(["christmas"], Keys("＃Christmas"));
    }

    [Fact]
    public void Stop_listed_tags_are_dropped_whatever_their_case()
    {
        Assert.Equal(["fyp2"], Keys("#FYP #foryou #fyp2"));
    }

    [Fact]
    public void A_ten_thousand_character_tag_is_ignored_and_the_next_tag_is_still_found()
    {
        var text = "#" + new string('a', 10_000) + " #halloween";
        var sw = Stopwatch.StartNew();
        var keys = Keys(text);
        sw.Stop();
        Assert.Equal(["halloween"], keys);
        Assert.True(sw.ElapsedMilliseconds < 1000, $"took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_tag_of_exactly_the_maximum_length_is_kept_and_one_more_character_drops_it()
    {
        var extractor = new HashtagExtractor(10, []);
        var sink = new ListSink();
        extractor.ExtractFromText("#abcdefghij #abcdefghijk", ref sink);
        Assert.Equal(["abcdefghij"], sink.Tags.Select(t => t.Key));
    }

    [Fact]
    public void Source_entities_pass_the_same_checks()
    {
        var sink = new ListSink();
        var found = _extractor.ExtractFromEntities(["#Christmas", "WorldCup", "Christmas Movies", "2026", "fyp", "", "＃Noël"], ref sink);
        Assert.Equal(3, found);
        Assert.Equal([("christmas", "Christmas"), ("worldcup", "WorldCup"), ("noël", "Noël")], sink.Tags);
    }

    [Theory]
    [InlineData("#ChristmasMovies", "christmasmovies")]
    [InlineData("Halloween", "halloween")]
    [InlineData("not a tag", null)]
    [InlineData("#fyp", null)]
    public void NormalizeKey_gives_the_key_other_features_look_up(string tag, string? expected)
    {
        Assert.Equal(expected, _extractor.NormalizeKey(tag));
    }

    private struct ListSink : IHashtagSink
    {
        public ListSink()
        {
        }

        public List<(string Key, string Display)> Tags { get; } = [];

        public readonly void OnHashtag(scoped ReadOnlySpan<char> key, scoped ReadOnlySpan<char> display) =>
            Tags.Add((key.ToString(), display.ToString()));
    }
}
