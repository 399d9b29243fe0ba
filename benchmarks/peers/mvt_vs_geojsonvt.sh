#!/bin/sh
# Vector tiles, same input, same run: every tile z0..ZMAX over the bounds of departements.geojson,
# cut and encoded as uncompressed MVT by
#   geoplex           (benchmarks/tiles_bench mvt, 1 thread and 2 threads)
#   geojson-vt+vt-pbf (npm, node 20; one thread as JavaScript runs)
#   ogr2ogr -f MVT    (GDAL 3.6, its own tiling; writes files, so it also pays for the disk)
# and prints the ratios. Times include reading the GeoJSON and building the index.
#   benchmarks/peers/mvt_vs_geojsonvt.sh BUILD_DIR [DATA_DIR] [ZMAX]
set -eu
BUILD=${1:?usage: mvt_vs_geojsonvt.sh BUILD_DIR [DATA_DIR] [ZMAX]}
DATA=${2:-${GEOPLEX_TEST_DATA:-$(dirname "$0")/../../../shared/data}}
ZMAX=${3:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
IN="$DATA/vector/departements.geojson"
BENCH=$(find "$BUILD" -name tiles_bench -type f -perm -u+x | head -1)
[ -d "$HERE/node_modules/geojson-vt" ] || (cd "$HERE" && npm install --no-audit --no-fund >/dev/null)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

G1=$("$BENCH" mvt "$IN" "$ZMAX" 1)
G2=$("$BENCH" mvt "$IN" "$ZMAX" 2)
JS=$(node "$HERE/mvt_vs_geojsonvt.mjs" "$IN" "$ZMAX")
T0=$(date +%s.%N)
ogr2ogr -q -f MVT "$TMP/ogr" "$IN" -dsco MINZOOM=0 -dsco MAXZOOM="$ZMAX" -dsco COMPRESS=NO -dsco MAX_SIZE=2000000 \
        -dsco MAX_FEATURES=200000 -dsco EXTENT=4096 -dsco BUFFER=64 -nln departements
T1=$(date +%s.%N)
OGR_TILES=$(find "$TMP/ogr" -name '*.pbf' | wc -l)
echo "$G1"
echo "$G2"
echo "$JS"
echo "{\"tool\":\"ogr2ogr -f MVT\",\"nonempty\":$OGR_TILES,\"total_s\":$(echo "$T1 - $T0" | bc)}"
/usr/bin/python3 - "$G1" "$G2" "$JS" "$T0" "$T1" <<'PY'
import json, sys
g1, g2, js = (json.loads(a) for a in sys.argv[1:4])
ogr = float(sys.argv[5]) - float(sys.argv[4])
print(f"tiles: geoplex {g1['nonempty']} non-empty of {g1['tiles']}, geojson-vt {js['nonempty']} non-empty of {js['tiles']}")
print(f"geoplex 1 thread: {g1['total_s']:.2f} s (cpu {g1['cpu_s']:.2f} s); 2 threads: {g2['total_s']:.2f} s")
print(f"geojson-vt+vt-pbf: {js['total_s']:.2f} s (cpu {js['cpu_s']:.2f} s); ogr2ogr -f MVT: {ogr:.2f} s")
print(f"ratio geojson-vt / geoplex (1 thread, wall): {js['total_s'] / g1['total_s']:.2f}x; cpu: {js['cpu_s'] / g1['cpu_s']:.2f}x")
print(f"ratio geojson-vt / geoplex (2 threads, wall): {js['total_s'] / g2['total_s']:.2f}x")
print(f"ratio ogr2ogr / geoplex (2 threads, wall): {ogr / g2['total_s']:.2f}x")
PY
