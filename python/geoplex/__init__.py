"""geoplex: the engine of France's Géoplateforme services, embedded in Python.

Open a bundle built by ``geoplex build`` (or :func:`build`) and query it with numpy arrays::

    import numpy as np
    import geoplex

    engine = geoplex.open("bundle/")
    alti = engine.altitude
    z = alti.elevation(np.array([7.42, 7.43]), np.array([43.73, 43.74]))   # float64 array
    line = alti.elevation_line([7.42, 7.45], [43.73, 43.75], sampling=100)
    feature = line.to_geojson()                                          # GeoJSON dict

Routing, geocoding and tiles work the same way::

    route = engine.routing.route([(2.47, 48.90), (2.49, 48.91)], profile="car")
    route.distance, route.duration, route.to_geojson()
    durations, distances = engine.routing.matrix(points)              # (N, N) float64 arrays
    engine.geocoder.search("12 rue de la paix bondy", limit=5)        # list of dicts
    df = engine.geocoder.geocode_dataframe(df, columns=["adresse", "ville"])
    png = engine.tiles.render("basemap", 12, 2075, 1409)              # bytes
    rgba = engine.tiles.render_array("basemap", 12, 2075, 1409)       # (256, 256, 4) uint8

The dataset catalog (the server's SQLite or PostgreSQL store) opens on its own::

    cat = geoplex.Catalog("sqlite:catalog.sqlite")
    cat.search(text="routes", bbox=(-5, 47, -1, 49), themes=["Transport"])   # dict with facets

Every failure raises a subclass of :class:`geoplex.Error` (see ``docs/python.md``). Heavy calls
release the GIL, so threads can query one Engine concurrently.
"""

from __future__ import annotations

import os
from typing import Callable, Optional, Union

from . import _geoplex
from ._geoplex import (
    Altimetry,
    Catalog,
    DependencyError,
    ElevationLine,
    Engine,
    Error,
    FormatError,
    Geocoder,
    InvalidArgument,
    IoError,
    Isochrones,
    Manifest,
    NotFound,
    ResourceInfo,
    Route,
    Router,
    SourceInfo,
    Tile,
    Tileset,
    __version__,
)
from ._isochrone import isochrones_to_shapely
from ._geocoding import RESULT_COLUMNS, geocode_dataframe, reverse_dataframe
from ._geojson import (
    elevation_line_to_shapely,
    points_feature_collection,
    results_feature_collection,
    route_to_shapely,
)
from ._progress import TextProgress

# `open` is deliberately left out: `from geoplex import *` must not shadow the builtin open().
__all__ = [
    "__version__",
    # functions
    "build",
    "synth",
    "points_feature_collection",
    "results_feature_collection",
    "RESULT_COLUMNS",
    "isochrones_to_shapely",
    # classes
    "Engine",
    "Manifest",
    "Altimetry",
    "ResourceInfo",
    "SourceInfo",
    "ElevationLine",
    "Router",
    "Route",
    "Geocoder",
    "Tileset",
    "Tile",
    "Isochrones",
    "Catalog",
    "TextProgress",
    # exceptions
    "Error",
    "IoError",
    "FormatError",
    "InvalidArgument",
    "DependencyError",
    "NotFound",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Union[bool, None, Callable[[str, int, int], object]]

#: Opens a bundle directory; see ``help(geoplex.open)``.
open = _geoplex.open  # noqa: A001  (shadows the builtin inside this package only, like gzip.open)

ElevationLine.to_shapely = elevation_line_to_shapely
ElevationLine.to_shapely.__doc__ = "The profile as a shapely LineString with z (needs shapely)."
Route.to_shapely = route_to_shapely
Geocoder.geocode_dataframe = geocode_dataframe
Geocoder.reverse_dataframe = reverse_dataframe


def _progress_callable(progress: Progress):
    if progress is None or progress is False:
        return None
    if progress is True:
        return TextProgress()
    if callable(progress):
        return progress
    raise TypeError(f"progress must be a bool, None or a callable(task, done, total), not {type(progress).__name__}")


def build(spec: PathLike, out_dir: PathLike, progress: Progress = True) -> None:
    """Builds the bundle described by the TOML file ``spec`` into ``out_dir``.

    The build is atomic (a failed or cancelled build leaves no half bundle) and releases the GIL.
    Ctrl-C cancels it (KeyboardInterrupt).

    Args:
        spec: path of the bundle spec (``bundle.toml``); relative paths in it resolve against its folder.
        out_dir: bundle directory to write (an existing bundle there is replaced).
        progress: True for a text bar on stderr, False/None for silence, or a callable
            ``(task: str, done: int, total: int)``; an exception it raises stops the build and is
            re-raised. Log lines go to the ``logging`` logger ``"geoplex"``.

    Raises:
        InvalidArgument: the spec is wrong (``.problems`` lists every problem).
        IoError, DependencyError: a source could not be read.
    """
    callback = _progress_callable(progress)
    try:
        _geoplex.build(spec, out_dir, progress=callback)
    finally:
        if isinstance(callback, TextProgress):
            callback.close()


def synth(
    out_dir: PathLike,
    size: str = "village",
    seed: int = 1,
    road_nodes: Optional[int] = None,
    origin: Optional[tuple] = None,
    progress: Progress = False,
) -> dict:
    """Generates a deterministic synthetic territory into ``out_dir``.

    Writes roads.osm.pbf, addresses.csv (BAN format), dem.tif, layers.gpkg, basemap.tif and a
    ``bundle.toml`` ready for :func:`build`. Same arguments, same files.

    Args:
        out_dir: folder to write (created if missing).
        size: ``"village"`` (~1 000 road nodes), ``"town"`` (~20 000), ``"city"`` (~200 000),
            ``"region"`` (~1 000 000) or ``"<N>-nodes"``.
        seed: seed of every random choice (>= 0).
        road_nodes: overrides the node count of ``size``.
        origin: ``(lon, lat)`` of the south-west corner (metropolitan France).
        progress: as for :func:`build` (default: silent).

    Returns:
        dict with the counts (nodes, ways, addresses, communes…), ``bbox``, the DEM size, the
        paths written (``bundle``, ``dem``, … as pathlib.Path) and a printable ``report``.
    """
    callback = _progress_callable(progress)
    try:
        return _geoplex.synth(out_dir, size=size, seed=seed, road_nodes=road_nodes, origin=origin, progress=callback)
    finally:
        if isinstance(callback, TextProgress):
            callback.close()
