"""geoplex.Router: routes, matrices and nearest roads, checked against a plain-Python Dijkstra on
a small hand-made OSM grid (Vincenty lengths, the car profile's speeds), and for consistency
(route = matrix, geodesic lower bound, geometry length) on the synthetic village and Monaco."""

import json
import math
import random
import tomllib
from pathlib import Path

import numpy as np
import pytest

import geoplex
from helpers import build_bundle, run_in_threads
from reference import decode_polyline, dijkstra, line_length, vincenty

CAR_PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "car.toml"
HIGHWAYS = ["primary", "secondary", "tertiary", "residential"]
GRID = 6  # GRID × GRID junctions


def make_grid(seed=7):
    """A jittered GRID×GRID street grid: every edge its own 2-node way with a random highway class;
    a few one-way edges and a few bridges (each junction keeps a road that is not a bridge)."""
    rng = random.Random(seed)
    nodes = {}
    for i in range(GRID):
        for j in range(GRID):
            # 7 decimals: OSM's precision, so the reference sees the coordinates the graph stores.
            nodes[i * GRID + j + 1] = (round(2.0 + 0.0015 * i + rng.uniform(-3e-4, 3e-4), 7),
                                       round(48.0 + 0.0010 * j + rng.uniform(-2e-4, 2e-4), 7))
    edges = []  # (a, b, highway, oneway, bridge)
    for i in range(GRID):
        for j in range(GRID):
            a = i * GRID + j + 1
            if i + 1 < GRID:
                edges.append([a, a + GRID, rng.choice(HIGHWAYS), rng.random() < 0.15, False])
            if j + 1 < GRID:
                edges.append([a, a + 1, rng.choice(HIGHWAYS), False, False])
    plain = {n: sum(1 for e in edges if n in e[:2]) for n in nodes}
    for e in rng.sample(edges, 12):
        if plain[e[0]] > 1 and plain[e[1]] > 1:
            e[4] = True
            plain[e[0]] -= 1
            plain[e[1]] -= 1
    return nodes, edges


def osm_xml(nodes, edges):
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="geoplex-test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for k, (a, b, highway, oneway, bridge) in enumerate(edges, start=1):
        tags = [("highway", highway), ("name", f"Rue {k}")]
        if oneway:
            tags.append(("oneway", "yes"))
        if bridge:
            tags.append(("bridge", "yes"))
        body = "".join(f'<tag k="{key}" v="{value}"/>' for key, value in tags)
        lines.append(f'  <way id="{k}" version="1"><nd ref="{a}"/><nd ref="{b}"/>{body}</way>')
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def reference_graph(nodes, edges, metric, oneway=True, skip_bridges=False):
    """node -> [(node, cost)]; `metric` 'length' (m) or 'time' (s, car speeds, as the profile
    file says: length / speed)."""
    speeds = tomllib.loads(CAR_PROFILE.read_text(encoding="utf-8"))["highway_speeds"]
    graph = {n: [] for n in nodes}
    for a, b, highway, one, bridge in edges:
        if skip_bridges and bridge:
            continue
        length = vincenty(*nodes[a], *nodes[b])
        cost = length if metric == "length" else length / (speeds[highway] / 3.6)
        graph[a].append((b, cost))
        if not (one and oneway):
            graph[b].append((a, cost))
    return graph


def hops(graph, source):
    """Edge count of a cheapest path to each node (for rounding tolerances)."""
    return dijkstra({n: [(m, 1.0) for m, _ in adj] for n, adj in graph.items()}, source)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    root = tmp_path_factory.mktemp("grid")
    nodes, edges = make_grid()
    (root / "grid.osm").write_text(osm_xml(nodes, edges), encoding="utf-8")
    bundle = build_bundle(
        root, 'name = "grid"\n[routing]\n[[routing.resources]]\nid = "grid"\nformat = "osm"\npath = "grid.osm"\n'
        'profiles = ["car", "pedestrian"]\noptimizations = ["fastest", "shortest"]\n')
    return {"router": geoplex.open(bundle).routing, "nodes": nodes, "edges": edges, "root": root}


@pytest.fixture(scope="module")
def village_router(village):
    return geoplex.open(village["bundle"]).routing


