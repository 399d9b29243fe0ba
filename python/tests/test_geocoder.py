"""geoplex.Geocoder: search, reverse, completion and batches, checked against the BAN CSV rows
the index was built from (synthetic village, and Bondy's real addresses with GEOPLEX_TEST_DATA),
against a brute-force nearest address, and the DataFrame batch against the CSV-file batch."""

import csv
import json
import math
import random
import sys

import numpy as np
import pytest

import geoplex
from helpers import build_bundle, run_in_threads
from reference import vincenty

pd = pytest.importorskip("pandas")


def read_ban(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter=";") if r["lon"] and r["lat"]]
    for r in rows:
        r["housenumber"] = f"{r['numero']} {r['rep']}".strip()
        r["label"] = f"{r['housenumber']} {r['nom_voie']} {r['code_postal']} {r['nom_commune']}"
        r["position"] = (float(r["lon"]), float(r["lat"]))
    return rows


@pytest.fixture(scope="module")
def village_geo(village):
    engine = geoplex.open(village["bundle"])
    rows = read_ban(village["summary"]["addresses_csv"])
    return {"geocoder": engine.geocoder, "rows": rows, "by_id": {r["id"]: r for r in rows}, "engine": engine}


@pytest.fixture(scope="module")
def bondy(test_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("bondy")
    csv_path = (test_data / "addresses" / "adresses-93010-bondy.csv").resolve()
    bundle = build_bundle(
        root, f'name = "bondy"\n[geocoder]\n[[geocoder.sources]]\nformat = "ban-csv"\npath = "{csv_path.as_posix()}"\n')
    rows = read_ban(csv_path)
    return {"geocoder": geoplex.open(bundle).geocoder, "rows": rows, "by_id": {r["id"]: r for r in rows}}


def assert_matches_row(result, by_id):
    """A house-number result says exactly what its BAN row says."""
    row = by_id[result["id"]]
    assert result["type"] == "housenumber"
    assert (result["lon"], result["lat"]) == pytest.approx(row["position"], abs=1e-6)
    assert result["housenumber"] == row["housenumber"]
    assert result["street"] == row["nom_voie"]
    assert result["postcode"] == row["code_postal"] and result["citycode"] == row["code_insee"]
    assert result["city"] == row["nom_commune"]
    assert result["label"] == row["label"]
    assert 0.0 <= result["score"] <= 1.0


def top1_rate(geocoder, rows, by_id, make_query, **kwargs):
    hits = 0
    for row in rows:
        results = geocoder.search(make_query(row), limit=1, **kwargs)
        if results and results[0]["type"] == "housenumber":
            assert_matches_row(results[0], by_id)
        hits += bool(results) and results[0]["id"] == row["id"]
    return hits / len(rows)


def brute_force_nearest(rows, lon, lat):
    # Equirectangular pre-selection, then geodesics on the candidates.
    k = math.cos(math.radians(lat))
    near = sorted(rows, key=lambda r: ((r["position"][0] - lon) * k) ** 2 + (r["position"][1] - lat) ** 2)[:8]
    return min(vincenty(lon, lat, *r["position"]) for r in near)


# ---- the component -------------------------------------------------------------------------------------

def test_engine_exposes_one_geocoder(village_geo):
    engine, g = village_geo["engine"], village_geo["geocoder"]
    assert engine.has_geocoder and engine.geocoder is g
    info = g.info
    rows = village_geo["rows"]
    assert info["housenumbers"] == len({r["id"] for r in rows})
    assert info["municipalities"] == len({r["code_insee"] for r in rows})
    lons, lats = [r["position"][0] for r in rows], [r["position"][1] for r in rows]
    assert info["bbox"][0] <= min(lons) and info["bbox"][2] >= max(lons)
    assert info["bbox"][1] <= min(lats) and info["bbox"][3] >= max(lats)
    assert "housenumbers=" in repr(g)


# ---- search --------------------------------------------------------------------------------------------

def test_search_finds_the_rows_labels(village_geo):
    rows = random.Random(2).sample(village_geo["rows"], 120)
    rate = top1_rate(village_geo["geocoder"], rows, village_geo["by_id"], lambda r: r["label"])
    assert rate >= 0.95


def test_search_results_are_plain_and_ranked(village_geo):
    row = village_geo["rows"][10]
    results = village_geo["geocoder"].search(row["label"].lower(), limit=5)
    assert 1 <= len(results) <= 5
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert set(results[0]) == {"type", "id", "label", "name", "housenumber", "street", "postcode", "citycode",
                               "city", "context", "lon", "lat", "score", "importance", "distance"}
    assert results[0]["distance"] is None  # no bias point
    json.dumps(results)
    collection = geoplex.results_feature_collection(results)
    first = collection["features"][0]
    assert first["geometry"]["coordinates"] == [results[0]["lon"], results[0]["lat"]]
    assert first["properties"]["label"] == results[0]["label"] and first["properties"]["x"] == results[0]["lon"]


def test_filters(village_geo):
    g, rows = village_geo["geocoder"], village_geo["rows"]
    row = rows[0]
    query = f"{row['nom_voie']}"
    for r in g.search(query, limit=20, postcode=row["code_postal"]):
        assert r["postcode"] == row["code_postal"]
    for r in g.search(query, limit=20, citycode=[row["code_insee"]]):
        assert r["citycode"] == row["code_insee"]
    streets = g.search(query, limit=20, type="street")
    assert streets and all(r["type"] == "street" for r in streets)
    assert all(r["type"] in ("street", "municipality") for r in g.search(query, limit=20, type=["street", "municipality"]))
    assert all(r["city"] == row["nom_commune"] for r in g.search(query, limit=20, city=row["nom_commune"].upper()))
    other = sorted({r["code_postal"] for r in rows} - {row["code_postal"]})
    if other:
        assert all(r["postcode"] == other[0] for r in g.search(row["label"], limit=10, postcode=other[0]))


def test_bias_point_fills_distance(village_geo):
    g, row = village_geo["geocoder"], village_geo["rows"][3]
    lon, lat = row["position"]
    results = g.search(row["nom_voie"], limit=5, lon=lon + 0.001, lat=lat)
    for r in results:
        assert r["distance"] == pytest.approx(vincenty(lon + 0.001, lat, r["lon"], r["lat"]), abs=0.5)


def test_completion_finds_prefixes(village_geo):
    g, by_id = village_geo["geocoder"], village_geo["by_id"]
    rows = random.Random(5).sample(village_geo["rows"], 60)
    found = 0
    for row in rows:
        text = f"{row['housenumber']} {row['nom_voie']}"[:-2]
        results = g.completion(text, limit=5)
        for r in results:
            if r["type"] == "housenumber":
                assert_matches_row(r, by_id)
        found += row["id"] in [r["id"] for r in results]
        assert results == g.search(text, limit=5, autocomplete=True)
    assert found / len(rows) >= 0.8


# ---- reverse -------------------------------------------------------------------------------------------

def test_reverse_is_the_true_nearest_address(village_geo):
    g, rows = village_geo["geocoder"], village_geo["rows"]
    rng = random.Random(11)
    for row in rng.sample(rows, 25):
        lon, lat = row["position"]
        (at,) = g.reverse(lon, lat)
        assert at["distance"] == pytest.approx(0.0, abs=1e-3)
        assert (at["lon"], at["lat"]) == pytest.approx(row["position"], abs=1e-7)
        assert_matches_row(at, village_geo["by_id"])
        plon, plat = lon + rng.uniform(-4e-4, 4e-4), lat + rng.uniform(-3e-4, 3e-4)
        (near,) = g.reverse(plon, plat)
        assert near["distance"] == pytest.approx(brute_force_nearest(rows, plon, plat), abs=0.01)
    results = g.reverse(lon, lat, limit=5, radius=300)
    assert len(results) == 5 and [r["distance"] for r in results] == sorted(r["distance"] for r in results)
    assert all(r["score"] == pytest.approx(1 - r["distance"] / 300) for r in results)


# ---- batches -------------------------------------------------------------------------------------------

def sample_frame(rows, n, seed):
    picked = random.Random(seed).sample(rows, n)
    df = pd.DataFrame({
        "adresse": [f"{r['housenumber']} {r['nom_voie']}" for r in picked],
        "cp": [r["code_postal"] for r in picked],
        "ville": [r["nom_commune"] for r in picked],
        "expected": [r["id"] for r in picked],
    }, index=[f"row{i}" for i in range(n)])
    garbage = pd.DataFrame({"adresse": ["zzqx wvvk"], "cp": [None], "ville": [""], "expected": [""]}, index=["bad"])
    return pd.concat([df, garbage])


def test_geocode_dataframe(village_geo):
    g = village_geo["geocoder"]
    df = sample_frame(village_geo["rows"], 40, seed=3)
    out = g.geocode_dataframe(df, columns=["adresse", "ville"], postcode_column="cp")
    assert list(out.columns) == list(df.columns) + list(geoplex.RESULT_COLUMNS)
    assert list(out.index) == list(df.index)
    pd.testing.assert_frame_equal(out[df.columns], df)  # the input columns are untouched
    assert out["latitude"].dtype == np.float64 and out["result_score"].dtype == np.float64
    assert out.loc["bad", list(geoplex.RESULT_COLUMNS)].isna().all()
    good = out.drop(index="bad")
    assert (good["result_id"] == good["expected"]).mean() >= 0.95
    # Numeric postcodes (a float column because of the missing value) work the same.
    as_float = g.geocode_dataframe(df.assign(cp=pd.to_numeric(df["cp"])), columns=["adresse", "ville"],
                                   postcode_column="cp")
    assert as_float["cp"].dtype == np.float64
    pd.testing.assert_series_equal(as_float["result_id"], out["result_id"])
    for _, r in good.iterrows():
        # Each row is what search() answers for the same text and postcode.
        (best,) = g.search(f"{r['adresse']} {r['ville']}", limit=1, postcode=r["cp"])
        assert r["result_id"] == best["id"] and r["result_label"] == best["label"]
        assert r["latitude"] == pytest.approx(best["lat"], abs=1e-6)
        assert r["longitude"] == pytest.approx(best["lon"], abs=1e-6)
        assert r["result_score"] == pytest.approx(best["score"], abs=1e-4)
        assert r["result_type"] == best["type"] and r["result_citycode"] == best["citycode"]
        assert r["result_housenumber"] == best["housenumber"] and r["result_postcode"] == best["postcode"]


def test_csv_file_batch_equals_dataframe(village_geo, tmp_path):
    g = village_geo["geocoder"]
    df = sample_frame(village_geo["rows"], 30, seed=8)
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    df.to_csv(src, sep=";", index=False)
    stats = g.geocode_csv(src, dst, columns=["adresse", "ville"], postcode_column="cp")
    assert stats == {"rows": 31, "matched": 30}
    from_file = pd.read_csv(dst, sep=";", dtype=str, keep_default_na=False)
    from_frame = g.geocode_dataframe(df, columns=["adresse", "ville"], postcode_column="cp")
    assert list(from_file.columns) == list(df.columns) + list(geoplex.RESULT_COLUMNS)
    assert list(from_file["result_id"]) == [v if isinstance(v, str) else "" for v in from_frame["result_id"]]
    assert list(from_file["result_label"]) == [v if isinstance(v, str) else "" for v in from_frame["result_label"]]


def test_reverse_batches(village_geo, tmp_path):
    g, rows = village_geo["geocoder"], village_geo["rows"]
    picked = random.Random(4).sample(rows, 20)
    df = pd.DataFrame({"y": [r["position"][1] + 1e-5 for r in picked], "x": [r["position"][0] for r in picked]})
    df.loc[len(df)] = [float("nan"), 2.0]
    out = g.reverse_dataframe(df, lat="y", lon="x")
    for i, r in enumerate(picked):
        (expected,) = g.reverse(df["x"][i], df["y"][i])
        assert out["result_id"][i] == expected["id"]
    assert np.isnan(out["latitude"].iloc[-1])
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    df.to_csv(src, index=False)
    assert g.reverse_csv(src, dst, lat_column="y", lon_column="x") == {"rows": 21, "matched": 20}
    back = pd.read_csv(dst, dtype=str, keep_default_na=False)
    assert list(back["result_id"][:20]) == list(out["result_id"][:20])


def test_dataframe_errors(village_geo, monkeypatch):
    g = village_geo["geocoder"]
    df = pd.DataFrame({"adresse": ["1 rue"], "latitude": [1.0]})
    with pytest.raises(ValueError, match="already has result column"):
        g.geocode_dataframe(df, columns=["adresse"])
    with pytest.raises(KeyError, match="no column 'street'"):
        g.geocode_dataframe(df, columns=["street"])
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="python3-pandas"):
        g.geocode_dataframe(df[["adresse"]], columns=["adresse"])


