#!/usr/bin/env bash
# CTest `python_venv_install`: installs the `python` component and imports the installed package
# from a virtualenv (made with --system-site-packages, for Debian's numpy), from a directory far
# from the build tree and with no PYTHONPATH, then synthesises, builds, opens a bundle, samples
# an elevation, routes, reverse-geocodes and renders a tile. Checks that the libgeoplex_*.so loaded are the installed ones, not the build tree's.
#
# The install destination (GEOPLEX_PYTHON_INSTALL_DIR) is fixed at configure time, so the
# component is installed with DESTDIR into a staging folder and its `geoplex` package folder is
# copied into the venv's site-packages: this also proves the installed package is relocatable
# (RUNPATH $ORIGIN). Users install straight into a venv with
#   cmake -B build -DGEOPLEX_PYTHON_INSTALL_DIR="$(venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("platlib"))')"
#   cmake --install build --component python
#
# usage: venv_install_test.sh PYTHON CMAKE BUILD_DIR PYTHON_INSTALL_DIR INSTALL_PREFIX
set -euo pipefail

python=$1 cmake=$2 build=$3 install_dir=$4 prefix=$5
work="$build/python-venv-test"
rm -rf "$work"
mkdir -p "$work/elsewhere"

if ! "$python" -m venv --system-site-packages "$work/venv" >"$work/venv.log" 2>&1; then
  cat "$work/venv.log"
  echo "venv_install_test: '$python -m venv' failed (is python3-venv installed?)" >&2
  exit 1
fi
venv_python="$work/venv/bin/python"
site=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')

case "$install_dir" in
  /*) dest="$install_dir/geoplex" ;;
  *) dest="$prefix/$install_dir/geoplex" ;;
esac
DESTDIR="$work/stage" "$cmake" --install "$build" --component python >"$work/install.log"
staged="$work/stage$dest"
if [ ! -f "$staged/__init__.py" ]; then
  cat "$work/install.log"
  echo "venv_install_test: nothing installed at $staged" >&2
  exit 1
fi
mkdir -p "$site"
cp -a "$staged" "$site/"

cd "$work/elsewhere"
env -u PYTHONPATH GEOPLEX_VENV_SITE="$site" GEOPLEX_WORK="$work" "$venv_python" - <<'PY'
import os
import pathlib
import sys

import numpy as np

import geoplex

site = pathlib.Path(os.environ["GEOPLEX_VENV_SITE"]).resolve()
package = pathlib.Path(geoplex.__file__).resolve().parent
assert package == site / "geoplex", f"imported {package}, expected the venv's {site / 'geoplex'}"
assert sys.prefix != sys.base_prefix, "not running in the venv"

work = pathlib.Path(os.environ["GEOPLEX_WORK"])
summary = geoplex.synth(work / "territory", size="village", seed=3)
geoplex.build(summary["bundle"], work / "bundle", progress=False)
engine = geoplex.open(work / "bundle")
min_lon, min_lat, max_lon, max_lat = summary["bbox"]
z = engine.altitude.elevation(np.array([(min_lon + max_lon) / 2]), np.array([(min_lat + max_lat) / 2]))
nodata = engine.altitude.resources()[0].nodata
assert z.dtype == np.float64 and z.shape == (1,) and np.isfinite(z[0]) and z[0] != nodata, z
# The other components load from the installed package too.
a = (min_lon + 0.3 * (max_lon - min_lon), min_lat + 0.3 * (max_lat - min_lat))
b = (min_lon + 0.7 * (max_lon - min_lon), min_lat + 0.7 * (max_lat - min_lat))
route = engine.routing.route([a, b])
assert route.ok and route.distance > 0, route
assert engine.geocoder.reverse(*a)[0]["label"]
zoom = 14
col = int((a[0] + 180) / 360 * 2**zoom)
row = int((1 - np.arcsinh(np.tan(np.radians(a[1]))) / np.pi) / 2 * 2**zoom)
rgba = engine.tiles.render_array("basemap", zoom, col, row)
assert rgba.shape == (256, 256, 4) and rgba[..., 3].max() == 255

# Every libgeoplex_*.so mapped must come from the installed package, not the build tree.
libs = {line.split()[-1] for line in open("/proc/self/maps") if "libgeoplex_" in line}
assert libs, "no libgeoplex_*.so mapped?"
outside = [lib for lib in libs if pathlib.Path(lib).resolve().parent != package]
assert not outside, f"libraries loaded from outside the installed package: {outside}"
print(f"venv install OK: geoplex {geoplex.__version__} from {package}; elevation {z[0]:.2f} m; libs: {sorted(libs)}")
PY
