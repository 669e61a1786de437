using MLOps.Web.Infrastructure.Onnx;

namespace MLOps.Web.Tests.Unit.Classification;

/// <summary>
/// BERT uncased WordPiece rules, with the expected pieces written out by hand (lower-case, accents
/// stripped, every punctuation character its own token, CJK ideographs one token each, greedy
/// longest-match sub-words with "##", unknown words [UNK]) and their ids looked up in vocab.txt by the test.
/// </summary>
public sealed class WordPieceTokenizerTests : IAsyncLifetime
{
    private Dictionary<string, int> _vocab = [];
    private ModelTokenizer _tokenizer = null!;

    public async Task InitializeAsync()
    {
        _vocab = await BuiltInModelFiles.VocabularyAsync("all-MiniLM-L6-v2");
        _tokenizer = ModelTokenizer.Load(await BuiltInModelFiles.DirectoryOfAsync("all-MiniLM-L6-v2"), "wordpiece", lowercase: true);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private int[] Ids(params string[] pieces) => pieces.Select(p => _vocab.TryGetValue(p, out var id) ? id : throw new KeyNotFoundException($"'{p}' is not in vocab.txt")).ToArray();

    [Theory]
    [InlineData("Café naïve résumé Émile", new[] { "cafe", "naive", "resume", "emile" })]
    [InlineData("Hello,world...(test)!", new[] { "hello", ",", "world", ".", ".", ".", "(", "test", ")", "!" })]
    [InlineData("don't", new[] { "don", "'", "t" })]
    [InlineData("In 1984, prices rose 100%.", new[] { "in", "1984", ",", "prices", "rose", "100", "%", "." })]
    [InlineData("東京タワー", new[] { "東", "京", "タ", "##ワ", "##ー" })]
    [InlineData("日本語", new[] { "日", "本", "語" })]
    [InlineData("I love pizza 🍕!", new[] { "i", "love", "pizza", "[UNK]", "!" })]
    [InlineData("a 🍕b", new[] { "a", "[UNK]" })]
    [InlineData("x © y snow ☃ man", new[] { "x", "©", "y", "snow", "[UNK]", "man" })]
    [InlineData("tab\there\u0007", new[] { "tab", "here" })]
    [InlineData("unaffable clownfish", new[] { "una", "##ffa", "##ble", "clown", "##fish" })]
    [InlineData("Déjà vu #ChristmasMovies", new[] { "de", "##ja", "vu", "#", "christmas", "##mo", "##vies" })]
    public void Tricky_strings_follow_bert_uncased_wordpiece_rules(string text, string[] pieces)
    {
        Assert.Equal(Ids(pieces), _tokenizer.EncodeWithoutSpecialTokens(text).ToArray());
    }

    [Fact]
    public void A_single_text_is_wrapped_in_cls_and_sep()
    {
        var encoded = _tokenizer.Encode("Hello world", 256);
        Assert.Equal(Ids("[CLS]", "hello", "world", "[SEP]"), encoded.Ids);
        Assert.Equal(new int[4], encoded.TypeIds);
    }

    [Fact]
    public void Truncation_is_token_level_and_may_cut_a_word_between_its_pieces()
    {
        Assert.Equal(Ids("[CLS]", "una", "##ffa", "##ble", "[SEP]"), _tokenizer.Encode("unaffable unaffable", 5).Ids);
        Assert.Equal(Ids("[CLS]", "una", "##ffa", "[SEP]"), _tokenizer.Encode("unaffable unaffable", 4).Ids);
    }

    [Fact]
    public void A_pair_gets_segment_ids_one_on_the_second_text()
    {
        var encoded = _tokenizer.EncodePair("Hello world", "This is a test.", 256);
        Assert.Equal(Ids("[CLS]", "hello", "world", "[SEP]", "this", "is", "a", "test", ".", "[SEP]"), encoded.Ids);
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, encoded.TypeIds);
    }

    [Fact]
    public void A_five_thousand_word_text_is_tokenised_whole_and_truncated_to_the_window()
    {
        string[] cycle = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "."];
        var words = Enumerable.Range(0, 5000).Select(i => cycle[i % cycle.Length]).ToArray();
        var text = string.Join(' ', words);

        var all = _tokenizer.EncodeWithoutSpecialTokens(text);
        Assert.Equal(Ids(words), all.ToArray());

        var window = _tokenizer.Encode(text, 256);
        Assert.Equal(256, window.Length);
        Assert.Equal(Ids(["[CLS]", .. words.Take(254), "[SEP]"]), window.Ids);
    }
}
