using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace MLOps.Web.Infrastructure.Onnx;

/// <summary>Token ids ready for a transformer: special tokens included, segment ids when the model uses them.</summary>
public readonly record struct EncodedText(int[] Ids, int[]? TypeIds)
{
    public int Length => Ids.Length;
}

/// <summary>A model folder cannot be used; the message says why (e.g. which file is missing).</summary>
public sealed class ModelPackageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Wraps a Microsoft.ML.Tokenizers tokenizer with the special-token layout of its model family:
/// BERT and DeBERTa <c>[CLS] a [SEP] b [SEP]</c> with segment ids, RoBERTa/BART
/// <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>. Pairs truncate only the first text (the premise).
/// Thread-safe.
/// </summary>
public sealed partial class ModelTokenizer
{
    private readonly Func<string, int, IReadOnlyList<int>> _encode;
    private readonly int _bos;
    private readonly int _eos;
    private readonly int[] _pairMiddle;
    private readonly bool _segments;

    private ModelTokenizer(string kind, Func<string, int, IReadOnlyList<int>> encode, int bos, int eos, int pad, int[] pairMiddle, bool segments)
    {
        Kind = kind;
        // Truncation is token-level, as in Hugging Face (a word may be cut between its pieces): the
        // library is asked for some tokens more than needed, since it stops at word boundaries.
        _encode = (text, max) =>
        {
            if (max == int.MaxValue)
            {
                return encode(text, max);
            }

            var ids = encode(text, max > int.MaxValue - 128 ? int.MaxValue : max + 128);
            return ids.Count <= max ? ids : ids.Take(max).ToArray();
        };
        _bos = bos;
        _eos = eos;
        PadId = pad;
        _pairMiddle = pairMiddle;
        _segments = segments;
    }

    /// <summary><c>wordpiece</c>, <c>bpe</c> or <c>sentencepiece</c>.</summary>
    public string Kind { get; }

    public int PadId { get; }

    /// <summary>Ids of <paramref name="text"/> without special tokens, at most <paramref name="maxTokens"/>.</summary>
    public IReadOnlyList<int> EncodeWithoutSpecialTokens(string text, int maxTokens = int.MaxValue) => _encode(text, maxTokens);

    /// <summary>One text with special tokens, truncated to <paramref name="maxTokens"/> in all.</summary>
    public EncodedText Encode(string text, int maxTokens)
    {
        var body = _encode(text, Math.Max(1, maxTokens - 2));
        var ids = new int[body.Count + 2];
        ids[0] = _bos;
        for (var i = 0; i < body.Count; i++)
        {
            ids[i + 1] = body[i];
        }

        ids[^1] = _eos;
        return new EncodedText(ids, _segments ? new int[ids.Length] : null);
    }

    /// <summary>
    /// A (premise, hypothesis) pair, as the Hugging Face zero-shot pipeline builds it with
    /// <c>truncation="only_first"</c>: the premise is cut to fit, the hypothesis is kept whole.
    /// </summary>
    public EncodedText EncodePair(string first, string second, int maxTokens) =>
        EncodePair(_encode(first, maxTokens), _encode(second, int.MaxValue), maxTokens);

    /// <summary>
    /// A pair from already tokenised texts (no special tokens), so that a premise scored against many
    /// hypotheses is tokenised once. The premise is cut to what the window leaves.
    /// </summary>
    public EncodedText EncodePair(IReadOnlyList<int> first, IReadOnlyList<int> second, int maxTokens)
    {
        var b = second;
        var specials = 3 + _pairMiddle.Length;
        var budget = maxTokens - specials - b.Count;
        if (budget < 1)
        {
            // A hypothesis longer than the model's window: keep one premise token and cut the hypothesis.
            b = b.Take(Math.Max(1, maxTokens - specials - 1)).ToArray();
            budget = 1;
        }

        var a = first.Count <= budget ? first : first.Take(budget).ToArray();
        var ids = new int[a.Count + b.Count + specials];
        var p = 0;
        ids[p++] = _bos;
        foreach (var id in a)
        {
            ids[p++] = id;
        }

        ids[p++] = _eos;
        foreach (var id in _pairMiddle)
        {
            ids[p++] = id;
        }

        var secondStart = p;
        foreach (var id in b)
        {
            ids[p++] = id;
        }

        ids[p] = _eos;
        int[]? types = null;
        if (_segments)
        {
            types = new int[ids.Length];
            types.AsSpan(secondStart).Fill(1);
        }

        return new EncodedText(ids, types);
    }

