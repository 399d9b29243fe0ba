#!/usr/bin/env bash
# geoplex isochrones vs Valhalla on the same PBF and the same seeded points, in the same run.
#   benchmarks/peers/isochrone_vs_valhalla.sh [PBF] [BUILD_DIR] [POINTS] [MINUTES]
# PBF defaults to $GEOPLEX_TEST_DATA/osm/andorra.osm.pbf; BUILD_DIR to build/h-iso-rel (a Release
# build with the isochrone_bench target built). Needs `npm ci` in benchmarks/peers.
# Prints geoplex's and Valhalla's p50/p99 (car, one contour, polygon included), the ratio, and
# both engines' polygon quality on the same road points (isochrone_bench --quality-of).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pbf="${1:-${GEOPLEX_TEST_DATA:?set GEOPLEX_TEST_DATA or pass a PBF}/osm/andorra.osm.pbf}"
build="${2:-$root/build/h-iso-rel}"
points="${3:-50}"
minutes="${4:-15}"
work="$(mktemp -d /tmp/geoplex-iso-vs-valhalla.XXXXXX)"
trap 'rm -rf "$work"' EXIT
[ -d "$here/node_modules/@valhallajs/valhallajs" ] || (cd "$here" && npm ci --no-audit --no-fund)
vbin="$here/node_modules/@valhallajs/valhallajs/linux/x64"

echo "== geoplex ($pbf)" >&2
"$build/bin/isochrone_bench" --pbf "$pbf" --points "$points" --minutes "$minutes" --work "$work/geoplex" \
  --points-out "$work/points.csv" > "$work/geoplex.json"

echo "== valhalla: tiles" >&2
mkdir -p "$work/valhalla"
(cd "$work/valhalla" && node "$here/node_modules/@valhallajs/valhallajs/bin/valhalla-cli.js" build_config \
   --mjolnir-tile-dir "$work/valhalla/tiles" --mjolnir-tile-extract "$work/valhalla/tiles.tar" \
   --mjolnir-timezone "" --mjolnir-admin "" > "$work/valhalla/config.json")
"$vbin/valhalla_build_tiles" -c "$work/valhalla/config.json" "$pbf" > "$work/valhalla/build.log" 2>&1 \
  || { tail -20 "$work/valhalla/build.log" >&2; exit 1; }
echo "== valhalla: isochrones" >&2
(cd "$here" && node isochrone_vs_valhalla.mjs "$work/valhalla/config.json" "$work/points.csv" "$minutes" \
   "$work/valhalla.json" "$work/valhalla-polygons.json") > "$work/valhalla/query.log"
echo "== quality of Valhalla's polygons on geoplex's exact road point costs" >&2
"$build/bin/isochrone_bench" --pbf "$pbf" --points "$points" --minutes "$minutes" --work "$work/quality" \
  --quality-of "$work/valhalla-polygons.json" > "$work/valhalla-quality.json"

python3 - "$work/geoplex.json" "$work/valhalla.json" "$work/valhalla-quality.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2])); q = json.load(open(sys.argv[3]))
v["quality"] = q
print(json.dumps({"geoplex": g, "valhalla": v,
                  "ratio_p50": v["isochrone_ms"]["p50"] / g["isochrone_with_polygon_ms"]["p50"],
                  "ratio_p99": v["isochrone_ms"]["p99"] / g["isochrone_with_polygon_ms"]["p99"]}, indent=1))
PY
