#!/usr/bin/env bash
# Writes a catalog of N documents (default 12,000) for the nightly-run benchmark from the TMDB 5000
# movies: the 4,803 originals, then copies with a new id ("<id>-c<k>") and a distinct text (" (copy k)"
# after the title and the overview), so that every document needs its own embedding (the run embeds
# identical texts once) and token lengths stay those of the real overviews. Reads ../shared/data, writes
# outside the repository; needs jq.
#
#   benchmarks/catalog-copies.sh [source.jsonl] [N] [out.jsonl]
set -euo pipefail
src=${1:-../shared/data/tmdb/tmdb_5000_movies.min.jsonl}
n=${2:-12000}
out=${3:-/tmp/tmdb-12k.jsonl}
command -v jq >/dev/null || { echo "catalog-copies: jq is needed (apt-get install jq)" >&2; exit 2; }
[ -f "$src" ] || { echo "catalog-copies: no catalog at $src" >&2; exit 2; }
{
  cat "$src"
  for k in 1 2 3 4 5 6 7 8 9; do
    jq -c --arg k "$k" '.id = "\(.id)-c\($k)" | .title = "\(.title) (copy \($k))" | .overview = "\(.overview // "") (copy \($k))"' "$src"
  done
} | head -n "$n" > "$out" || true  # head closes the pipe early on purpose
echo "catalog-copies: $(wc -l < "$out") documents in $out"