    /// <summary>
    /// The tokenizer a model folder asks for: <paramref name="preferred"/> when the manifest names one,
    /// else the first of <c>vocab.txt</c> (WordPiece), <c>vocab.json</c> + <c>merges.txt</c> (byte-level
    /// BPE), <c>spm.model</c> (SentencePiece) found. A missing file is named in the exception.
    /// </summary>
    public static ModelTokenizer Load(string directory, string? preferred = null, bool? lowercase = null)
    {
        string P(string f) => Path.Combine(directory, f);
        var kind = preferred?.ToLowerInvariant() switch
        {
            null or "" => File.Exists(P("vocab.txt")) ? "wordpiece"
                : File.Exists(P("vocab.json")) || File.Exists(P("merges.txt")) ? "bpe"
                : File.Exists(P("spm.model")) || File.Exists(P("sentencepiece.bpe.model")) ? "sentencepiece"
                : throw new ModelPackageException(
                    "Missing tokenizer file: the folder needs vocab.txt (WordPiece), vocab.json + merges.txt (BPE) or spm.model (SentencePiece)."),
            "wordpiece" or "bert" => "wordpiece",
            "bpe" or "roberta" or "bart" => "bpe",
            "sentencepiece" or "spm" or "deberta" => "sentencepiece",
            var other => throw new ModelPackageException($"Unknown tokenizer '{other}' in mlops-model.json; use wordpiece, bpe or sentencepiece."),
        };

        return kind switch
        {
            "wordpiece" => LoadWordPiece(Require(directory, "vocab.txt"), lowercase ?? true),
            "bpe" => LoadBpe(Require(directory, "vocab.json"), Require(directory, "merges.txt")),
            _ => LoadSentencePiece(File.Exists(P("spm.model")) ? P("spm.model")
                : File.Exists(P("sentencepiece.bpe.model")) ? P("sentencepiece.bpe.model")
                : Require(directory, "spm.model")),
        };
    }

    private static string Require(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        return File.Exists(path) ? path : throw new ModelPackageException($"Missing tokenizer file '{file}' in {directory}.");
    }

    /// <summary>
    /// WordPiece (the library's) behind BERT's own basic tokenisation (<see cref="BertBasicNormalizer"/>,
    /// <see cref="BertBasicPreTokenizer"/>): the library's BertTokenizer drops emoji and other symbols,
    /// where BERT maps them to [UNK] or their vocabulary entry.
    /// </summary>
    private static ModelTokenizer LoadWordPiece(string vocab, bool lowercase)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var n = 0;
        foreach (var line in File.ReadLines(vocab))
        {
            ids.TryAdd(line.TrimEnd('\r'), n++);
        }

        int Special(string token) => ids.TryGetValue(token, out var id) ? id
            : throw new ModelPackageException($"vocab.txt lacks the special token {token}.");

        var tok = WordPieceTokenizer.Create(vocab, new WordPieceOptions
        {
            Normalizer = new BertBasicNormalizer(lowercase),
            PreTokenizer = new BertBasicPreTokenizer(),
            UnknownToken = "[UNK]",
        });
        return new ModelTokenizer(
            "wordpiece",
            (text, max) => tok.EncodeToIds(text, max, out _, out _),
            Special("[CLS]"),
            Special("[SEP]"),
            Special("[PAD]"),
            [],
            segments: true);
    }

    private static ModelTokenizer LoadBpe(string vocab, string merges)
    {
        Dictionary<string, int> ids;
        using (var s = File.OpenRead(vocab))
        {
            ids = JsonSerializer.Deserialize<Dictionary<string, int>>(s)
                ?? throw new ModelPackageException("vocab.json is empty.");
        }

        int Special(params string[] names) =>
            names.Select(n => ids.TryGetValue(n, out var id) ? id : -1).FirstOrDefault(id => id >= 0, -1) is var found and >= 0
                ? found
                : throw new ModelPackageException($"vocab.json lacks the special token {names[0]}.");

        // RoBERTa/BART: GPT-2 byte-level BPE with <s>/</s>/<unk> and GPT-2's pre-tokenisation regex.
        BpeTokenizer tok;
        try
        {
            tok = BpeTokenizer.Create(new BpeOptions(vocab, merges)
            {
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(Gpt2PreTokenizer(), null),
                UnknownToken = ids.ContainsKey("<unk>") ? "<unk>" : null,
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or JsonException or FormatException)
        {
            throw new ModelPackageException($"vocab.json / merges.txt cannot be used: {e.Message}", e);
        }

        var eos = Special("</s>", "<|endoftext|>");
        return new ModelTokenizer(
            "bpe",
            (text, max) => tok.EncodeToIds(text, max, out _, out _),
            Special("<s>", "<|endoftext|>"),
            eos,
            ids.TryGetValue("<pad>", out var pad) ? pad : eos,
            [eos],
            segments: false);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial System.Text.RegularExpressions.Regex Gpt2PreTokenizer();

    private static ModelTokenizer LoadSentencePiece(string model)
    {
        SentencePieceTokenizer tok;
        try
        {
            using var s = File.OpenRead(model);
            tok = SentencePieceTokenizer.Create(s, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new ModelPackageException($"{Path.GetFileName(model)} cannot be used: {e.Message}", e);
        }

        var vocab = tok.Vocabulary;
        int Special(params string[] names) =>
            names.Select(n => vocab.TryGetValue(n, out var id) ? id : -1).FirstOrDefault(id => id >= 0, -1) is var found and >= 0
                ? found
                : throw new ModelPackageException($"The SentencePiece model lacks the special token {names[0]}.");

        return new ModelTokenizer(
            "sentencepiece",
            (text, max) => tok.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false, max, out _, out _),
            Special("[CLS]", "<s>"),
            Special("[SEP]", "</s>"),
            Special("[PAD]", "<pad>"),
            [],
            segments: true);
    }
}
