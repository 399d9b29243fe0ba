#!/bin/sh
# Serving cached tiles, same tiles, same run: `geoplex serve` (on-the-fly vector layer, tiles in
# its LRU cache after a warm-up pass) against nginx serving the same tiles as files (exported by
# the directory pyramid container). wrk -c64 on loopback, 10 000 shuffled tile paths picked by
# serve_vs_nginx.lua, Accept-Encoding: gzip (the tiles are stored and served gzip-compressed).
# nginx runs as a private instance: its own config and prefix in a temporary directory, a high
# port, unprivileged workers. Prints req/s, latency percentiles, errors, the CPU time each server
# used per request (utime + stime of its processes around its wrk run) and the ratios.
#   benchmarks/peers/serve_vs_nginx.sh BUILD_DIR [DATA_DIR] [DURATION_S] [THREADS]
# BUILD_DIR: a Release build with the two targets built, e.g.
#   cmake --preset release -B build/rel -DGEOPLEX_BUILD_BENCHMARKS=ON && cmake --build build/rel --target geoplex tiles_bench
# (BENCH=… / GEOPLEX=… override the tiles_bench and geoplex binaries found in BUILD_DIR;
# GPORT / NPORT the ports, 18931 / 18932 by default.)
set -eu
BUILD=${1:?usage: serve_vs_nginx.sh BUILD_DIR [DATA_DIR] [DURATION_S] [THREADS]}
DATA=${2:-${GEOPLEX_TEST_DATA:-$(dirname "$0")/../../../shared/data}}
DURATION=${3:-15}
THREADS=${4:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
IN="$DATA/vector/departements.geojson"
BENCH=${BENCH:-$(find "$BUILD" -name tiles_bench -type f -perm -u+x | head -1)}
GEOPLEX=${GEOPLEX:-$(find "$BUILD" -name geoplex -type f -perm -u+x | head -1)}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$BENCH" ] || { echo "no tiles_bench in $BUILD (build the tiles_bench target, or set BENCH=)" >&2; exit 2; }
[ -x "$GEOPLEX" ] || { echo "no geoplex in $BUILD (build the geoplex target, or set GEOPLEX=)" >&2; exit 2; }
GPORT=${GPORT:-18931}
NPORT=${NPORT:-18932}
TMP=$(mktemp -d)
GPID=""
cleanup() {
  [ -n "$GPID" ] && kill "$GPID" 2>/dev/null || true
  [ -f "$TMP/nginx/nginx.pid" ] && kill "$(cat "$TMP/nginx/nginx.pid")" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# 1. The tiles: every tile z0..z12 of departements.geojson as files (gzip MVT).
"$BENCH" export "$IN" 12 "$TMP/www/tiles/departements" 2 >/dev/null
(cd "$TMP/www" && find tiles -name '*.pbf') | /usr/bin/python3 -c '
import random, sys
paths = sorted("/" + l.strip() for l in sys.stdin if l.strip())
random.Random(6).shuffle(paths)
print("\n".join(paths[:10000]))' > "$TMP/paths.txt"
echo "tile paths: $(wc -l < "$TMP/paths.txt") (of $(find "$TMP/www" -name '*.pbf' | wc -l) non-empty tiles z0-z12)"

# 2. geoplex serve: a bundle with the same layer rendered on the fly, cache warmed by one pass.
cat > "$TMP/spec.toml" <<EOF
name = "serve-bench"
[tiles]
[[tiles.vector]]
id = "departements"
path = "$IN"
max_zoom = 12
EOF
"$GEOPLEX" build "$TMP/spec.toml" -o "$TMP/bundle" -q
"$GEOPLEX" serve "$TMP/bundle" --host 127.0.0.1 --port "$GPORT" --threads "$THREADS" --access-log off >"$TMP/geoplex.log" 2>&1 &
GPID=$!

# 3. nginx: private instance, the files of step 1.
mkdir -p "$TMP/nginx/logs"
cat > "$TMP/nginx/nginx.conf" <<EOF
worker_processes $THREADS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  open_file_cache max=20000 inactive=60s;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  types { application/x-protobuf pbf; }
  server {
    listen 127.0.0.1:$NPORT;
    root $TMP/www;
    location /tiles/ { add_header Content-Encoding gzip; add_header Cache-Control "public, max-age=86400"; }
  }
}
EOF
chmod -R a+rX "$TMP"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  # Unprivileged: the whole instance (master and workers) runs as nobody.
  chown -R nobody "$TMP/nginx"
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
else
  "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
fi

# Both servers up, every path answers 200 with the same bytes; this pass also fills geoplex's cache.
/usr/bin/python3 - "$TMP/paths.txt" "$GPORT" "$NPORT" <<'PY'
import http.client, sys, time
paths = open(sys.argv[1]).read().split()
conns = {}
for port in sys.argv[2:]:
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30); c.request("GET", "/health"); c.getresponse().read(); break
        except OSError:
            time.sleep(0.2)
    conns[port] = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
