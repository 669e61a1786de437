using System.Text.Json;
using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Classification;

/// <summary>RoBERTa/BART byte-level BPE from vocab.json + merges.txt, with a vocabulary small enough to reason about.</summary>
public sealed class BpeTokenizerTests
{
    // byte-level BPE writes a leading space as "Ġ"
    private static readonly Dictionary<string, int> Vocab = new()
    {
        ["<s>"] = 0, ["<pad>"] = 1, ["</s>"] = 2, ["<unk>"] = 3,
        ["h"] = 4, ["e"] = 5, ["l"] = 6, ["o"] = 7, ["w"] = 8, ["r"] = 9, ["d"] = 10, ["Ġ"] = 11,
        ["he"] = 12, ["ll"] = 13, ["hell"] = 14, ["hello"] = 15, ["Ġw"] = 16, ["or"] = 17, ["Ġwor"] = 18, ["Ġworld"] = 19,
    };

    private static string Folder()
    {
        var dir = TempDirectory.Create("bpe");
        File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(Vocab));
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ w\no r\nĠw or\n");
        return dir;
    }

    [Fact]
    public void Byte_level_merges_apply_in_rank_order()
    {
        var tokenizer = ModelTokenizer.Load(Folder());
        Assert.Equal("bpe", tokenizer.Kind);
        // "hello" merges fully; " world": Ġ w -> Ġw, o r -> or, Ġw or -> Ġwor; no merge joins l or d to it
        Assert.Equal([Vocab["hello"], Vocab["Ġwor"], Vocab["l"], Vocab["d"]], tokenizer.EncodeWithoutSpecialTokens("hello world").ToArray());
    }

    [Fact]
    public void A_pair_uses_the_roberta_layout_without_segment_ids()
    {
        var tokenizer = ModelTokenizer.Load(Folder());
        var pair = tokenizer.EncodePair("hello", "hello", 64);
        Assert.Equal([Vocab["<s>"], Vocab["hello"], Vocab["</s>"], Vocab["</s>"], Vocab["hello"], Vocab["</s>"]], pair.Ids);
        Assert.Null(pair.TypeIds);
        Assert.Equal(Vocab["<pad>"], tokenizer.PadId);
    }
}
