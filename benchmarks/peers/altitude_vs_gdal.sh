#!/usr/bin/env bash
# Altitude peer benchmark: geoplex vs gdallocationinfo (and the numpy reference) on the same
# seeded points, in the same run, with a check that geoplex's nearest values equal GDAL's.
#
#   benchmarks/peers/altitude_vs_gdal.sh [BENCH_BINARY] [N_POINTS]
#
# BENCH_BINARY defaults to build/release/bin/altitude_bench (then build/*/bin/altitude_bench);
# N_POINTS defaults to 1000000. Needs GEOPLEX_TEST_DATA (../shared/data), gdal-bin and
# /usr/bin/python3 with python3-gdal and python3-numpy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench="${1:-}"
n="${2:-1000000}"
if [[ -z "$bench" ]]; then
  for candidate in "$root/build/release/bin/altitude_bench" "$root"/build/*/bin/altitude_bench; do
    if [[ -x "$candidate" ]]; then bench="$candidate"; break; fi
  done
fi
[[ -x "$bench" ]] || { echo "altitude_bench not found; build it or pass its path" >&2; exit 2; }
data="${GEOPLEX_TEST_DATA:?set GEOPLEX_TEST_DATA to the shared data folder}"
hgt="$data/dem/N43E007.hgt"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Same seeded points for every tool: uniform over the tile plus a 5% margin (some misses).
/usr/bin/python3 - "$n" "$tmp/points.txt" <<'EOF'
import sys
import numpy as np
n, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(42)
lon = rng.uniform(6.95, 8.05, n)
lat = rng.uniform(42.95, 44.05, n)
np.savetxt(out, np.column_stack([lon, lat]), fmt="%.10f")
EOF
tr ' ' ',' < "$tmp/points.txt" > "$tmp/points.csv"

now() { date +%s.%N; }

echo "# machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores), $(date -u +%Y-%m-%dT%H:%MZ), $n points"

# geoplex: the bench reads the points file; per-sample times are per thread (CPU time).
"$bench" --data "$data" --points-file "$tmp/points.txt" --threads 1 --dump-nearest "$tmp/geoplex.txt" \
  | tee "$tmp/geoplex.json" | grep -E '"points/embed/(nearest|bilinear)"|"points/reference/(nearest|bilinear)"'

t0=$(now)
gdallocationinfo -valonly -wgs84 "$hgt" < "$tmp/points.txt" > "$tmp/gdal.txt" 2>/dev/null
t1=$(now)

t2=$(now)
/usr/bin/python3 "$root/tests/unit/altitude/numpy_reference.py" "$hgt" "$tmp/points.csv" "$tmp/numpy.csv"
t3=$(now)

/usr/bin/python3 - "$tmp" "$n" "$t0" "$t1" "$t2" "$t3" <<'EOF'
import json, math, sys
tmp, n = sys.argv[1], int(sys.argv[2])
t_gdal = float(sys.argv[4]) - float(sys.argv[3])
t_numpy = float(sys.argv[6]) - float(sys.argv[5])
ours = [float(l) for l in open(f"{tmp}/geoplex.txt")]
gdal = [l.strip() for l in open(f"{tmp}/gdal.txt")]
mism = 0
for o, g in zip(ours, gdal):
    expect = -99999.0 if g == "" or float(g) == -32768 else float(g)
    if o != expect:
        mism += 1
if len(ours) != len(gdal):
    mism += abs(len(ours) - len(gdal))
bench = {}
for line in open(f"{tmp}/geoplex.json"):
    j = json.loads(line)
    bench[j["bench"]] = j
near = bench["points/embed/nearest"]["ns_per_sample_per_thread"] * 1e-9 * n
bil = bench["points/embed/bilinear"]["ns_per_sample_per_thread"] * 1e-9 * n
print(json.dumps({"peer": "gdallocationinfo -valonly -wgs84", "points": n, "seconds": round(t_gdal, 3),
                  "ns_per_point": round(t_gdal / n * 1e9, 1)}))
print(json.dumps({"peer": "numpy_reference.py (GDAL read + osr + numpy nearest and bilinear, whole script)",
                  "points": n, "seconds": round(t_numpy, 3), "ns_per_point": round(t_numpy / n * 1e9, 1)}))
print(json.dumps({"ratio": "gdallocationinfo / geoplex embed nearest", "value": round(t_gdal / near, 1)}))
print(json.dumps({"ratio": "numpy script / geoplex embed bilinear", "value": round(t_numpy / bil, 1)}))
print(json.dumps({"check": "geoplex nearest == gdallocationinfo", "mismatches": mism}))
sys.exit(1 if mism else 0)
EOF
