// The peer: transformers.js feature-extraction (mean pooling + normalize, fp32, CPU) over the first N
// TMDB overviews at each batch size, from a local model folder only (no network). Length bucketing
// as the service's InferenceBatcher does it: texts sorted by token count before batches are cut.
// stdout: one line per batch size, "docs_per_s <batch> <value>"; everything else goes to stderr.
// usage: node embed.mjs --models <root> --model <name> --data <tmdb.jsonl> [--limit 1000]
//        [--batches 1,8,32] [--sort on|off] [--threads 0]
import fs from 'node:fs';
import os from 'node:os';
import { env, pipeline } from '@huggingface/transformers';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
for (const required of ['models', 'model', 'data']) {
  if (!args[required]) {
    console.error(`embed.mjs: --${required} is required`);
    process.exit(2);
  }
}
const limit = Number(args.limit ?? 1000);
const batches = (args.batches ?? '1,8,32').split(',').map(Number);
const sort = (args.sort ?? 'on') === 'on';
const threads = Number(args.threads ?? 0);

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = args.models;

// The same texts as `bench embed`: the first N non-blank overviews.
const texts = [];
for (const line of fs.readFileSync(args.data, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const o = JSON.parse(line).overview;
  if (typeof o === 'string' && o.trim() !== '') texts.push(o);
  if (texts.length >= limit) break;
}

const sessionOptions = threads > 0 ? { intraOpNumThreads: threads } : {};
const extractor = await pipeline('feature-extraction', args.model, { dtype: 'fp32', device: 'cpu', session_options: sessionOptions });

let order = texts.map((_, i) => i);
if (sort) {
  const lengths = texts.map((t) => extractor.tokenizer(t, { truncation: true }).input_ids.dims.at(-1));
  order = order.sort((a, b) => lengths[a] - lengths[b] || a - b);
}
const ordered = order.map((i) => texts[i]);

const embed = async (list, batch) => {
  let n = 0;
  for (let s = 0; s < list.length; s += batch) {
    const t = await extractor(list.slice(s, s + batch), { pooling: 'mean', normalize: true });
    n += t.dims[0];
  }
  return n;
};

await embed(ordered.slice(0, 16), 8); // warm-up, as bench embed does
const version = (p) => {
  try {
    return JSON.parse(fs.readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '?';
  }
};
console.error(`peer: transformers.js ${version('@huggingface/transformers')} + onnxruntime-node ${version('onnxruntime-node')}, `
  + `${threads > 0 ? `${threads} intra-op threads` : 'default session options'}, bucketing ${sort ? 'on' : 'off'}, node ${process.version}, `
  + `${texts.length} overviews, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const batch of batches) {
  const t0 = process.hrtime.bigint();
  const n = await embed(ordered, batch);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (n !== texts.length) throw new Error(`embedded ${n} of ${texts.length} texts`);
  console.log(`docs_per_s ${batch} ${(texts.length / s).toFixed(1)}`);
}