# ---- errors and threads --------------------------------------------------------------------------------

def test_bad_input_raises_documented_errors(village_geo, tmp_path):
    g = village_geo["geocoder"]
    with pytest.raises(geoplex.InvalidArgument) as info:
        g.search("", limit=1)
    assert info.value.problems
    with pytest.raises(ValueError, match=r"limit must be in \[1, 100\], got 0"):
        g.search("rue", limit=0)
    with pytest.raises(geoplex.InvalidArgument, match="index 'poi' is not built in this bundle"):
        g.search("rue", index="poi")
    with pytest.raises(geoplex.InvalidArgument, match="index must be 'address', 'poi' or 'parcel'"):
        g.search("rue", index="shops")
    with pytest.raises(geoplex.InvalidArgument, match="needs a point"):
        g.reverse()
    with pytest.raises(geoplex.InvalidArgument, match="geometry type must be"):
        g.reverse(geometry={"type": "MultiPoint", "coordinates": [[2.4, 48.0]]})
    with pytest.raises(geoplex.InvalidArgument, match="radius and geometry"):
        g.reverse(2.4, 48.0, radius=10, geometry={"type": "Point", "coordinates": [2.4, 48.0]})
    with pytest.raises(geoplex.InvalidArgument, match="lon and lat must be given together"):
        g.search("rue", lon=2.4)
    with pytest.raises(geoplex.InvalidArgument, match="type must be 'housenumber'"):
        g.search("rue", type="house")
    with pytest.raises(geoplex.InvalidArgument, match="postcode must be a str or a list of str"):
        g.search("rue", postcode=[93140])
    with pytest.raises(geoplex.InvalidArgument, match="postcode"):
        g.search("rue", postcode="931")
    with pytest.raises(geoplex.InvalidArgument, match="not a WGS84 position"):
        g.reverse(2.4, 95.0)
    with pytest.raises(geoplex.InvalidArgument, match="radius"):
        g.reverse(2.4, 48.0, radius=-5)
    with pytest.raises(geoplex.IoError, match="missing.csv"):
        g.geocode_csv(tmp_path / "missing.csv", tmp_path / "out.csv")
    (tmp_path / "a.csv").write_text("adresse,ville\n1 rue,Bondy\n", encoding="utf-8")
    with pytest.raises(geoplex.InvalidArgument, match="no column 'street'"):
        g.geocode_csv(tmp_path / "a.csv", tmp_path / "out.csv", columns=["street"])
    with pytest.raises(geoplex.InvalidArgument, match="delimiter"):
        g.geocode_csv(tmp_path / "a.csv", tmp_path / "out.csv", delimiter=";;")


