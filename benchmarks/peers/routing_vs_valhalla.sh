#!/usr/bin/env bash
# geoplex routing vs Valhalla on the same PBF and the same OD pairs, in the same run.
#   benchmarks/peers/routing_vs_valhalla.sh [PBF] [BUILD_DIR] [PAIRS]
# PBF defaults to $GEOPLEX_TEST_DATA/osm/andorra.osm.pbf; BUILD_DIR to build/h-route-rel (a
# Release build with the routing_bench target built). Needs `npm ci` in benchmarks/peers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pbf="${1:-${GEOPLEX_TEST_DATA:?set GEOPLEX_TEST_DATA or pass a PBF}/osm/andorra.osm.pbf}"
build="${2:-$root/build/h-route-rel}"
pairs="${3:-2000}"
work="$(mktemp -d /tmp/geoplex-vs-valhalla.XXXXXX)"
trap 'rm -rf "$work"' EXIT
[ -d "$here/node_modules/@valhallajs/valhallajs" ] || (cd "$here" && npm ci --no-audit --no-fund)
vbin="$here/node_modules/@valhallajs/valhallajs/linux/x64"
timing() { /usr/bin/time -f '%e %M' "$@" 2> "$work/time.txt" > "$work/out.txt" || { cat "$work/out.txt" "$work/time.txt" >&2; exit 1; }; }

echo "== geoplex ($pbf)" >&2
timing "$build/bin/routing_bench" --pbf "$pbf" --pairs "$pairs" --work "$work/geoplex" --pairs-out "$work/pairs.csv"
cp "$work/out.txt" "$work/geoplex.json"
geoplex_rss_kib=$(awk '{print $2}' "$work/time.txt")

echo "== valhalla: tiles" >&2
mkdir -p "$work/valhalla"
(cd "$work/valhalla" && node "$here/node_modules/@valhallajs/valhallajs/bin/valhalla-cli.js" build_config \
   --mjolnir-tile-dir "$work/valhalla/tiles" --mjolnir-tile-extract "$work/valhalla/tiles.tar" \
   --mjolnir-timezone "" --mjolnir-admin "" > "$work/valhalla/config.json")
# Valhalla caps matrices at 2 500 location pairs by default: allow the 100 × 100 of the benchmark.
python3 - "$work/valhalla/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for costing in ("auto", "pedestrian"):
    c["service_limits"][costing]["max_matrix_location_pairs"] = 10000
    c["service_limits"][costing]["max_matrix_distance"] = 1e7
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
/usr/bin/time -f '%e %M' "$vbin/valhalla_build_tiles" -c "$work/valhalla/config.json" "$pbf" \
  > "$work/valhalla/build.log" 2> "$work/valhalla/time.txt" || { tail -20 "$work/valhalla/build.log" "$work/valhalla/time.txt" >&2; exit 1; }
valhalla_build=$(tail -1 "$work/valhalla/time.txt" | awk '{print $1}')
valhalla_rss_kib=$(tail -1 "$work/valhalla/time.txt" | awk '{print $2}')
# Route from the tile directory (the .tar extract is optional).
echo "== valhalla: queries" >&2
(cd "$here" && node routing_vs_valhalla.mjs "$work/valhalla/config.json" "$work/pairs.csv" "$work/valhalla.json" auto) > "$work/valhalla/query.log"

python3 - "$work/geoplex.json" "$work/valhalla.json" "$geoplex_rss_kib" "$valhalla_build" "$valhalla_rss_kib" <<'PY'
import json, sys
g = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2]))
out = {
  "geoplex": g, "valhalla": v,
  "geoplex_process_peak_rss_mib": int(sys.argv[3]) / 1024,
  "valhalla_build_tiles_s": float(sys.argv[4]), "valhalla_build_peak_rss_mib": int(sys.argv[5]) / 1024,
  "ratio_route_summary_p50": v["route_summary_us"]["p50"] / g["route_summary_us"]["p50"],
  "ratio_route_full_p50": v["route_full_us"]["p50"] / g["route_full_json_us"]["p50"],
  "ratio_matrix_median": v["matrix_100x100_ms"]["median"] / g["matrix_100x100_ms"]["median"],
}
print(json.dumps(out, indent=1))
PY