diff = 0
for p in paths:
    bodies = []
    for port, c in conns.items():
        c.request("GET", p, headers={"Accept-Encoding": "gzip"})
        r = c.getresponse(); b = r.read()
        if r.status != 200: sys.exit(f"{p} on port {port}: HTTP {r.status}")
        bodies.append(b)
    diff += bodies[0] != bodies[1]
print(f"warm-up: {len(paths)} paths, 200 from both, {diff} bodies differ")
PY

# CPU seconds used by a server (utime + stime of every process: geoplex's threads, nginx's master
# and workers) around each wrk run: the per-request cost, which a loaded machine does not hide.
TCK=$(getconf CLK_TCK)
server_ticks() {  # pids… → utime + stime, clock ticks
  t=0
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
run_wrk() {  # $1 = port, $2 = name, then the server's pids
  port=$1; name=$2; shift 2
  before=$(server_ticks "$@")
  wrk -t"$THREADS" -c64 -d"${DURATION}s" --latency -s "$HERE/serve_vs_nginx.lua" "http://127.0.0.1:$port" -- "$TMP/paths.txt" > "$TMP/wrk-$name.txt"
  echo "server_cpu_s: $(( $(server_ticks "$@") - before )) $TCK" >> "$TMP/wrk-$name.txt"
}
NMASTER=$(cat "$TMP/nginx/nginx.pid")
echo "uptime: $(uptime)"
run_wrk "$GPORT" geoplex "$GPID"
run_wrk "$NPORT" nginx "$NMASTER" $(pgrep -P "$NMASTER")
echo "--- geoplex serve ($THREADS threads)"; cat "$TMP/wrk-geoplex.txt"
echo "--- nginx ($THREADS workers)"; cat "$TMP/wrk-nginx.txt"
/usr/bin/python3 - "$TMP/wrk-geoplex.txt" "$TMP/wrk-nginx.txt" <<'PY'
import re, sys
def parse(f):
    t = open(f).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
        v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    requests = int(re.search(r"(\d+) requests in", t).group(1))
    ticks, hz = re.search(r"server_cpu_s: (-?\d+) (\d+)", t).groups()
    cpu_us = int(ticks) / int(hz) * 1e6 / max(requests, 1)
    return rps, ms("50"), ms("99"), errors, cpu_us
g, n = parse(sys.argv[1]), parse(sys.argv[2])
for name, (rps, p50, p99, err, cpu) in (("geoplex serve", g), ("nginx", n)):
    print(f"{name}: {rps:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, errors {err}, server CPU {cpu:.1f} us/request")
print(f"ratio geoplex / nginx (req/s): {g[0] / n[0]:.2f}")
print(f"ratio geoplex / nginx (server CPU per request): {g[4] / n[4]:.2f}")
ok = g[0] >= 20000 and g[2] <= 10 and g[3] == 0
print(f"target (>= 20000 req/s, p99 <= 10 ms, no errors): {'met' if ok else 'NOT met'}")
PY