def test_threads_share_one_geocoder(village_geo):
    g = village_geo["geocoder"]
    queries = [r["label"] for r in random.Random(6).sample(village_geo["rows"], 50)]
    expected = [g.search(q, limit=3) for q in queries]
    assert run_in_threads(lambda: [g.search(q, limit=3) for q in queries]) == [expected] * 4


# ---- real data: Bondy ----------------------------------------------------------------------------------

def test_bondy_labels_and_reverse(bondy):
    g, rows, by_id = bondy["geocoder"], bondy["rows"], bondy["by_id"]
    sample = random.Random(1).sample(rows, 300)
    assert top1_rate(g, sample, by_id, lambda r: r["label"]) >= 0.99
    assert top1_rate(g, sample, by_id, lambda r: r["label"].lower()) >= 0.95
    for row in sample[:100]:
        (at,) = g.reverse(*row["position"])
        assert at["distance"] == pytest.approx(0.0, abs=1e-3)
        assert (at["lon"], at["lat"]) == pytest.approx(row["position"], abs=1e-7)
        assert_matches_row(at, by_id)


def test_bondy_dataframe(bondy):
    g, rows = bondy["geocoder"], bondy["rows"]
    df = sample_frame(rows, 200, seed=12)
    out = g.geocode_dataframe(df, columns=["adresse", "cp", "ville"])
    good = out.drop(index="bad")
    assert (good["result_id"] == good["expected"]).mean() >= 0.99
    assert out.loc["bad", "result_id"] is None


