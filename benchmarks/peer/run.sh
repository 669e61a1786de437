#!/usr/bin/env bash
# Sets up the peer (transformers.js from the npm registry, once) and the model folder it reads:
# tokenizer.json (from vocab.txt), tokenizer_config.json (pad/unk/cls/sep/mask tokens, or batching
# fails), config.json, and onnx/model.onnx as a symlink to the very file the service loads. Then,
# unless SETUP_ONLY=1, runs the peer once and prints "docs_per_s <batch> <value>" lines.
# usage: benchmarks/peer/run.sh <model-folder>   (e.g. data/bench-models/all-MiniLM-L6-v2/1)
# env: DATA (TMDB jsonl), LIMIT (1000), BATCHES (1,8,32), THREADS (0 = onnxruntime-node's default), SORT (on)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 <model-folder with model.onnx, vocab.txt, mlops-model.json>" >&2; exit 2; }
model_dir="$(cd "$1" && pwd)"
name="$(basename "$(dirname "$model_dir")")"
command -v node >/dev/null || { echo "$0: node (>= 20) is needed: apt-get install nodejs npm" >&2; exit 2; }

if [ ! -d "$here/node_modules/@huggingface/transformers" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error >&2)
fi

node "$here/write-tokenizer.mjs" "$model_dir" "$here/.models/$name"
[ "${SETUP_ONLY:-0}" = 1 ] && exit 0
data="${DATA:-$here/../../../shared/data/tmdb/tmdb_5000_movies.min.jsonl}"
node "$here/embed.mjs" --models "$here/.models/" --model "$name" --data "$data" \
  --limit "${LIMIT:-1000}" --batches "${BATCHES:-1,8,32}" --sort "${SORT:-on}" --threads "${THREADS:-0}"