def pairs(nodes, count, seed=1):
    rng = random.Random(seed)
    ids = sorted(nodes)
    return [tuple(rng.sample(ids, 2)) for _ in range(count)]


# ---- the component ----------------------------------------------------------------------------

def test_engine_exposes_one_router(grid):
    engine = geoplex.open(grid["root"] / "bundle")
    assert engine.has_routing and not engine.has_altitude
    assert engine.routing is engine.routing  # cached: its query states are reused
    with pytest.raises(geoplex.NotFound, match="altitude"):
        engine.altitude
    assert "grid" in repr(engine.routing)


def test_resources_and_profiles(grid):
    router = grid["router"]
    (resource,) = router.resources()
    assert resource["id"] == "grid" and resource["format"] == "osm"
    assert [p["name"] for p in resource["profiles"]] == ["car", "pedestrian"]
    assert resource["profiles"][0]["optimizations"] == ["fastest", "shortest"]
    lons = [p[0] for p in grid["nodes"].values()]
    lats = [p[1] for p in grid["nodes"].values()]
    bbox = resource["bbox"]
    assert bbox == pytest.approx((min(lons), min(lats), max(lons), max(lats)), abs=1e-6)
    assert router.profiles() == ["car", "pedestrian"] == router.profiles("grid")
    assert json.dumps(router.resources())  # plain data


def test_router_open_reads_the_routing_folder(grid):
    router = geoplex.Router.open(grid["root"] / "bundle" / "routing")
    a, b = grid["nodes"][1], grid["nodes"][GRID * GRID]
    assert router.route([a, b]).distance == grid["router"].route([a, b]).distance


# ---- routes against Dijkstra --------------------------------------------------------------------

@pytest.mark.parametrize("optimization,metric", [("shortest", "length"), ("fastest", "time")])
def test_routes_match_dijkstra(grid, optimization, metric):
    nodes, router = grid["nodes"], grid["router"]
    graph = reference_graph(nodes, grid["edges"], metric)
    for a, b in pairs(nodes, 40):
        expected = dijkstra(graph, a)[b]
        route = router.route([nodes[a], nodes[b]], optimization=optimization)
        assert route.ok, route.message
        got = route.distance if metric == "length" else route.duration
        tolerance = 0.1 * hops(graph, a)[b] + 1e-6 * expected  # integer weights: 1/10 m or s per arc
        assert got == pytest.approx(expected, abs=tolerance), (a, b)


def test_oneways_are_respected(grid):
    nodes, router = grid["nodes"], grid["router"]
    one = [e for e in grid["edges"] if e[3] and not e[4]]
    assert one, "the grid must have a one-way street"
    a, b = one[0][:2]
    graph = reference_graph(nodes, grid["edges"], "length")
    forward = router.route([nodes[a], nodes[b]], optimization="shortest").distance
    backward = router.route([nodes[b], nodes[a]], optimization="shortest").distance
    assert forward == pytest.approx(vincenty(*nodes[a], *nodes[b]), abs=0.1)
    assert backward == pytest.approx(dijkstra(graph, b)[a], abs=1.0)
    assert backward > forward + 50  # the detour
    # On foot the one-way tag does not apply (pedestrian profile reads oneway:foot).
    walk = router.route([nodes[b], nodes[a]], profile="pedestrian", optimization="shortest")
    assert walk.distance == pytest.approx(forward, abs=0.1)
    assert walk.duration == pytest.approx(forward / (4 / 3.6), abs=0.2)


def test_banned_bridges_match_dijkstra_without_them(grid):
    nodes, router = grid["nodes"], grid["router"]
    graph = reference_graph(nodes, grid["edges"], "length", skip_bridges=True)
    banned = [{"constraintType": "banned", "key": "wayType", "operator": "=", "value": "pont"}]
    changed = 0
    for a, b in pairs(nodes, 25, seed=3):
        expected = dijkstra(graph, a).get(b, math.inf)
        route = router.route([nodes[a], nodes[b]], optimization="shortest", constraints=banned)
        if math.isinf(expected):
            assert route.status == "no_route"
            continue
        assert route.ok, route.message
        assert route.distance == pytest.approx(expected, abs=0.1 * hops(graph, a)[b] + 1e-3)
        changed += route.distance > router.route([nodes[a], nodes[b]], optimization="shortest").distance + 1
        for leg in route.legs:
            for step in leg["steps"]:
                assert "bridge" not in step["way_flags"]
    assert changed > 0, "no pair crosses a bridge: the test checks nothing"


