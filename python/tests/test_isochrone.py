"""geoplex.Isochrones on the hand-made OSM grid of test_routing: per-node costs (one-to-all)
against the router's matrix (CH code, not the isochrone search), polygons containing what is
reachable and leaving out what is far (pure-Python point in polygon), the cost raster."""

import numpy as np
import pytest

import geoplex
from test_routing import grid  # noqa: F401  (the fixture)


@pytest.fixture(scope="module")
def grid_iso(grid):
    """test_routing's OSM grid bundle, with an Isochrones object on it."""
    engine = geoplex.open(grid["root"] / "bundle")
    return {"engine": engine, "iso": geoplex.Isochrones(engine), "nodes": grid["nodes"]}


def inside(point, geometry):
    """Even-odd ray casting over every ring of a GeoJSON Polygon/MultiPolygon dict."""
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    x, y = point
    hit = False
    for poly in polys:
        for ring in poly:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
                if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                    hit = not hit
    return hit


def test_node_costs_equal_the_matrix(grid_iso):
    nodes = grid_iso["nodes"]
    start = nodes[8]
    costs = grid_iso["iso"].node_costs(start, cost_type="distance")
    assert costs.dtype == np.float64 and costs.shape == (len(nodes),)
    _, distances = grid_iso["engine"].routing.matrix([start], list(nodes.values()), optimization="shortest")
    want = np.sort(distances[0])
    got = np.sort(costs)
    assert np.all(np.isfinite(got))
    # decimetre weights summed along paths of at most ~2 × GRID arcs
    assert np.max(np.abs(got - want)) < 2.0
    bounded = grid_iso["iso"].node_costs(start, budget=300.0, cost_type="distance")
    assert np.all(np.isinf(bounded[costs > 300.0 + 1e-9]))
    assert np.array_equal(bounded[costs <= 300.0], costs[costs <= 300.0])


def test_compute_returns_geojson_contours(grid_iso):
    nodes = grid_iso["nodes"]
    start = nodes[15]
    fc = grid_iso["iso"].compute(start, [60.0, 120.0], cost_type="time")
    assert fc["type"] == "FeatureCollection" and fc["status"] == "ok"
    assert [f["properties"]["cost_value"] for f in fc["features"]] == [60.0, 120.0]
    durations, _ = grid_iso["engine"].routing.matrix([start], list(nodes.values()))
    for feature, budget in zip(fc["features"], (60.0, 120.0)):
        g = feature["geometry"]
        assert g["type"] in ("Polygon", "MultiPolygon")
        for pos, cost in zip(nodes.values(), durations[0]):
            if cost <= 0.9 * budget:
                assert inside(pos, g), (pos, cost, budget)
            if cost > 1.5 * budget + 30:
                assert not inside(pos, g), (pos, cost, budget)
    assert grid_iso["iso"].compute((10.0, 10.0), [60.0])["status"] == "no_road"


def test_cost_grid(grid_iso):
    start = grid_iso["nodes"][8]
    costs, bbox = grid_iso["iso"].grid(start, 120.0, cell_m=25.0)
    assert costs.dtype == np.float32 and costs.ndim == 2
    finite = costs[np.isfinite(costs)]
    assert finite.size > 10 and finite.min() < 5.0 and finite.max() <= 120.0 + 1e-3
    assert bbox[0] <= start[0] <= bbox[2] and bbox[1] <= start[1] <= bbox[3]
    with pytest.raises(geoplex.InvalidArgument):
        grid_iso["iso"].compute(start, [-1.0])
    assert "Isochrones" in repr(grid_iso["iso"])


def test_shapely_when_available(grid_iso):
    pytest.importorskip("shapely")
    fc = grid_iso["iso"].compute(grid_iso["nodes"][8], [90.0])
    shapes = geoplex.isochrones_to_shapely(fc)
    assert shapes[0].is_valid and not shapes[0].is_empty
