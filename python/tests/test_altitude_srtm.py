"""Altitude on real SRTM data (dem/N43E007.hgt), against independent GDAL/numpy references.

Reference rules (include/geoplex/altitude/altitude.hpp, docs/altitude.md): pixel-is-area with
GDAL's geotransform;
  nearest : the containing pixel, floor of the pixel coordinates (what gdallocationinfo reads);
  bilinear: the 4 pixel centres (at +0.5) around the point, indices clamped at the raster
            border; nodata neighbours dropped and the weights of the valid ones renormalised;
  a point outside the raster or whose containing pixel is nodata gets the resource nodata.
"""

import json
import math
import threading

import numpy as np
import pytest
from osgeo import gdal

import geoplex

gdal.UseExceptions()

N = 10_000


@pytest.fixture(scope="module")
def dem(srtm_hgt):
    ds = gdal.Open(str(srtm_hgt))
    band = ds.GetRasterBand(1)
    return {
        "grid": band.ReadAsArray().astype(np.float64),
        "gt": ds.GetGeoTransform(),
        "nodata": band.GetNoDataValue(),
    }


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(20261121)
    return rng.uniform(7.0, 8.0, N), rng.uniform(43.0, 44.0, N)


@pytest.fixture(scope="module")
def alti(srtm_engine):
    return srtm_engine.altitude


def pixel_coords(dem, lon, lat):
    gt = dem["gt"]
    return (lon - gt[0]) / gt[1], (lat - gt[3]) / gt[5]


def reference_nearest(dem, lon, lat, out_nodata):
    grid, nd = dem["grid"], dem["nodata"]
    h, w = grid.shape
    px, py = pixel_coords(dem, lon, lat)
    inside = (px >= 0) & (py >= 0) & (px < w) & (py < h)
    col = np.clip(np.floor(px), 0, w - 1).astype(np.int64)
    row = np.clip(np.floor(py), 0, h - 1).astype(np.int64)
    z = grid[row, col]
    covered = inside & (z != nd)
    return np.where(covered, z, out_nodata)


def reference_bilinear(dem, lon, lat, out_nodata):
    grid, nd = dem["grid"], dem["nodata"]
    h, w = grid.shape
    px, py = pixel_coords(dem, lon, lat)
    centre = reference_nearest(dem, lon, lat, out_nodata)
    x, y = px - 0.5, py - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    c0 = np.clip(x0, 0, w - 1).astype(np.int64)
    c1 = np.clip(x0 + 1, 0, w - 1).astype(np.int64)
    r0 = np.clip(y0, 0, h - 1).astype(np.int64)
    r1 = np.clip(y0 + 1, 0, h - 1).astype(np.int64)
    acc = np.zeros_like(lon)
    wsum = np.zeros_like(lon)
    for rows, cols, weight in (
        (r0, c0, (1 - fx) * (1 - fy)),
        (r0, c1, fx * (1 - fy)),
        (r1, c0, (1 - fx) * fy),
        (r1, c1, fx * fy),
    ):
        v = grid[rows, cols]
        valid = v != nd
        acc += np.where(valid, weight * v, 0.0)
        wsum += np.where(valid, weight, 0.0)
    covered = centre != out_nodata
    return np.where(covered, acc / np.where(wsum > 0, wsum, 1.0), out_nodata)


def test_resource_description(alti, dem):
    (res,) = alti.resources()
    assert res.id == "srtm" and res.title == "SRTM"
    src = res.sources[0]
    assert (src.width, src.height) == dem["grid"].shape[::-1]
    np.testing.assert_allclose(src.geotransform, dem["gt"], rtol=0, atol=1e-12)
    min_lon, min_lat, max_lon, max_lat = res.bbox
    assert min_lon == pytest.approx(7.0 - 1 / 2400) and max_lat == pytest.approx(44.0 + 1 / 2400)
    assert res.to_dict()["sources"][0]["storage"] == "embed"


