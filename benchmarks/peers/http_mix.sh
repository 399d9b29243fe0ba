#!/usr/bin/env bash
# A mixed load on `geoplex serve` with wrk: every connection cycles through the given paths
# (tiles, geocoding, routes, elevation…). Reports the overall throughput and errors from wrk, and
# per endpoint (path without query) the count, status codes and p50/p99/max of the server-side
# latency from the access log ("us": complete request head → last byte written).
#
#   benchmarks/peers/http_mix.sh GEOPLEX_BINARY BUNDLE_DIR PATH [PATH...]
#
# Environment: DURATION (default 30s), CONNECTIONS (64), WRK_THREADS (2), THREADS (server
# threads, 2), PORT (default: a free one). Loopback only; bounded by DURATION.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 GEOPLEX_BINARY BUNDLE_DIR PATH [PATH...]" >&2
  exit 2
fi
BIN=$1
BUNDLE=$2
shift 2
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -f "$BUNDLE/manifest.toml" ] || { echo "not a bundle (no manifest.toml): $BUNDLE" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
DURATION=${DURATION:-30s}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
printf '%s\n' "$@" > "$WORK/paths"

"$BIN" serve "$BUNDLE" --host 127.0.0.1 --port "$PORT" --threads "$THREADS" --access-log "$WORK/access.log" \
  2>"$WORK/server.log" &
SERVER_PID=$!
cleanup() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -fsS "$BASE/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
# Every path must answer 200 before the run (a typo would otherwise measure 404s).
for p in "$@"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$p")
  [ "$code" = 200 ] || { echo "GET $p answered $code, not 200" >&2; exit 1; }
done
: > "$WORK/access.log"

echo "# geoplex serve: $(curl -fsS "$BASE/health")"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cores  load: $(cut -d' ' -f1-3 /proc/loadavg)  server threads=$THREADS  wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION, $# paths"
MIX_PATHS="$WORK/paths" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/http_mix.lua" "$BASE" \
  | grep -E 'Requests/sec|Non-2xx|Socket errors|requests in|99%'
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
python3 - "$WORK/access.log" <<'PY'
import json, sys, collections
per = collections.defaultdict(list)
codes = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    e = json.loads(line)
    path = e["target"].split("?")[0]
    per[path].append(e["us"])
    codes[path][e["status"]] += 1
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]
print(f"{'endpoint':58} {'requests':>9} {'codes':>12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for path in sorted(per):
    v = per[path]
    c = ",".join(f"{k}:{n}" for k, n in sorted(codes[path].items()))
    print(f"{path[:58]:58} {len(v):9} {c:>12} {pct(v,.5)/1000:8.2f} {pct(v,.99)/1000:8.2f} {max(v)/1000:8.2f}")
PY
