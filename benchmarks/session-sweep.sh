#!/usr/bin/env bash
# The ONNX Runtime session options, measured: `bench embed` of the fp32 and the int8 version under
# each setting (one process per measurement, model load not timed), interleaved per round in a
# rotating order; median docs/s per cell and the ratio to the service's default of the same model.
# usage: benchmarks/session-sweep.sh ; env: LIMIT (300), BATCH (32), ROUNDS (2), MODEL (all-MiniLM-L6-v2),
#        DATA (TMDB jsonl), REGISTRY (model folder)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
LIMIT="${LIMIT:-300}"; BATCH="${BATCH:-32}"; ROUNDS="${ROUNDS:-2}"; MODEL="${MODEL:-all-MiniLM-L6-v2}"
DATA="${DATA:-$repo/../shared/data/tmdb/tmdb_5000_movies.min.jsonl}"
REGISTRY="${REGISTRY:-$repo/MLOps.Web/data/bench-models}"
[ -f "$DATA" ] || { echo "$0: no TMDB data at $DATA (set DATA)" >&2; exit 66; }
dotnet build "$repo/MLOps.Web" -c Release --nologo -v q >&2
app=(dotnet "$repo/MLOps.Web/bin/Release/net10.0/MLOps.Web.dll")

names=("default" "intra-op threads 1" "spinning on" "optimisation Basic" "optimisation Extended" "optimisation Disabled"
       "memory pattern off" "CPU arena off" "Parallel, 2 inter-op threads")
flags=("" "--threads 1" "--spinning on" "--optimization basic" "--optimization extended" "--optimization disabled"
       "--memory-pattern off" "--arena off" "--execution parallel --inter-op 2")
models=("$MODEL@1" "$MODEL-int8@1")
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A got
load_before="$(uptime | sed 's/.*load average: //')"
n=${#names[@]}
for round in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $((n - 1))); do
    i=$(( (k + round) % n ))
    for m in "${models[@]}"; do
      # shellcheck disable=SC2086
      v=$("${app[@]}" bench embed --data "$DATA" --limit "$LIMIT" --registry "$REGISTRY" --model "$m" --batches "$BATCH" --bucketing on ${flags[$i]} \
        | awk -F'|' '$3 ~ /on/ { gsub(/ /, "", $4); print $4 }')
      got["$i,$m"]="${got["$i,$m"]:-} $v"
      echo "round $round, ${names[$i]}, $m: $v docs/s" >&2
    done
  done
done

echo "### Session options: $LIMIT TMDB overviews, batch $BATCH, bucketing on, $ROUNDS round(s), median docs/s (x the default of the same model)"
echo
echo "| setting | ${models[0]} | ${models[1]} |"
echo "|---|---:|---:|"
d0=$(echo "${got["0,${models[0]}"]}" | median); d1=$(echo "${got["0,${models[1]}"]}" | median)
for i in $(seq 0 $((n - 1))); do
  a=$(echo "${got["$i,${models[0]}"]}" | median); b=$(echo "${got["$i,${models[1]}"]}" | median)
  awk -v s="${names[$i]}" -v a="$a" -v b="$b" -v d0="$d0" -v d1="$d1" 'BEGIN { printf "| %s | %.1f (%.2fx) | %.1f (%.2fx) |\n", s, a, a / d0, b, b / d1 }'
done
echo
echo "default = the service's: intra-op threads = CPU count ($(nproc)), spinning off, optimisation All, Sequential, memory pattern and CPU arena on"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); load before: $load_before; after: $(uptime | sed 's/.*load average: //')"
