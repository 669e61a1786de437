#!/usr/bin/env bash
# The project's test command (README). Installs and starts what the tests need on a fresh
# Debian machine: redis-server (integration tests) and chromium (browser tests), then runs
# every test. Safe to run again: installs are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A free port for this run's redis-server; the tests read REDIS_TEST_SERVER (host:port) and
# REDIS_SERVER_PATH (to start and stop extra servers for restart tests).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 16379)
workdir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" --daemonize yes --pidfile "$workdir/redis.pid" >/dev/null
cleanup() { [ -f "$workdir/redis.pid" ] && kill "$(cat "$workdir/redis.pid")" 2>/dev/null || true; rm -rf "$workdir"; }
trap cleanup EXIT
for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export REDIS_TEST_SERVER="127.0.0.1:$port"
export REDIS_SERVER_PATH="$(command -v redis-server)"
export CHROMIUM_PATH="$(command -v chromium || true)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results=$(mktemp -d)
status=0
dotnet test MLOps.slnx -c Release --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" "$@" || status=$?

# One plain summary line ("N passed, N failed, N skipped") from the TRX counters.
trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -n "$trx" ]; then
  python3 - "$trx" <<'PY' || true
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<Counters [^>]*>', t)
if m:
    c = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
    total, executed = int(c.get('total', 0)), int(c.get('executed', 0))
    print(f"Tests: {c.get('passed', 0)} passed, {int(c.get('failed', 0)) + int(c.get('error', 0))} failed, {total - executed} skipped")
PY
fi
exit $status
