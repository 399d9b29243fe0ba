"""CPU cost of the routing, geocoding and tile bindings (not a test: pytest does not collect it).

    GEOPLEX_TEST_DATA=/path/to/shared/data PYTHONPATH=<build>/python /usr/bin/python3 python/tests/bench_bindings.py

Prints the min over a few runs of time.process_time() around each loop (CPU time: the machine the
numbers of docs/python.md come from was shared). Builds its bundles in a temporary folder.
"""

import csv
import math
import os
import pathlib
import tempfile
import time

import numpy as np
import pandas as pd

import geoplex


def best(f, runs=5):
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        f()
        times.append(time.process_time() - t0)
    return min(times)


def main():
    data = pathlib.Path(os.environ["GEOPLEX_TEST_DATA"])
    root = pathlib.Path(tempfile.mkdtemp(prefix="geoplex-bench-"))
    bondy = data / "addresses" / "adresses-93010-bondy.csv"
    (root / "bundle.toml").write_text(
        f'name = "bench"\n[routing]\n[[routing.resources]]\nid = "osm"\nformat = "osm"\n'
        f'path = "{(data / "osm" / "monaco.osm.pbf").as_posix()}"\nprofiles = ["car"]\noptimizations = ["fastest"]\n'
        f'[geocoder]\n[[geocoder.sources]]\nformat = "ban-csv"\npath = "{bondy.as_posix()}"\n', encoding="utf-8")
    geoplex.build(root / "bundle.toml", root / "bundle", progress=False)
    engine = geoplex.open(root / "bundle")

    router = engine.routing
    rng = np.random.default_rng(1)
    points = np.column_stack([rng.uniform(7.41, 7.44, 400), rng.uniform(43.725, 43.75, 400)])
    on_roads, _ = router.nearest(points, radius=2000)
    pairs = [(on_roads[i], on_roads[i + 1]) for i in range(0, 400, 2)]
    for label, kwargs in [("geometry + steps", {}), ("geometry, no steps", {"steps": False}),
                          ("totals only", {"geometry": False, "steps": False})]:
        t = best(lambda: [router.route([a, b], **kwargs) for a, b in pairs])
        print(f"Router.route ({label}), Monaco: {t / len(pairs) * 1e6:.0f} us/call")
    print(f"Router.matrix 200 x 200, Monaco: {best(lambda: router.matrix(on_roads[:200]), 3) * 1e3:.1f} ms")
    print(f"Router.nearest, 400 points: {best(lambda: router.nearest(points), 3) / 400 * 1e6:.1f} us/point")

    geocoder = engine.geocoder
    with open(bondy, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    df = pd.DataFrame({"adresse": [" ".join(filter(None, (r["numero"], r["rep"], r["nom_voie"]))) for r in rows],
                       "cp": [r["code_postal"] for r in rows], "ville": [r["nom_commune"] for r in rows]})
    t = best(lambda: geocoder.geocode_dataframe(df, columns=["adresse", "cp", "ville"]), 3)
    print(f"Geocoder.geocode_dataframe, {len(df)} Bondy rows: {t:.2f} s = {len(df) / t:.0f} rows/s")
    labels = list(df["adresse"] + " " + df["ville"])[:2000]
    t = best(lambda: [geocoder.search(q, limit=1) for q in labels], 3)
    print(f"Geocoder.search in a loop: {t / len(labels) * 1e6:.0f} us/call")

    summary = geoplex.synth(root / "village", size="village", seed=1)
    geoplex.build(summary["bundle"], root / "village-bundle", progress=False)
    tiles = geoplex.Tileset.open(root / "village-bundle" / "tiles", cache_bytes=0)
    lon = (summary["bbox"][0] + summary["bbox"][2]) / 2
    lat = (summary["bbox"][1] + summary["bbox"][3]) / 2
    z = 14
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    print(f"Tileset.render, basemap PNG z14, no cache: {best(lambda: tiles.render('basemap', z, x, y)) * 1e3:.2f} ms")
    print(f"Tileset.render_array, same: {best(lambda: tiles.render_array('basemap', z, x, y)) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