# ---- POIs and parcels (GeoJSON layers written here; shapely is the reference) --------------------------

@pytest.fixture(scope="module")
def poi_parcel(tmp_path_factory):
    shapely_geometry = pytest.importorskip("shapely.geometry")
    root = tmp_path_factory.mktemp("poi-parcel")
    rng = random.Random(11)
    parcels, pois = [], []
    for s, section in enumerate(["0A", "AB", "ZE"]):
        for n in range(1, 13):
            lon, lat, h = 2.48 + n * 0.0006, 48.90 + s * 0.0006, 0.0002 + rng.random() * 0.00005
            ring = [[lon - h, lat - h], [lon + h, lat - h], [lon + h * 1.3, lat + h], [lon - h, lat + h], [lon - h, lat - h]]
            parcels.append({"id": f"93010000{section}{n * 7:04d}", "ring": ring,
                            "geometry": {"type": "Polygon", "coordinates": [ring]}})
    # a parcel with a hole and a parcel in two parts (true geometries must come back as such)
    outer = [[2.492, 48.902], [2.494, 48.902], [2.494, 48.903], [2.492, 48.903], [2.492, 48.902]]
    hole = [[2.4925, 48.9023], [2.4925, 48.9027], [2.4935, 48.9027], [2.4935, 48.9023], [2.4925, 48.9023]]
    parcels.append({"id": "93010000ZZ0001", "ring": outer, "geometry": {"type": "Polygon", "coordinates": [outer, hole]}})
    a = [[2.495, 48.902], [2.4955, 48.902], [2.4955, 48.9025], [2.495, 48.9025], [2.495, 48.902]]
    b = [[2.4965, 48.902], [2.497, 48.902], [2.497, 48.9025], [2.4965, 48.9025], [2.4965, 48.902]]
    parcels.append({"id": "93010000ZZ0002", "ring": a, "geometry": {"type": "MultiPolygon", "coordinates": [[a], [b]]}})
    kinds = [("Boulangerie", "boulangerie"), ("Pharmacie", "pharmacie;sante"), ("Musée", "musee;culture")]
    for k, (name, cats) in enumerate(kinds):
        for j in range(8):
            pois.append({"id": f"poi-{k}-{j}", "name": f"{name} numéro {j}", "categories": cats,
                         "lon": 2.4805 + k * 0.0011 + j * 0.0007, "lat": 48.9003 + j * 0.00017})
    (root / "parcelles.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": p["id"], "feuille": "1"},
         "geometry": p["geometry"]} for p in parcels]}), encoding="utf-8")
    (root / "poi.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ident": p["id"], "nom": p["name"], "nature": p["categories"]},
         "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]}} for p in pois]}), encoding="utf-8")
    spec = (f'name = "poi-parcel"\n[geocoder]\n'
            f'[[geocoder.sources]]\nformat = "gdal-parcel"\npath = "{(root / "parcelles.geojson").as_posix()}"\n'
            f'sheet_field = "feuille"\n'
            f'[[geocoder.sources]]\nformat = "gdal-poi"\npath = "{(root / "poi.geojson").as_posix()}"\n'
            f'name_field = "nom"\ncategory_field = "nature"\nid_field = "ident"\n')
    bundle = build_bundle(root, spec)
    return {"geocoder": geoplex.open(bundle).geocoder, "parcels": parcels, "pois": pois, "shapely": shapely_geometry}