def test_nearest_equals_gdal(alti, dem, points):
    lon, lat = points
    nodata = alti.resources()[0].nodata
    z = alti.elevation(lon, lat, interpolation="nearest")
    assert z.dtype == np.float64 and z.shape == (N,)
    expected = reference_nearest(dem, lon, lat, nodata)
    assert np.count_nonzero(expected != nodata) > N * 0.99  # the test really compares heights
    assert np.count_nonzero(expected > 0) > N // 5  # and not only the sea (0 m)
    np.testing.assert_array_equal(z, expected)


def test_bilinear_equals_numpy(alti, dem, points):
    lon, lat = points
    nodata = alti.resources()[0].nodata
    z = alti.elevation(lon, lat)  # bilinear is the default
    assert z.dtype == np.float64 and z.shape == (N,)
    expected = reference_bilinear(dem, lon, lat, nodata)
    np.testing.assert_allclose(z, expected, rtol=0, atol=1e-4)
    # bilinear is not nearest: on land (about a third of the tile; the rest is sea at 0 m) most
    # points differ
    nearest = alti.elevation(lon, lat, interpolation="nearest")
    land = nearest > 0
    assert np.count_nonzero(land) > N // 5
    assert np.count_nonzero(z[land] != nearest[land]) > 0.9 * np.count_nonzero(land)


def test_bilinear_at_raster_edges(alti, dem):
    # Points in the outer half pixel, where clamping matters, and the four corners.
    gt = dem["gt"]
    eps = 1e-9
    lon = np.array([gt[0] + eps, 7.5, 8.0 + 1 / 2400 - eps, 7.25, gt[0] + eps, 8.0 + 1 / 2400 - eps])
    lat = np.array([43.5, gt[3] - eps, 43.25, 43.0 - 1 / 2400 + eps, gt[3] - eps, 43.0 - 1 / 2400 + eps])
    nodata = alti.resources()[0].nodata
    np.testing.assert_allclose(alti.elevation(lon, lat), reference_bilinear(dem, lon, lat, nodata), rtol=0, atol=1e-4)


def test_outside_gets_nodata(alti):
    z = alti.elevation([6.5, 7.5, 8.5, np.nan], [43.5, 45.0, 43.5, 43.5])
    assert np.all(z == alti.resources()[0].nodata)
    z = alti.elevation([6.5, 7.5], [43.5, 43.5], nodata=np.nan)
    assert np.isnan(z[0]) and not np.isnan(z[1])


def test_input_kinds(alti, points):
    lon, lat = points[0][:100], points[1][:100]
    ref = alti.elevation(lon, lat)
    # lists
    np.testing.assert_array_equal(alti.elevation(lon.tolist(), lat.tolist()), ref)
    # non-contiguous views
    both = np.column_stack([lon, lat])
    np.testing.assert_array_equal(alti.elevation(both[:, 0], both[:, 1]), ref)
    # float32 input: same as float64 of the same float32 values
    lon32, lat32 = lon.astype(np.float32), lat.astype(np.float32)
    np.testing.assert_array_equal(
        alti.elevation(lon32, lat32), alti.elevation(lon32.astype(np.float64), lat32.astype(np.float64))
    )
    # scalars and empty input
    assert alti.elevation(lon[0], lat[0]).shape == (1,)
    assert alti.elevation(lon[0], lat[0])[0] == ref[0]
    assert alti.elevation([], []).shape == (0,)
    # pandas Series
    import pandas as pd

    np.testing.assert_array_equal(alti.elevation(pd.Series(lon), pd.Series(lat)), ref)
    # explicit resource
    np.testing.assert_array_equal(alti.elevation(lon, lat, resource="srtm"), ref)


def test_measures(alti, points):
    lon, lat = points[0][:50], points[1][:50]
    values = alti.measures(lon, lat, interpolation="nearest")
    assert values.shape == (50, 1) and values.dtype == np.float64
    np.testing.assert_array_equal(values[:, 0], alti.elevation(lon, lat, interpolation="nearest"))


def test_threads_share_one_altimetry(alti, points):
    lon, lat = points
    expected = alti.elevation(lon, lat)
    results = [None] * 4

    def work(i):
        results[i] = alti.elevation(lon, lat)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


