#!/usr/bin/python3
"""Independent reference for geoplex's altitude sampling (docs/altitude.md, "Sampling").

Reads the raster with GDAL (osgeo.gdal), transforms WGS84 points with osgeo.osr, and samples
with numpy following the documented rule, without any geoplex code:

  * pixel-is-area: pixel coordinates (px, py) come from the inverse GDAL geotransform;
  * a point is covered when 0 <= px < width, 0 <= py < height and the containing pixel
    (floor(px), floor(py)) is not nodata;
  * nearest  = value of the containing pixel;
  * bilinear = weights of the 4 pixel centres around the point (centres at +0.5), indices
    clamped to the raster, nodata neighbours dropped and the remaining weights renormalised.

usage: numpy_reference.py RASTER POINTS_CSV OUT_CSV [--crs EPSG:xxxx] [--band N]
POINTS_CSV: "lon,lat" per line. OUT_CSV: "nearest,bilinear" per line, "nan" where uncovered.
"""
import argparse
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raster")
    ap.add_argument("points")
    ap.add_argument("out")
    ap.add_argument("--crs", default="")
    ap.add_argument("--band", type=int, default=1)
    a = ap.parse_args()

    ds = gdal.Open(a.raster)
    band = ds.GetRasterBand(a.band)
    arr = band.ReadAsArray().astype(np.float64)
    nodata = band.GetNoDataValue()
    valid = np.ones(arr.shape, dtype=bool)
    if nodata is not None:
        valid &= arr != np.float64(np.float32(nodata))
    valid &= ~np.isnan(arr)
    h, w = arr.shape

    pts = np.loadtxt(a.points, delimiter=",", ndmin=2)
    lon, lat = pts[:, 0].copy(), pts[:, 1].copy()

    target = osr.SpatialReference()
    if a.crs:
        target.SetFromUserInput(a.crs)
    else:
        target.ImportFromWkt(ds.GetProjection())
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    if target.IsGeographic() and target.IsSameGeogCS(wgs84):
        x, y = lon, lat
    else:
        ct = osr.CoordinateTransformation(wgs84, target)
        out = np.array(ct.TransformPoints(np.column_stack([lon, lat])))
        x, y = out[:, 0], out[:, 1]

    gt = ds.GetGeoTransform()
    inv = gdal.InvGeoTransform(gt)
    px = inv[0] + x * inv[1] + y * inv[2]
    py = inv[3] + x * inv[4] + y * inv[5]

    inside = (px >= 0) & (py >= 0) & (px < w) & (py < h)
    c = np.where(inside, np.floor(px), 0).astype(np.int64)
    r = np.where(inside, np.floor(py), 0).astype(np.int64)
    covered = inside & valid[r, c]
    nearest = np.where(covered, arr[r, c], np.nan)

    fx_all = px - 0.5
    fy_all = py - 0.5
    x0 = np.floor(fx_all)
    y0 = np.floor(fy_all)
    fx = fx_all - x0
    fy = fy_all - y0
    x0 = np.where(inside, x0, 0).astype(np.int64)
    y0 = np.where(inside, y0, 0).astype(np.int64)
    cx0 = np.clip(x0, 0, w - 1)
    cx1 = np.clip(x0 + 1, 0, w - 1)
    cy0 = np.clip(y0, 0, h - 1)
    cy1 = np.clip(y0 + 1, 0, h - 1)
    acc = np.zeros_like(px)
    wsum = np.zeros_like(px)
    for cc, rr, ww in ((cx0, cy0, (1 - fx) * (1 - fy)), (cx1, cy0, fx * (1 - fy)),
                       (cx0, cy1, (1 - fx) * fy), (cx1, cy1, fx * fy)):
        ok = valid[rr, cc]
        acc += np.where(ok, ww * arr[rr, cc], 0.0)
        wsum += np.where(ok, ww, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        bilinear = np.where(covered, acc / wsum, np.nan)

    with open(a.out, "w") as f:
        for n, b in zip(nearest, bilinear):
            f.write(f"{float(n)!r},{float(b)!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
