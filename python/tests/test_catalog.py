"""geoplex.Catalog: datasets created from Python, searched with filters, bbox and facets, and every
answer checked against an independent brute-force filter over the datasets the test inserted
(the semantics of include/geoplex/catalog/search.hpp); get / update / delete; exceptions.
With GEOPLEX_TEST_DATA, the bboxes are the real extents of the 96 départements."""

import json
import pathlib
import random
import re
from collections import Counter

import pytest

import geoplex

THEMES = ["Transport", "Hydrographie", "Administratif", "Altimétrie", "Occupation du sol"]
PRODUCERS = ["IGN", "INSEE", "Cerema", "OFB"]
LICENCES = ["etalab-2.0", "odbl"]
FORMATS = ["WMTS", "WFS", "GeoPackage"]


def make_datasets(rng, n, boxes=None, names=None):
    out = []
    for i in range(n):
        if boxes is not None:
            west, south, east, north = boxes[i]
        else:
            west, south = rng.uniform(-5, 7), rng.uniform(42, 50)
            east, north = west + rng.uniform(0.01, 2), south + rng.uniform(0.01, 1.5)
        name = names[i] if names else f"zone {i}"
        d = {
            "title": f"Données {name}",
            "abstract": "Jeu de données de test.",
            "producer": rng.choice(PRODUCERS),
            "themes": sorted(rng.sample(THEMES, rng.randint(1, 2))),
            "formats": [rng.choice(FORMATS)],
            "licence": rng.choice(LICENCES),
            "keywords": ["cadastre"] if i % 7 == 0 else ["limite"],
            "publication_date": f"{rng.randint(2015, 2024)}-03-01",
            "bbox": {"west": west, "south": south, "east": east, "north": north},
            "open_data": i % 3 != 0,
        }
        out.append(d)
    return out


def brute(datasets, bbox=None, themes=None, producers=None, keywords=None, years=None, open_data=None):
    """The documented semantics, written independently of the store."""
    out = []
    for d in datasets:
        b = d["bbox"]
        if bbox is not None and not (b["west"] <= bbox[2] and bbox[0] <= b["east"] and b["south"] <= bbox[3] and bbox[1] <= b["north"]):
            continue
        if themes and not set(themes) & set(d["themes"]):
            continue
        if producers and d["producer"] not in producers:
            continue
        if keywords and not set(keywords) & set(d["keywords"]):
            continue
        if years and d["publication_date"][:4] not in years:
            continue
        if open_data is not None and d["open_data"] != open_data:
            continue
        out.append(d)
    return out


def facet(values, limit=20):
    counts = Counter(values)
    return [{"value": v, "count": c} for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def check_query(cat, inserted, **filters):
    expected = brute(inserted, **filters)
    res = cat.search(limit=1000, **filters)
    assert res["total"] == len(expected), filters
    assert {d["_id"] for d in res["datasets"]} == {d["_id"] for d in expected}, filters
    assert res["facets"]["theme"] == facet([t for d in expected for t in d["themes"]]), filters
    assert res["facets"]["producer"] == facet([d["producer"] for d in expected]), filters
    assert res["facets"]["year"] == facet([d["publication_date"][:4] for d in expected]), filters
    return res


@pytest.fixture()
def catalog(tmp_path):
    with geoplex.Catalog(f"sqlite:{tmp_path / 'catalog.sqlite'}") as cat:
        yield cat


def test_search_matches_brute_force(catalog):
    rng = random.Random(7)
    inserted = catalog.create_many(make_datasets(rng, 300))
    assert len(inserted) == 300 and all(d["_id"] for d in inserted)
    assert catalog.backend == "sqlite" and catalog.schema_version >= 1
    check_query(catalog, inserted)
    check_query(catalog, inserted, bbox=(1.0, 45.0, 3.0, 47.0))
    check_query(catalog, inserted, themes=["Transport", "Hydrographie"])
    check_query(catalog, inserted, themes=["Transport"], producers=["IGN"], bbox=(-2.0, 44.0, 4.0, 48.0))
    check_query(catalog, inserted, years=["2018", "2020"], open_data=True)
    check_query(catalog, inserted, keywords=["cadastre"])
    # Text: "cadastre" only occurs in those keywords (folding and stemming make "Cadastres" match too).
    by_text = catalog.search(text="Cadastres", limit=1000)
    assert {d["_id"] for d in by_text["datasets"]} == {d["_id"] for d in brute(inserted, keywords=["cadastre"])}
    assert all(d["score"] > 0 for d in by_text["datasets"])
    # Paging walks the whole match set once, in a stable order.
    seen = []
    for offset in range(0, 120, 25):
        seen += [d["_id"] for d in catalog.search(themes=["Transport"], sort="title", offset=offset, limit=25)["datasets"]]
    assert len(seen) == len(set(seen)) == min(120, len(brute(inserted, themes=["Transport"])))


def test_geojson_output(catalog):
    inserted = catalog.create_many(make_datasets(random.Random(3), 40))
    fc = catalog.search(bbox=(0, 44, 4, 48), as_geojson=True, limit=1000)
    expected = {d["_id"]: d for d in brute(inserted, bbox=(0, 44, 4, 48))}
    assert fc["type"] == "FeatureCollection" and fc["total"] == len(expected)
    assert "theme" in fc["facets"]
    for f in fc["features"]:
        b = expected[f["id"]]["bbox"]
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] == [b["west"], b["south"]]
        assert ring[2] == [b["east"], b["north"]]
        assert f["properties"]["title"] == expected[f["id"]]["title"]
    json.dumps(fc)  # plain JSON types only


