using MLOps.Web.Infrastructure.Onnx;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Classification;

/// <summary>DeBERTa-v3 style SentencePiece (Unigram) from a tiny spm.model the test writes itself.</summary>
public sealed class SentencePieceTokenizerTests
{
    // (piece, score, type: 1 normal, 2 unknown, 3 control)
    private static readonly (string Piece, float Score, int Type)[] Pieces =
    [
        ("[PAD]", 0, 3), ("[CLS]", 0, 3), ("[SEP]", 0, 3), ("[UNK]", 0, 2),
        ("\u2581hello", -1, 1), ("\u2581world", -1, 1), ("\u2581", -2, 1),
        ("h", -5, 1), ("e", -5, 1), ("l", -5, 1), ("o", -5, 1), ("w", -5, 1), ("r", -5, 1), ("d", -5, 1),
    ];

    private static string Folder()
    {
        var model = new ProtoWriter();
        foreach (var (piece, score, type) in Pieces)
        {
            var p = new ProtoWriter();
            p.String(1, piece);
            p.Fixed32(2, score);
            p.Varint(3, type);
            model.Message(1, p);
        }

        var trainer = new ProtoWriter();
        trainer.Varint(3, 1); // model_type UNIGRAM
        trainer.Varint(4, Pieces.Length);
        trainer.Varint(40, 3); // unk_id
        trainer.Varint(41, 1); // bos_id = [CLS], as in DeBERTa-v3
        trainer.Varint(42, 2); // eos_id = [SEP]
        trainer.Varint(43, 0); // pad_id
        model.Message(2, trainer);

        var normalizer = new ProtoWriter();
        normalizer.String(1, "identity");
        normalizer.Varint(3, 1); // add_dummy_prefix
        normalizer.Varint(4, 1); // remove_extra_whitespaces
        normalizer.Varint(5, 1); // escape_whitespaces
        model.Message(3, normalizer);

        var dir = TempDirectory.Create("spm");
        File.WriteAllBytes(Path.Combine(dir, "spm.model"), model.ToArray());
        return dir;
    }

    private static int Id(string piece) => Array.FindIndex(Pieces, p => p.Piece == piece);

    [Fact]
    public void Words_become_their_highest_scoring_pieces()
    {
        var tokenizer = ModelTokenizer.Load(Folder());
        Assert.Equal("sentencepiece", tokenizer.Kind);
        // "▁hello" + "▁world" (score -2) beats any split into single letters
        Assert.Equal([Id("\u2581hello"), Id("\u2581world")], tokenizer.EncodeWithoutSpecialTokens("hello world").ToArray());
    }

    [Fact]
    public void A_pair_uses_the_deberta_layout_with_segment_ids()
    {
        var tokenizer = ModelTokenizer.Load(Folder());
        var pair = tokenizer.EncodePair("hello", "world", 32);
        Assert.Equal([Id("[CLS]"), Id("\u2581hello"), Id("[SEP]"), Id("\u2581world"), Id("[SEP]")], pair.Ids);
        Assert.Equal([0, 0, 0, 1, 1], pair.TypeIds!);
        Assert.Equal(Id("[PAD]"), tokenizer.PadId);
    }
}
