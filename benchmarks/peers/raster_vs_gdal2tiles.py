#!/usr/bin/python3
"""Raster pyramid, same input, same run: geoplex (tiles_bench raster → PMTiles, 2 threads) against
gdal2tiles.py --processes=2 (GDAL 3.6, PNG files, --xyz), both bilinear, then PSNR of sampled
tiles of each against a gdalwarp rendering of the same tile bounds. Prints the ratio.

The input is the SRTM tile N43E007 (1201×1201, Alpes-Maritimes/Monaco) turned into an RGB GeoTIFF
by gdaldem color-relief (not timed): a real raster of a realistic size for a 2-core machine.

  benchmarks/peers/raster_vs_gdal2tiles.py BUILD_DIR [DATA_DIR] [ZMAX]
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "unit", "tiles"))
import pmtiles_reader  # noqa: E402  (the independent PMTiles reader of the tests)

gdal.UseExceptions()


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def rgba(data):
    name = "/vsimem/t%d.png" % random.randrange(1 << 30)
    gdal.FileFromMemBuffer(name, data)
    ds = gdal.Open(name)
    a = ds.ReadAsArray()
    ds = None
    gdal.Unlink(name)
    if a.shape[0] == 3:
        a = np.concatenate([a, np.full((1,) + a.shape[1:], 255, a.dtype)])
    return a.astype(np.float64)


def psnr(a, b):
    mask = (a[3] == 255) & (b[3] == 255)
    if mask.sum() == 0:
        return None
    mse = np.mean([(a[c][mask] - b[c][mask]) ** 2 for c in range(3)])
    return 99.0 if mse == 0 else 10 * np.log10(255 * 255 / mse)


def merc_bounds(z, x, y):
    half = 20037508.342789244
    span = 2 * half / (1 << z)
    return -half + x * span, half - (y + 1) * span, -half + (x + 1) * span, half - y * span


def main():
    build = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("GEOPLEX_TEST_DATA", os.path.join(HERE, "../../../shared/data"))
    zmax = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    bench = next(os.path.join(d, f) for d, _, fs in os.walk(build) for f in fs if f == "tiles_bench")
    tmp = tempfile.mkdtemp()
    try:
        ramp = os.path.join(tmp, "ramp.txt")
        with open(ramp, "w") as f:
            f.write("0 70 120 200\n1 87 160 73\n500 230 220 130\n1000 200 160 90\n2000 150 110 80\n2500 240 240 240\nnv 0 0 0 0\n")
        src = os.path.join(tmp, "relief.tif")
        run(["gdaldem", "color-relief", "-q", "-alpha", os.path.join(data, "dem/N43E007.hgt"), ramp, src, "-co", "TILED=YES"])

        t0 = time.time()
        out = subprocess.run([bench, "raster", src, "0", str(zmax), os.path.join(tmp, "g.pmtiles"), "2"], check=True,
                             capture_output=True, text=True).stdout
        t1 = time.time()
        run(["gdal2tiles.py", "--processes=2", "-q", "-z", "0-%d" % zmax, "-r", "bilinear", "-w", "none", "--xyz", src,
             os.path.join(tmp, "g2t")])
        t2 = time.time()
        ours = pmtiles_reader.read_tiles(os.path.join(tmp, "g.pmtiles"))
        g2t_count = sum(1 for d, _, fs in os.walk(os.path.join(tmp, "g2t")) for f in fs if f.endswith(".png"))

        # PSNR against gdalwarp on sampled tiles of the two deepest levels.
        random.seed(1)
        sample = random.sample([k for k in ours if k[0] >= zmax - 1], min(30, len(ours)))
        p_ours, p_g2t = [], []
        for z, x, y in sample:
            ref = os.path.join(tmp, "ref.tif")
            b = merc_bounds(z, x, y)
            run(["gdalwarp", "-q", "-overwrite", "-t_srs", "EPSG:3857", "-te", *map(repr, b), "-ts", "256", "256",
                 "-r", "bilinear", src, ref])
            r = gdal.Open(ref).ReadAsArray().astype(np.float64)
            v = psnr(rgba(ours[(z, x, y)]), r)
            if v is not None:
                p_ours.append(v)
            g = os.path.join(tmp, "g2t", str(z), str(x), "%d.png" % y)
            if os.path.exists(g):
                v = psnr(rgba(open(g, "rb").read()), r)
                if v is not None:
                    p_g2t.append(v)
        print(out.strip())
        print(json.dumps({"tool": "gdal2tiles.py --processes=2", "tiles": g2t_count, "total_s": round(t2 - t1, 4)}))
        print("input: gdaldem color-relief of dem/N43E007.hgt (1201x1201, EPSG:4326), zooms 0-%d, bilinear" % zmax)
        print("geoplex: %d tiles in %.2f s; gdal2tiles: %d tiles in %.2f s" % (len(ours), t1 - t0, g2t_count, t2 - t1))
        print("ratio gdal2tiles / geoplex (wall): %.2fx" % ((t2 - t1) / (t1 - t0)))
        print("PSNR vs gdalwarp over %d sampled tiles: geoplex min %.1f dB median %.1f dB; gdal2tiles min %.1f dB median %.1f dB"
              % (len(p_ours), min(p_ours), float(np.median(p_ours)), min(p_g2t) if p_g2t else float("nan"),
                 float(np.median(p_g2t)) if p_g2t else float("nan")))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