def test_poi_and_parcel_indexes(poi_parcel):
    g = poi_parcel["geocoder"]
    assert g.info["parcels"] == len(poi_parcel["parcels"]) and g.info["pois"] == len(poi_parcel["pois"])
    for p in poi_parcel["parcels"][::5]:
        top = g.search(p["id"], index="parcel", limit=1)
        assert top and top[0]["id"] == p["id"] and top[0]["type"] == "parcel"
        assert top[0]["section"] == p["id"][8:10] and top[0]["number"] == p["id"][10:]
    hits = g.search("pharmacie", index="poi", limit=20)
    assert {h["id"] for h in hits} == {p["id"] for p in poi_parcel["pois"] if "pharmacie" in p["categories"]}
    assert all("pharmacie" in h["categories"] for h in hits)
    both = g.search("musee numero 3", index=["poi", "parcel"], limit=5)
    assert both[0]["id"] == "poi-2-3"
    only_culture = g.search("numero", index="poi", category="culture", limit=20)
    assert only_culture and all("culture" in h["categories"] for h in only_culture)


def test_reverse_by_geometry_equals_shapely(poi_parcel):
    g, geom = poi_parcel["geocoder"], poi_parcel["shapely"]
    parcel_shapes = {p["id"]: geom.shape(p["geometry"]) for p in poi_parcel["parcels"]}
    rng = random.Random(5)
    checked = 0
    for _ in range(40):
        cx, cy = 2.48 + rng.random() * 0.008, 48.9 + rng.random() * 0.0016
        d = 0.0002 + rng.random() * 0.0006
        tri = [[cx - d, cy - d], [cx + d, cy - d * 0.5], [cx, cy + d], [cx - d, cy - d]]
        search = geom.Polygon(tri)
        expected = {pid for pid, shape in parcel_shapes.items() if shape.intersects(search)}
        got = {r["id"] for r in g.reverse(geometry={"type": "Polygon", "coordinates": [tri]}, index="parcel", limit=100)}
        assert got == expected
        # the same through shapely's __geo_interface__
        assert {r["id"] for r in g.reverse(geometry=search, index="parcel", limit=100)} == expected
        checked += bool(expected)
    assert checked >= 10  # most triangles hit some parcel
    # a point inside a parcel returns that parcel
    p = poi_parcel["parcels"][7]
    inside = geom.Polygon(p["ring"]).representative_point()
    hit = g.reverse(geometry={"type": "Point", "coordinates": [inside.x, inside.y]}, index="parcel", limit=5)
    assert [r["id"] for r in hit] == [p["id"]]
    # POIs by a circle: every POI within the radius (geodesic, reference.vincenty), nearest first
    poi = poi_parcel["pois"][4]
    hits = g.reverse(poi["lon"], poi["lat"], index="poi", limit=50,
                     geometry={"type": "Circle", "coordinates": [poi["lon"], poi["lat"]], "radius": 150})
    expected = {q["id"] for q in poi_parcel["pois"] if vincenty(poi["lon"], poi["lat"], q["lon"], q["lat"]) <= 149.5}
    near_edge = {q["id"] for q in poi_parcel["pois"] if 149.5 < vincenty(poi["lon"], poi["lat"], q["lon"], q["lat"]) <= 150.5}
    assert expected <= {h["id"] for h in hits} <= expected | near_edge
    assert hits[0]["id"] == poi["id"] and hits[0]["distance"] == pytest.approx(0.0, abs=0.01)
    assert [h["distance"] for h in hits] == sorted(h["distance"] for h in hits)