# ---- route contents ---------------------------------------------------------------------------------

def test_geometry_legs_and_steps(grid):
    nodes, router = grid["nodes"], grid["router"]
    a, m, b = nodes[1], nodes[GRID * 3 + 4], nodes[GRID * GRID]
    route = router.route(np.array([a, m, b]), optimization="shortest")
    assert route.ok and route.status == "ok" and route.failed_point is None and route.message == ""
    g = route.geometry
    assert g.dtype == np.float64 and g.shape == (len(route), 2) and not g.flags.writeable
    assert tuple(g[0]) == pytest.approx(a, abs=1e-9) and tuple(g[-1]) == pytest.approx(b, abs=1e-9)
    assert line_length(g.tolist()) == pytest.approx(route.distance, rel=1e-6)
    assert len(route.legs) == 2
    first = router.route([a, m], optimization="shortest")
    second = router.route([m, b], optimization="shortest")
    assert route.legs[0]["distance"] == pytest.approx(first.distance, abs=1e-6)
    assert route.legs[1]["distance"] == pytest.approx(second.distance, abs=1e-6)
    assert route.distance == pytest.approx(first.distance + second.distance, abs=1e-6)
    assert route.duration == pytest.approx(first.duration + second.duration, abs=1e-6)
    for leg in route.legs:
        piece = g[leg["first_point"]:leg["last_point"] + 1]
        assert line_length(piece.tolist()) == pytest.approx(leg["distance"], rel=1e-6)
        steps = leg["steps"]
        assert steps[0]["maneuver"]["type"] == "depart" and steps[-1]["maneuver"]["type"] == "arrive"
        assert sum(s["distance"] for s in steps) == pytest.approx(leg["distance"], rel=1e-6)
        assert sum(s["duration"] for s in steps) == pytest.approx(leg["duration"], abs=0.01)
        assert all(s["name"].startswith("Rue ") for s in steps[:-1])
        assert all(s["way_class"] in HIGHWAYS for s in steps[:-1])
    assert [s["distance"] for s in route.snaps] == [0.0, 0.0, 0.0]
    min_lon, min_lat, max_lon, max_lat = route.bbox
    assert (min_lon, min_lat) == pytest.approx(tuple(g.min(axis=0))) and max_lon == pytest.approx(g[:, 0].max())


def test_geojson_dict_shapely_and_polyline(grid):
    nodes, router = grid["nodes"], grid["router"]
    route = router.route([nodes[2], nodes[GRID * GRID - 1]])
    feature = route.to_geojson()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"] == route.geometry.tolist()
    assert feature["properties"]["distance"] == route.distance
    assert json.loads(json.dumps(feature)) == feature
    plain = route.to_dict()
    assert plain["geometry"] == feature["geometry"] and plain["status"] == "ok"
    json.dumps(plain)
    line = route.to_shapely()
    assert np.allclose(np.asarray(line.coords), route.geometry)
    decoded = decode_polyline(route.to_polyline())
    assert np.allclose(decoded, route.geometry, atol=1e-5)
    assert np.allclose(decode_polyline(route.to_polyline(6), 6), route.geometry, atol=1e-6)
    assert "distance=" in repr(route)


def test_totals_without_geometry(grid):
    nodes, router = grid["nodes"], grid["router"]
    full = router.route([nodes[3], nodes[30]], optimization="shortest")
    bare = router.route([nodes[3], nodes[30]], optimization="shortest", geometry=False, steps=False)
    assert len(bare) == 0 and bare.geometry.shape == (0, 2)
    assert bare.distance == pytest.approx(full.distance, abs=0.1 * 12)
    with pytest.raises(ValueError, match="geometry=False"):
        bare.to_shapely()


def test_misses_are_results(grid):
    nodes, router = grid["nodes"], grid["router"]
    far = (2.3, 48.2)  # ~20 km from the grid
    route = router.route([nodes[1], far])
    assert route.status == "no_road" and not route.ok and route.failed_point == 1
    assert "1000" in route.message and math.isnan(route.distance) and math.isnan(route.duration)
    assert route.to_geojson()["geometry"] is None
    assert router.route([nodes[1], far], snap_radius=50000).ok