def haversine(lon1, lat1, lon2, lat2):
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def profile(alti):
    # Nice → Monaco over the hills, 3 vertices.
    return alti.elevation_line([7.26, 7.33, 7.42], [43.70, 43.75, 43.73], sampling=200)


def test_elevation_line_shapes(profile):
    assert len(profile) == 200
    for name in ("lon", "lat", "z", "distance"):
        arr = getattr(profile, name)
        assert arr.dtype == np.float64 and arr.shape == (200,), name
    assert profile.source.shape == (200,)
    assert isinstance(profile.positive, float) and isinstance(profile.negative, float)
    assert profile.lon[0] == pytest.approx(7.26) and profile.lat[-1] == pytest.approx(43.73)


def test_elevation_line_equal_spacing(profile):
    steps = np.diff(profile.distance)
    assert profile.distance[0] == 0.0
    np.testing.assert_allclose(steps, profile.distance[-1] / 199, rtol=1e-6)
    expected_length = haversine(7.26, 43.70, 7.33, 43.75) + haversine(7.33, 43.75, 7.42, 43.73)
    assert profile.distance[-1] == pytest.approx(expected_length, rel=5e-3)


def test_elevation_line_height_differences(profile):
    z = profile.z[profile.z != profile.nodata]
    d = np.diff(z)
    assert profile.positive == pytest.approx(d[d > 0].sum(), abs=1e-6)
    assert profile.negative == pytest.approx(-d[d < 0].sum(), abs=1e-6)
    assert profile.positive > 100 and profile.negative > 100  # it does go over the hills


def test_elevation_line_samples_the_dem(alti, profile):
    np.testing.assert_array_equal(profile.z, alti.elevation(profile.lon, profile.lat))


def test_elevation_line_default_sampling(alti):
    line = alti.elevation_line([7.26, 7.33, 7.42], [43.70, 43.75, 43.73])
    assert len(line) == 3  # the number of vertices, as the Géoplateforme


def test_elevation_line_geojson(profile):
    feature = profile.to_geojson()
    text = json.dumps(feature)  # plain JSON types only
    assert json.loads(text) == feature
    assert feature["type"] == "Feature"
    geometry = feature["geometry"]
    assert geometry["type"] == "LineString"
    coords = np.array(geometry["coordinates"])
    assert coords.shape == (200, 3)
    np.testing.assert_array_equal(coords[:, 2], profile.z)
    props = feature["properties"]
    assert props["height_differences"] == {"positive": profile.positive, "negative": profile.negative}
    from shapely.geometry import shape

    geom = shape(geometry)
    assert geom.has_z and geom.is_valid and len(geom.coords) == 200


def test_elevation_line_dataframe_and_shapely(profile):
    df = profile.to_dataframe()
    assert list(df.columns) == ["lon", "lat", "z", "distance"]
    assert len(df) == 200
    np.testing.assert_array_equal(df["z"].to_numpy(), profile.z)
    line = profile.to_shapely()
    assert line.has_z and len(line.coords) == 200


def test_points_feature_collection(alti):
    lon, lat = [7.3, 7.4], [43.7, 43.75]
    z = alti.elevation(lon, lat)
    fc = geoplex.points_feature_collection(lon, lat, z, properties={"id": np.array([1, 2])})
    assert json.loads(json.dumps(fc)) == fc
    assert [f["geometry"]["coordinates"][2] for f in fc["features"]] == z.tolist()
    assert fc["features"][1]["properties"] == {"id": 2}
    with pytest.raises(ValueError):
        geoplex.points_feature_collection(lon, lat, z[:1])


def test_elevation_line_include_vertices(alti):
    lon, lat = [7.26, 7.33, 7.42], [43.70, 43.75, 43.73]
    line = alti.elevation_line(lon, lat, sampling=10, include_vertices=True)
    assert len(line) >= 10
    assert np.all(np.diff(line.distance) >= 0)
    # the middle vertex is among the samples (the ends already were)
    assert np.any(np.isclose(line.lon, 7.33, atol=1e-12) & np.isclose(line.lat, 43.75, atol=1e-12))
    np.testing.assert_array_equal(line.z, alti.elevation(line.lon, line.lat))
