"""Helpers for geoplex.Isochrones results (pure Python; shapely only for isochrones_to_shapely)."""


def isochrones_to_shapely(feature_collection):
    """The contours of Isochrones.compute() as a list of shapely Polygon/MultiPolygon (needs shapely)."""
    from shapely.geometry import shape

    return [shape(f["geometry"]) for f in feature_collection["features"]]
