#!/usr/bin/env bash
# HTTP serving throughput of `geoplex serve`, measured with wrk (Debian package `wrk`).
#
#   benchmarks/peers/http_wrk.sh GEOPLEX_BINARY BUNDLE_DIR [EXTRA_PATH...]
#
# Starts `geoplex serve BUNDLE_DIR` on 127.0.0.1 (a free port), runs `wrk -t2 -c64 -d10s` on
# /health and on every EXTRA_PATH (e.g. '/altimetrie/1.0/calcul/alti/rest/elevation.json?…', or
# '@FILE' to cycle through the paths listed in FILE, see benchmarks/peers/geocoder_wrk_paths.py),
# prints requests/s and latency percentiles per URL, and stops the server. Loopback only; each
# run is bounded by DURATION (default 10s). Environment: THREADS (server threads, default 2),
# CONNECTIONS (default 64), WRK_THREADS (default 2), DURATION (default 10s), PORT (default: free).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 GEOPLEX_BINARY BUNDLE_DIR [EXTRA_PATH...]" >&2
  exit 2
fi
BIN=$1
BUNDLE=$2
shift 2
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk; see scripts/setup.sh)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "not an executable: $BIN" >&2; exit 1; }
[ -f "$BUNDLE/manifest.toml" ] || { echo "not a bundle (no manifest.toml): $BUNDLE" >&2; exit 1; }

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
DURATION=${DURATION:-10s}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"

LOG=$(mktemp)
"$BIN" serve "$BUNDLE" --host 127.0.0.1 --port "$PORT" --threads "$THREADS" --access-log off 2>"$LOG" &
SERVER_PID=$!
cleanup() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$LOG"
}
trap cleanup EXIT

for _ in $(seq 100); do
  if curl -fsS "$BASE/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "server exited:" >&2; cat "$LOG" >&2; exit 1; fi
  sleep 0.1
done
curl -fsS "$BASE/health" >/dev/null || { echo "server did not come up:" >&2; cat "$LOG" >&2; exit 1; }

echo "# geoplex serve: $(curl -fsS "$BASE/health")"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cores  server threads=$THREADS  wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION"
printf '%-60s %12s %10s %10s %10s %8s\n' url req/s p50 p90 p99 errors
for path in /health "$@"; do
  if [ "${path:0:1}" = "@" ]; then
    # "@FILE": cycle through the request paths listed in FILE (one per line), e.g. many
    # different geocoding queries (benchmarks/peers/paths_wrk.lua).
    out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$(dirname "$0")/paths_wrk.lua" "$BASE" -- "${path:1}")
  else
    out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE$path")
  fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p90=$(awk '$1=="90%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {n+=$NF} /Socket errors:/ {for (i=3;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) n+=$i} END {print n+0}' <<<"$out")
  shown=$path
  [ ${#shown} -gt 60 ] && shown="${shown:0:57}..."
  printf '%-60s %12s %10s %10s %10s %8s\n' "$shown" "$rps" "$p50" "$p90" "$p99" "$errors"
done