def test_get_update_delete(catalog):
    d = catalog.create({"title": "Réseau routier", "themes": ["Transport"], "file_identifier": "FR-TEST-1"})
    got = catalog.get(d["_id"])
    assert got["title"] == "Réseau routier" and got["themes"] == ["Transport"]
    assert catalog.get("00000000-0000-4000-8000-000000000000") is None
    assert catalog.get("not an id") is None
    up = catalog.update(d["_id"], {"title": "Réseau routier national", "keywords": ["routes"]})
    assert up["title"] == "Réseau routier national" and up["themes"] == ["Transport"] and up["keywords"] == ["routes"]
    assert catalog.search(text="national")["total"] == 1
    assert catalog.list()["total"] == 1
    assert catalog.delete(d["_id"]) is True
    assert catalog.delete(d["_id"]) is False
    assert catalog.get(d["_id"]) is None


def test_exceptions(catalog):
    with pytest.raises(geoplex.InvalidArgument) as e:
        catalog.search(limit=100000)
    assert isinstance(e.value, ValueError) and e.value.problems
    with pytest.raises(ValueError):
        catalog.search(bbox=(3, 45, 1, 44))
    with pytest.raises(geoplex.InvalidArgument):
        catalog.search(bbox=(1, 2, 3))
    with pytest.raises(geoplex.InvalidArgument):
        catalog.search(sort="random")
    with pytest.raises(geoplex.InvalidArgument):
        catalog.create({"title": "x", "bbox": "nowhere"})
    catalog.create({"title": "a", "file_identifier": "FR-DUP"})
    with pytest.raises(geoplex.InvalidArgument):  # unique file_identifier (the store's Conflict)
        catalog.create({"title": "b", "file_identifier": "FR-DUP"})
    with pytest.raises(geoplex.InvalidArgument):  # one bad dataset: the batch stores nothing
        catalog.create_many([{"title": "ok"}, {"title": "bad", "themes": "not a list"}])
    assert catalog.list()["total"] == 1
    with pytest.raises(geoplex.NotFound):
        catalog.update("00000000-0000-4000-8000-000000000000", {"title": "x"})
    catalog.close()
    with pytest.raises(geoplex.InvalidArgument):
        catalog.search()


def bbox_of(geometry):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for x in c:
                walk(x)

    walk(geometry["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def test_real_departements(test_data, tmp_path):
    """Real extents: which départements does a box around Paris touch? Store vs brute force."""
    fc = json.loads((test_data / "vector" / "departements-version-simplifiee.geojson").read_text(encoding="utf-8"))
    names = [f["properties"]["nom"] for f in fc["features"]]
    boxes = [bbox_of(f["geometry"]) for f in fc["features"]]
    with geoplex.Catalog(str(tmp_path / "deps.sqlite")) as cat:
        inserted = cat.create_many(make_datasets(random.Random(11), len(names), boxes=boxes, names=names))
        res = check_query(cat, inserted, bbox=(2.2, 48.8, 2.5, 48.9))
        titles = {d["title"] for d in res["datasets"]}
        assert "Données Paris" in titles and "Données Gironde" not in titles
        check_query(cat, inserted, bbox=(-1.0, 43.0, 1.0, 45.0), producers=["IGN", "OFB"])
        # Accents fold: "Hérault" is found as "herault".
        assert {d["title"] for d in cat.search(text="herault")["datasets"]} == {"Données Hérault"}


def test_docs_block_runs(tmp_path, monkeypatch):
    doc = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"
    blocks = [b for b in re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S) if b.startswith("# Catalog")]
    assert len(blocks) == 1, "docs/python.md keeps one '# Catalog' quick start"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(blocks[0], str(doc), "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["res"]["total"] == 1 and namespace["fc"]["features"][0]["geometry"]["type"] == "Polygon"
