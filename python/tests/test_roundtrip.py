"""synth → build → open on a tiny synthetic territory, checked against GDAL reading the DEM."""

import json
import logging

import numpy as np
import pytest
from osgeo import gdal

import geoplex

gdal.UseExceptions()


def test_synth_summary(village):
    s = village["summary"]
    assert s["name"] == "synthetic-village-seed-1"
    assert 900 <= s["nodes"] <= 1100  # "village" is ~1 000 road nodes, ±10 %
    for key in ("roads", "addresses_csv", "dem", "layers", "basemap", "bundle"):
        assert s[key] is not None and s[key].is_file(), key
    min_lon, min_lat, max_lon, max_lat = s["bbox"]
    assert min_lon < max_lon and min_lat < max_lat
    assert "synthetic-village-seed-1" in s["report"]


def test_synth_is_deterministic(village, tmp_path):
    again = geoplex.synth(tmp_path, size="village", seed=1)
    first = village["summary"]
    for key in ("nodes", "ways", "addresses", "communes", "dem_width", "dem_height"):
        assert again[key] == first[key], key
    assert again["dem"].read_bytes() == first["dem"].read_bytes()


def test_build_reports_progress(village):
    calls = village["progress_calls"]
    assert calls, "the progress callable was never called"
    for task, done, total in calls:
        assert isinstance(task, str) and task
        assert total == 0 or 0 <= done <= total
    last_task, done, total = calls[-1]
    assert done == total


def test_open_round_trip(village):
    engine = geoplex.open(village["bundle"])
    assert engine.manifest.name == village["summary"]["name"]
    assert "altitude" in engine.manifest.components
    assert engine.manifest.to_dict()["components"] == engine.manifest.components
    assert engine.has_altitude
    assert engine.directory == village["bundle"].resolve()
    assert "synthetic-village-seed-1" in repr(engine)
    resources = engine.altitude.resources()
    assert len(resources) == 1
    assert resources[0].sources[0].width == village["summary"]["dem_width"]
    assert engine.altitude.resource(resources[0].id).id == resources[0].id
    assert repr(resources[0]).startswith("ResourceInfo(")


def test_verify_checksums(village):
    assert geoplex.open(village["bundle"], verify_checksums=True).has_altitude


def _gdal_nearest(path, lon, lat):
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    grid = band.ReadAsArray().astype(np.float64)
    gt = ds.GetGeoTransform()
    col = np.floor((lon - gt[0]) / gt[1]).astype(np.int64)
    row = np.floor((lat - gt[3]) / gt[5]).astype(np.int64)
    return grid[row, col], band.GetNoDataValue()


def test_synthetic_dem_matches_gdal(village):
    alti = geoplex.open(village["bundle"]).altitude
    min_lon, min_lat, max_lon, max_lat = village["summary"]["bbox"]
    rng = np.random.default_rng(7)
    lon = rng.uniform(min_lon, max_lon, 2000)
    lat = rng.uniform(min_lat, max_lat, 2000)
    expected, nodata = _gdal_nearest(village["summary"]["dem"], lon, lat)
    if nodata is not None:
        assert not np.any(expected == nodata)
    z = alti.elevation(lon, lat, interpolation="nearest")
    np.testing.assert_array_equal(z, expected)


def test_build_logs_to_logging(village, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="geoplex"):
        geoplex.build(village["summary"]["bundle"], tmp_path / "b", progress=False)
    assert any(r.name == "geoplex" for r in caplog.records)


def test_text_progress_bar(village, tmp_path, capsys):
    geoplex.build(village["summary"]["bundle"], tmp_path / "b", progress=True)
    err = capsys.readouterr().err
    assert "100.0%" in err and "[" in err


def test_rebuild_replaces_bundle(village, tmp_path):
    out = tmp_path / "b"
    geoplex.build(village["summary"]["bundle"], out, progress=False)
    first = geoplex.open(out).manifest.created
    geoplex.build(village["summary"]["bundle"], out, progress=False)
    assert geoplex.open(out).has_altitude
    assert isinstance(first, str) and first.endswith("Z")


def test_elevation_line_geojson_is_json(village):
    alti = geoplex.open(village["bundle"]).altitude
    min_lon, min_lat, max_lon, max_lat = village["summary"]["bbox"]
    line = alti.elevation_line([min_lon, max_lon], [min_lat, max_lat], sampling=5)
    feature = json.loads(json.dumps(line.to_geojson()))
    assert feature == line.to_geojson()
    assert len(feature["geometry"]["coordinates"]) == 5


def test_engine_pickles_by_path(village):
    import pickle

    engine = geoplex.open(village["bundle"])
    clone = pickle.loads(pickle.dumps(engine))
    assert clone.directory == engine.directory
    assert clone.manifest.name == engine.manifest.name
    lon, lat = [sum(village["summary"]["bbox"][0::2]) / 2], [sum(village["summary"]["bbox"][1::2]) / 2]
    np.testing.assert_array_equal(clone.altitude.elevation(lon, lat), engine.altitude.elevation(lon, lat))


def test_altimetry_opens_alone(village):
    alti = geoplex.Altimetry.open(village["bundle"] / "altitude")
    assert [r.id for r in alti.resources()] == [r.id for r in geoplex.open(village["bundle"]).altitude.resources()]
    assert repr(alti).startswith("Altimetry(resources=[")
    with pytest.raises(geoplex.IoError):
        geoplex.Altimetry.open(village["bundle"] / "no-such-folder")
