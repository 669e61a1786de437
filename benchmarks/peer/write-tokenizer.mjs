// Builds the Hugging Face model folder transformers.js expects, from an MLOps model folder
// (model.onnx, vocab.txt, mlops-model.json), without any download:
//   <out>/config.json, tokenizer.json (BERT WordPiece from vocab.txt), tokenizer_config.json,
//   <out>/onnx/model.onnx -> a symlink to the SAME model.onnx the C# service loads.
// usage: node write-tokenizer.mjs <mlops-model-dir> <out-dir>   (run.sh calls it)
import fs from 'node:fs';
import path from 'node:path';

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node write-tokenizer.mjs <mlops-model-dir> <out-dir>');
  process.exit(2);
}

const vocabPath = path.join(src, 'vocab.txt');
const modelPath = path.resolve(src, 'model.onnx');
for (const f of [vocabPath, modelPath]) {
  if (!fs.existsSync(f)) {
    console.error(`missing ${f}`);
    process.exit(2);
  }
}

const manifestPath = path.join(src, 'mlops-model.json');
const manifest = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : {};
const lowercase = manifest.lowercase ?? true;
const maxTokens = manifest.max_tokens ?? 512;

// vocab.txt: one token a line, id = line number (first occurrence wins, as in the C# loader).
const vocab = {};
fs.readFileSync(vocabPath, 'utf8').split('\n').forEach((line, i) => {
  const token = line.replace(/\r$/, '');
  if (token !== '' || i === 0) {
    if (!(token in vocab)) vocab[token] = i;
  }
});
const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
for (const s of special) {
  if (!(s in vocab)) {
    console.error(`vocab.txt lacks ${s}`);
    process.exit(2);
  }
}

const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: special.map((content) => ({
    id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  })),
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
    ],
    pair: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } },
      { SpecialToken: { id: '[SEP]', type_id: 1 } },
    ],
    special_tokens: {
      '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
      '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
    },
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab,
  },
};

const tokenizerConfig = {
  tokenizer_class: 'BertTokenizer',
  do_lower_case: lowercase,
  do_basic_tokenize: true,
  strip_accents: null,
  tokenize_chinese_chars: true,
  model_max_length: maxTokens,
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  mask_token: '[MASK]',
  clean_up_tokenization_spaces: true,
};

// Both built-in models are 6-layer, 384-wide BERT encoders; transformers.js reads model_type.
const config = {
  model_type: 'bert',
  architectures: ['BertModel'],
  hidden_size: 384,
  num_attention_heads: 12,
  num_hidden_layers: 6,
  intermediate_size: 1536,
  max_position_embeddings: 512,
  vocab_size: Object.keys(vocab).length,
  type_vocab_size: 2,
  pad_token_id: vocab['[PAD]'],
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
};

fs.mkdirSync(path.join(out, 'onnx'), { recursive: true });
fs.writeFileSync(path.join(out, 'tokenizer.json'), JSON.stringify(tokenizer));
fs.writeFileSync(path.join(out, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify(config, null, 2));
const link = path.join(out, 'onnx', 'model.onnx');
fs.rmSync(link, { force: true });
fs.symlinkSync(modelPath, link);
console.error(`wrote ${out} (tokenizer.json: ${Object.keys(vocab).length} tokens, lowercase ${lowercase}, max ${maxTokens}; onnx/model.onnx -> ${modelPath})`);
