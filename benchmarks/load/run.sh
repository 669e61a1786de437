#!/usr/bin/env bash
# Bounded load run on loopback only (issue 12): the built app on its embedded defaults with the real
# built-in model and the sample catalog, then wrk for DURATION seconds (default 60) at CLIENTS
# connections (default 16), mixed (mixed.lua) and classify-only (classify.lua). Prints req/s,
# p50/p99 latency, non-2xx answers and the process RSS before, during (peak of 1 s samples) and
# after each run, as a markdown table for docs/benchmarks.md. Installs wrk (Debian) when missing.
# Rate limits are off for the capacity runs (RateLimits__Enabled=false: one loopback client would
# otherwise be limited); LIMITED=1 adds a classify run with the default limits to show the 429s.
# RUNS="mixed classify" (the default) picks the workloads.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-60}
CLIENTS=${CLIENTS:-16}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

dotnet build MLOps.Web/MLOps.Web.csproj -c Release -nologo -v q >/dev/null
app=MLOps.Web/bin/Release/net10.0/MLOps.Web.dll
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d)
log=$(mktemp)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

start_app() {
  Storage__DataDirectory="$data" ASPNETCORE_URLS="http://127.0.0.1:$port" Logging__LogLevel__Default=Warning \
  RateLimits__Enabled="$1" Reclassification__RunAtStartup=false \
    dotnet "$app" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.5
  done
  echo "the app was not ready in 120 s" >&2; cat "$log" >&2; exit 1
}

rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

# run NAME SCRIPT: one wrk run with RSS sampled every second; prints a table row.
run() {
  local name=$1 script=$2 before peak=0 out
  curl -fs -X POST "http://127.0.0.1:$port/api/classify" -H 'content-type: application/json' \
    -d '{"sequence":"warm up","labels":["a","b"]}' >/dev/null
  before=$(rss_mib)
  ( while kill -0 "$pid" 2>/dev/null; do rss_mib; echo; sleep 1; done ) >"$data/rss.txt" 2>/dev/null &
  local sampler=$!
  out=$(wrk -t"$THREADS" -c"$CLIENTS" -d"${DURATION}s" --latency -s "benchmarks/load/$script" "http://127.0.0.1:$port")
  kill "$sampler" 2>/dev/null || true
  peak=$(sort -n "$data/rss.txt" | tail -n 1)
  sleep 10
  local after rps p50 p99 non2xx
  after=$(rss_mib)
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses/ { print $5 }' <<<"$out"); non2xx=${non2xx:-0}
  echo "| $name | $CLIENTS | ${DURATION} s | $rps | $p50 | $p99 | $non2xx | $before | $peak | $after |"
}

echo "load $(uptime | sed 's/.*load average: //'), $(nproc) CPUs, $(lscpu | grep -o 'avx2\|avx512_vnni\|amx_tile' | sort -u | tr '\n' ' ')"
echo "| run | clients | duration | req/s | p50 | p99 | non-2xx | RSS before (MiB) | RSS peak during | RSS 10 s after |"
echo "|---|---|---|---|---|---|---|---|---|---|"
start_app false
for r in ${RUNS:-mixed classify}; do
  case $r in
    mixed) run "mixed" mixed.lua ;;
    classify) run "classify only" classify.lua ;;
  esac
done
if [ "${LIMITED:-0}" = "1" ]; then
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  start_app true
  run "classify only, default rate limits" classify.lua
  curl -fs "http://127.0.0.1:$port/metrics" | grep '^mlops_rate_limit_rejected' || true
fi