# ---- matrix -----------------------------------------------------------------------------------------

def test_matrix_matches_dijkstra_and_routes(grid):
    nodes, router = grid["nodes"], grid["router"]
    ids = sorted(nodes)[::3]
    points = np.array([nodes[i] for i in ids])
    durations, distances = router.matrix(points, optimization="shortest")
    assert durations.shape == distances.shape == (len(ids), len(ids))
    assert durations.dtype == distances.dtype == np.float64
    graph = reference_graph(nodes, grid["edges"], "length")
    for r, a in enumerate(ids):
        best, count = dijkstra(graph, a), hops(graph, a)
        for c, b in enumerate(ids):
            assert distances[r, c] == pytest.approx(best[b], abs=0.1 * count[b] + 1e-6)
    assert np.all(np.diag(distances) == 0)
    # Cell [i, j] is the route i → j.
    for r, c in [(0, 5), (5, 0), (3, 11), (11, 2)]:
        route = router.route([points[r], points[c]], optimization="shortest")
        assert distances[r, c] == pytest.approx(route.distance, abs=0.1 * 12)
        assert durations[r, c] == pytest.approx(route.duration, abs=0.1 * 12)


def test_matrix_fastest_and_unreachable(grid):
    nodes, router = grid["nodes"], grid["router"]
    sources = [nodes[1], nodes[8], (2.3, 48.2)]
    targets = [nodes[20], nodes[36]]
    durations, distances = router.matrix(sources, targets)
    graph = reference_graph(nodes, grid["edges"], "time")
    for r, a in enumerate([1, 8]):
        best, count = dijkstra(graph, a), hops(graph, a)
        for c, b in enumerate([20, 36]):
            assert durations[r, c] == pytest.approx(best[b], abs=0.1 * count[b] + 1e-6)
    assert np.isnan(durations[2]).all() and np.isnan(distances[2]).all()  # no road near the point
    with pytest.raises(geoplex.InvalidArgument, match="exceeds the limit"):
        router.matrix(sources, targets, max_size=5)


# ---- nearest ------------------------------------------------------------------------------------------

def test_nearest_is_vectorised_and_on_the_road(grid):
    nodes, router = grid["nodes"], grid["router"]
    a, b = nodes[1], nodes[2]  # a vertical edge of the grid (same column)
    mid = ((a[0] + b[0]) / 2 + 0.0004, (a[1] + b[1]) / 2)  # ~30 m east of its middle
    points = np.array([a, mid, (2.3, 48.2)])
    snapped, distance = router.nearest(points)
    assert snapped.shape == (3, 2) and distance.shape == (3,)
    assert tuple(snapped[0]) == pytest.approx(a, abs=1e-9) and distance[0] == pytest.approx(0, abs=1e-6)
    assert distance[1] == pytest.approx(vincenty(*mid, *snapped[1]), rel=1e-3)
    # Nothing nearer on the road network: every junction is at least as far.
    assert distance[1] <= min(vincenty(*mid, *p) for p in nodes.values())
    assert np.isnan(snapped[2]).all() and np.isnan(distance[2])
    single, d = router.nearest(a)
    assert single.shape == (1, 2) and d[0] == pytest.approx(0, abs=1e-6)


def test_nearest_roads_geojson(grid):
    nodes, router = grid["nodes"], grid["router"]
    collection = router.nearest_roads(nodes[8], count=3)
    features = collection["features"]
    assert collection["type"] == "FeatureCollection" and 1 <= len(features) <= 3
    d = [f["properties"]["distance"] for f in features]
    assert d == sorted(d) and d[0] == pytest.approx(0, abs=1e-6)
    json.dumps(collection)


# ---- errors -------------------------------------------------------------------------------------------

