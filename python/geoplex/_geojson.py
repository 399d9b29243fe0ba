"""GeoJSON and shapely conversions of geoplex results (pure Python, no extra dependency
except shapely for the to_shapely helpers)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np


def points_feature_collection(lon, lat, z, properties: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A GeoJSON FeatureCollection of Points ``[lon, lat, z]`` (e.g. the result of
    ``Altimetry.elevation``). ``properties`` (optional) maps a property name to a sequence of
    the same length, one value per point."""
    lon = np.asarray(lon, dtype=np.float64).ravel()
    lat = np.asarray(lat, dtype=np.float64).ravel()
    z = np.asarray(z, dtype=np.float64).ravel()
    if not (lon.shape == lat.shape == z.shape):
        raise ValueError(f"lon, lat and z must have the same length, got {lon.size}, {lat.size} and {z.size}")
    columns = {k: list(v) for k, v in (properties or {}).items()}
    for name, values in columns.items():
        if len(values) != lon.size:
            raise ValueError(f"property {name!r} has {len(values)} values for {lon.size} points")
    features = []
    for i, (x, y, h) in enumerate(zip(lon.tolist(), lat.tolist(), z.tolist())):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y, h]},
            "properties": {name: _plain(values[i]) for name, values in columns.items()},
        })
    return {"type": "FeatureCollection", "features": features}


def elevation_line_to_shapely(line):
    """The ElevationLine as a shapely LineString with z (needs shapely)."""
    from shapely.geometry import LineString

    return LineString(np.column_stack([line.lon, line.lat, line.z]))


def route_to_shapely(route):
    """The Route's geometry as a shapely LineString (needs shapely)."""
    from shapely.geometry import LineString

    if len(route) < 2:
        raise ValueError(f"the route has no line to convert (status {route.status!r}, {len(route)} points; "
                         "was it computed with geometry=False?)")
    return LineString(np.asarray(route.geometry))


def results_feature_collection(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Geocoder results (the dicts of ``Geocoder.search``/``reverse``/``completion``) as a GeoJSON
    FeatureCollection of Points, as the Géoplateforme's /geocodage/search returns: every key but
    lon/lat becomes a property, with ``x``/``y`` = lon/lat."""
    features = []
    for r in results:
        properties = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        properties["x"], properties["y"] = r["lon"], r["lat"]
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": properties,
        })
    return {"type": "FeatureCollection", "features": features}


def _plain(value):
    # numpy scalars are not JSON-serialisable; give json.dumps plain Python numbers.
    return value.item() if isinstance(value, np.generic) else value
