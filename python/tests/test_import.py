"""The package imports, exposes its API, and documents it."""

import inspect
import re

import geoplex

PUBLIC_CLASSES = [
    geoplex.Engine,
    geoplex.Manifest,
    geoplex.Altimetry,
    geoplex.ResourceInfo,
    geoplex.SourceInfo,
    geoplex.ElevationLine,
    geoplex.Router,
    geoplex.Route,
    geoplex.Geocoder,
    geoplex.Tileset,
    geoplex.Tile,
    geoplex.TextProgress,
]


def test_version_is_semver():
    assert re.fullmatch(r"\d+\.\d+\.\d+", geoplex.__version__), geoplex.__version__
    assert geoplex._geoplex.__version__ == geoplex.__version__


def test_all_names_exist():
    missing = [name for name in geoplex.__all__ if not hasattr(geoplex, name)]
    assert missing == []
    assert callable(geoplex.open)
    assert "open" not in geoplex.__all__  # a star import must not shadow the builtin open()


def test_every_public_callable_is_documented():
    undocumented = []
    for name in [*geoplex.__all__, "open"]:
        obj = getattr(geoplex, name)
        if callable(obj) and not (obj.__doc__ or "").strip():
            undocumented.append(name)
    for cls in PUBLIC_CLASSES:
        for attr, member in vars(cls).items():
            if attr.startswith("_"):
                continue
            if not (getattr(member, "__doc__", None) or "").strip():
                undocumented.append(f"{cls.__name__}.{attr}")
    assert undocumented == []


def test_every_class_has_its_own_repr():
    for cls in PUBLIC_CLASSES:
        assert cls.__repr__ is not object.__repr__, cls.__name__


def test_arguments_are_named():
    # pybind11 writes the argument names (from py::arg) in the signature line of the docstring.
    def signature(func):
        return func.__doc__.splitlines()[0]

    assert signature(geoplex.open).startswith("open(path: ")
    assert "verify_checksums: bool = False" in signature(geoplex.open)
    for arg in ("lon: ", "lat: ", "resource: ", "interpolation: str = 'bilinear'", "nodata: "):
        assert arg in signature(geoplex.Altimetry.elevation), arg
    for arg in ("sampling: ", "include_vertices: bool = False"):
        assert arg in signature(geoplex.Altimetry.elevation_line), arg
    assert list(inspect.signature(geoplex.build).parameters) == ["spec", "out_dir", "progress"]
    assert list(inspect.signature(geoplex.synth).parameters)[:3] == ["out_dir", "size", "seed"]
    for arg in ("points: ", "profile: str = 'car'", "optimization: str = 'fastest'", "constraints: ", "snap_radius: "):
        assert arg in signature(geoplex.Router.route), arg
    for arg in ("sources: ", "targets: ", "max_size: "):
        assert arg in signature(geoplex.Router.matrix), arg
    for arg in ("q: str", "limit: int = 10", "index: object = 'address'", "lon: ", "lat: ", "postcode: ", "city: "):
        assert arg in signature(geoplex.Geocoder.search), arg
    for arg in ("layer: str", "z: int", "x: int", "y: int", "format: "):
        assert arg in signature(geoplex.Tileset.render), arg
    assert list(inspect.signature(geoplex.Geocoder.geocode_dataframe).parameters)[:3] == ["self", "df", "columns"]