def test_true_geometries_equal_the_sources(poi_parcel):
    g, geom = poi_parcel["geocoder"], poi_parcel["shapely"]
    for p in poi_parcel["parcels"]:
        hit = g.search(p["id"], index="parcel", limit=1, true_geometry=True)[0]
        assert hit["id"] == p["id"]
        got, want = geom.shape(hit["truegeometry"]), geom.shape(p["geometry"])
        assert hit["truegeometry"]["type"] == p["geometry"]["type"]
        assert got.is_valid and got.symmetric_difference(want).area < want.length * 1e-7, p["id"]  # 1e-7° quantum
    holed = g.search("93010000ZZ0001", index="parcel", limit=1, true_geometry=True)[0]["truegeometry"]
    assert len(holed["coordinates"]) == 2  # shell + hole
    assert "truegeometry" not in g.search("93010000ZZ0001", index="parcel", limit=1)[0]
    for q in poi_parcel["pois"][:5]:
        hit = g.reverse(q["lon"], q["lat"], index="poi", limit=1, true_geometry=True)[0]
        assert hit["id"] == q["id"]
        assert hit["truegeometry"]["type"] == "Point"
        assert hit["truegeometry"]["coordinates"] == pytest.approx([q["lon"], q["lat"]], abs=1e-7)