def test_bad_input_raises_documented_errors(grid):
    nodes, router = grid["nodes"], grid["router"]
    a, b = nodes[1], nodes[2]
    with pytest.raises(geoplex.InvalidArgument, match=r"points needs at least 2 points, got 1"):
        router.route([a])
    with pytest.raises(geoplex.InvalidArgument, match=r"points must be \(lon, lat\) pairs.*shape \(3,\)"):
        router.route([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"points\[1\] = \(200, 48\) is not a WGS84"):
        router.route([a, (200.0, 48.0)])
    with pytest.raises(geoplex.InvalidArgument, match="optimization must be 'fastest' or 'shortest', not 'quickest'"):
        router.route([a, b], optimization="quickest")
    with pytest.raises(geoplex.NotFound, match="bike"):
        router.route([a, b], profile="bike")
    with pytest.raises(LookupError, match="unknown routing resource 'nope'"):
        router.route([a, b], resource="nope")
    with pytest.raises(geoplex.InvalidArgument, match="snap_radius"):
        router.route([a, b], snap_radius=-1)
    with pytest.raises(geoplex.InvalidArgument, match=r"constraints\[0\]: type must be"):
        router.route([a, b], constraints=[{"constraintType": "forbidden", "key": "wayType", "value": "pont"}])
    with pytest.raises(geoplex.InvalidArgument, match=r"constraints\[0\].value must be a str or a number"):
        router.route([a, b], constraints=[{"type": "banned", "key": "wayType", "value": None}])
    with pytest.raises(geoplex.InvalidArgument, match="constraints must be a list of dicts"):
        router.route([a, b], constraints={"type": "banned"})
    with pytest.raises(geoplex.InvalidArgument, match="intermediates"):
        router.route([a] * 5 + [b], max_intermediates=2)
    with pytest.raises(geoplex.InvalidArgument, match="targets"):
        router.matrix([a], np.zeros((2, 3)))
    with pytest.raises(geoplex.IoError):
        geoplex.Router.open(grid["root"] / "missing")


# ---- threads --------------------------------------------------------------------------------------------

def test_threads_share_one_router(grid):
    nodes, router = grid["nodes"], grid["router"]
    jobs = pairs(nodes, 60, seed=9)
    expected = [router.route([nodes[a], nodes[b]]).duration for a, b in jobs]
    assert run_in_threads(lambda: [router.route([nodes[a], nodes[b]]).duration for a, b in jobs]) == [expected] * 4


# ---- the synthetic village and real data: consistency ----------------------------------------------

def check_consistency(router, points, resource=None):
    durations, distances = router.matrix(points, resource=resource)
    checked = 0
    for i in range(len(points)):
        for j in range(len(points)):
            if i == j or np.isnan(durations[i, j]):
                continue
            route = router.route([points[i], points[j]], resource=resource)
            assert route.ok
            assert route.duration == pytest.approx(durations[i, j], abs=0.1 * max(20, len(route) / 2))
            start, end = route.snaps[0]["snapped"], route.snaps[1]["snapped"]
            assert route.distance >= vincenty(*start, *end) - 1e-6  # no shorter than the geodesic
            # The partial end pieces count as fraction × piece length, which differs from the geodesic
            # length of the cut line by a few centimetres (up to ~3e-4 of the piece on Monaco).
            assert line_length(route.geometry.tolist()) == pytest.approx(route.distance, rel=1e-4, abs=0.1)
            checked += 1
    return checked


def test_village_routes_are_consistent(village, village_router):
    min_lon, min_lat, max_lon, max_lat = village["summary"]["bbox"]
    rng = np.random.default_rng(4)
    points = np.column_stack([rng.uniform(min_lon, max_lon, 8), rng.uniform(min_lat, max_lat, 8)])
    # The village's roads are sparse: start from the nearest road positions (all within 5 km).
    on_roads, offset = village_router.nearest(points, radius=5000)
    assert not np.isnan(offset).any()
    assert check_consistency(village_router, on_roads) >= 50


def test_monaco_routes_are_consistent(test_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("monaco")
    pbf = (test_data / "osm" / "monaco.osm.pbf").resolve().as_posix()
    bundle = build_bundle(
        root, f'name = "monaco"\n[routing]\n[[routing.resources]]\nid = "osm"\nformat = "osm"\npath = "{pbf}"\n'
        'profiles = ["car"]\noptimizations = ["fastest"]\n')
    router = geoplex.open(bundle).routing
    points = [(7.4197, 43.7315), (7.4273, 43.7396), (7.4123, 43.7286), (7.4368, 43.7478), (7.4216, 43.7384)]
    assert check_consistency(router, points, resource="osm") >= 15
