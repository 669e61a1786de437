#!/usr/bin/env bash
# ONE command, ONE table: docs/s per batch size for the peer (transformers.js on onnxruntime-node,
# fp32, its default session and with intra-op threads = CPU count), the project's fp32 and the
# project's int8 (`bench embed`, length bucketing on), over the same first N TMDB overviews and the
# same model.onnx (int8 = the service's quantized copy of it). Every measurement is its own
# process (start-up and model load are not timed), interleaved per round and batch size in a
# rotating order, so all configurations see the same machine load; cells are medians over rounds.
# No network at run time (the first run installs transformers.js from the npm registry).
# usage: benchmarks/peer/compare.sh
# env: LIMIT (1000), BATCHES (1,8,32), ROUNDS (1), MODEL (all-MiniLM-L6-v2), SPINNING (off|on, project),
#      WORKERS (project inference workers; empty = the service default, 2), THREADS (project intra-op
#      threads per worker; empty = CPU count / workers), DATA (TMDB jsonl), REGISTRY (model folder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
LIMIT="${LIMIT:-1000}"; BATCHES="${BATCHES:-1,8,32}"; ROUNDS="${ROUNDS:-1}"; MODEL="${MODEL:-all-MiniLM-L6-v2}"
SPINNING="${SPINNING:-off}"; THREADS="${THREADS:-}"; WORKERS="${WORKERS:-}"
DATA="${DATA:-$repo/../shared/data/tmdb/tmdb_5000_movies.min.jsonl}"
REGISTRY="${REGISTRY:-$repo/MLOps.Web/data/bench-models}"
[ -f "$DATA" ] || { echo "$0: no TMDB data at $DATA (set DATA)" >&2; exit 66; }
CPUS="$(nproc)"

dotnet build "$repo/MLOps.Web" -c Release --nologo -v q >&2
app=(dotnet "$repo/MLOps.Web/bin/Release/net10.0/MLOps.Web.dll")
# The registry: the built-in model and its int8 copy, written (or sha-checked) by any bench verb.
"${app[@]}" bench tokens --data "$DATA" --limit 1 --registry "$REGISTRY" --model "$MODEL@1" >/dev/null
SETUP_ONLY=1 "$here/run.sh" "$REGISTRY/$MODEL/1" 2>/dev/null

project() { # model id, batch -> docs/s
  "${app[@]}" bench embed --data "$DATA" --limit "$LIMIT" --registry "$REGISTRY" --model "$1" --batches "$2" \
    --bucketing on --spinning "$SPINNING" ${THREADS:+--threads "$THREADS"} ${WORKERS:+--workers "$WORKERS"} | awk -F'|' -v b="$2" '$2+0 == b && $3 ~ /on/ { gsub(/ /, "", $4); print $4 }'
}
peer() { # threads (0 = default), batch -> docs/s
  node "$here/embed.mjs" --models "$here/.models/" --model "$MODEL" --data "$DATA" --limit "$LIMIT" --batches "$2" --threads "$1" 2>/dev/null \
    | awk '$1 == "docs_per_s" { print $3 }'
}
measure() { # config, batch
  case "$1" in
    peer) peer 0 "$2" ;;
    peer-n) peer "$CPUS" "$2" ;;
    fp32) project "$MODEL@1" "$2" ;;
    int8) project "$MODEL-int8@1" "$2" ;;
  esac
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

configs=(peer peer-n fp32 int8)
declare -A got
load_before="$(uptime)"
started=$(date -u +%FT%TZ)
for round in $(seq 1 "$ROUNDS"); do
  for batch in ${BATCHES//,/ }; do
    for i in 0 1 2 3; do
      c="${configs[$(( (i + round + batch) % 4 ))]}"
      v="$(measure "$c" "$batch")"
      got["$c,$batch"]="${got["$c,$batch"]:-} $v"
      echo "round $round batch $batch $c: $v docs/s" >&2
    done
  done
done

echo "### Peer vs project, $LIMIT TMDB overviews, $MODEL (same model.onnx; int8 = its quantized copy), $ROUNDS round(s), median docs/s"
echo
echo "| batch | peer (default session) | peer ($CPUS threads) | project fp32 | project int8 | fp32 / peer best | int8 / peer best | int8 / fp32 |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
best_peer=0; best_project=0
for batch in ${BATCHES//,/ }; do
  p1=$(echo "${got["peer,$batch"]}" | median); p2=$(echo "${got["peer-n,$batch"]}" | median)
  f=$(echo "${got["fp32,$batch"]}" | median); q=$(echo "${got["int8,$batch"]}" | median)
  awk -v b="$batch" -v p1="$p1" -v p2="$p2" -v f="$f" -v q="$q" 'BEGIN { p = (p1 > p2 ? p1 : p2);
    printf "| %d | %.1f | %.1f | %.1f | %.1f | %.2fx | %.2fx | %.2fx |\n", b, p1, p2, f, q, f / p, q / p, q / f }'
  best_peer=$(awk -v a="$best_peer" -v b="$p1" -v c="$p2" 'BEGIN { m = a; if (b > m) m = b; if (c > m) m = c; print m }')
  best_project=$(awk -v a="$best_project" -v b="$f" -v c="$q" 'BEGIN { m = a; if (b > m) m = b; if (c > m) m = c; print m }')
done
echo
awk -v p="$best_peer" -v q="$best_project" 'BEGIN { printf "best project %.1f docs/s / best peer %.1f docs/s = %.2fx (target: 3x)\n", q, p, q / p }'
echo "project: $("${app[@]}" bench embed --data "$DATA" --limit 1 --registry "$REGISTRY" --model "$MODEL@1" --batches 1 --bucketing on --spinning "$SPINNING" ${THREADS:+--threads "$THREADS"} ${WORKERS:+--workers "$WORKERS"} | head -1 | sed 's/.*CPUs, //')"
echo "$(node "$here/embed.mjs" --models "$here/.models/" --model "$MODEL" --data "$DATA" --limit 1 --batches 1 2>&1 >/dev/null | sed 's/, 1 overviews.*//')"
flags="$(lscpu | grep -ow -E 'avx2|avx512f|avx512bw|avx512_vnni|avx512_bf16|avx_vnni|amx_tile|amx_int8|amx_bf16' | sort -u | tr '\n' ' ')"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $CPUS CPUs; lscpu flags: ${flags}(AMX: $(case "$flags" in *amx*) echo yes ;; *) echo no ;; esac))"
echo "started $started; load before: ${load_before##*load average: }; after: $(uptime | sed 's/.*load average: //')"
