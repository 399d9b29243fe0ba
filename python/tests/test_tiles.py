"""geoplex.Tileset: layers, tiles to bytes and to RGBA arrays. Raster tiles are compared with GDAL
decoding the same bytes (/vsimem/) and with GDAL warping the source raster to the tile; vector tiles
are decoded by GDAL's MVT driver and compared with the source features (OGR)."""

import gzip
import json

import numpy as np
import pytest

import geoplex
from helpers import build_bundle
from reference import lonlat_to_tile, tile_bounds_3857, tile_bounds_lonlat

gdal = pytest.importorskip("osgeo.gdal")
ogr = pytest.importorskip("osgeo.ogr")
gdal.UseExceptions()


@pytest.fixture(scope="module")
def village_tiles(village):
    engine = geoplex.open(village["bundle"])
    min_lon, min_lat, max_lon, max_lat = village["summary"]["bbox"]
    centre = ((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    return {"tiles": engine.tiles, "engine": engine, "summary": village["summary"], "centre": centre}


def gdal_rgba(data: bytes, name: str) -> np.ndarray:
    """The tile image read by GDAL's Python bindings, expanded to RGBA the obvious way."""
    path = f"/vsimem/test-{name}"
    gdal.FileFromMemBuffer(path, data)
    try:
        ds = gdal.Open(path)
        bands = [ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)]
        table = ds.GetRasterBand(1).GetColorTable()
        if table is not None:
            lut = np.array([table.GetColorEntry(i) for i in range(table.GetCount())], dtype=np.uint8)
            return lut[bands[0]]
        opaque = np.full_like(bands[0], 255)
        layout = {1: [0, 0, 0, None], 2: [0, 0, 0, 1], 3: [0, 1, 2, None], 4: [0, 1, 2, 3]}[len(bands)]
        return np.dstack([bands[i] if i is not None else opaque for i in layout]).astype(np.uint8)
    finally:
        gdal.Unlink(path)


def mvt_features(data: bytes, z: int, x: int, y: int):
    """(layer name, attributes, geometry in EPSG:3857) of every feature, decoded by GDAL's MVT driver."""
    path = f"/vsimem/test-{z}-{x}-{y}.pbf"
    gdal.FileFromMemBuffer(path, data)
    try:
        ds = gdal.OpenEx(path, gdal.OF_VECTOR, allowed_drivers=["MVT"], open_options=[f"X={x}", f"Y={y}", f"Z={z}"])
        out = []
        for i in range(ds.GetLayerCount()):
            layer = ds.GetLayer(i)
            for f in layer:
                out.append((layer.GetName(), f.items(), f.GetGeometryRef().Clone()))
        return out
    finally:
        gdal.Unlink(path)


def source_names(layer, z, x, y):
    """Values of `nom` of the source features that touch the tile grown by its 64/4096 buffer (with
    margin), and of those that intersect its core (the tile shrunk by 10 % on each side): a tile
    must hold all of the latter and none outside the former."""
    min_lon, min_lat, max_lon, max_lat = tile_bounds_lonlat(z, x, y)
    pad_x, pad_y = (max_lon - min_lon) * 96 / 4096, (max_lat - min_lat) * 96 / 4096
    layer.SetSpatialFilterRect(min_lon - pad_x, min_lat - pad_y, max_lon + pad_x, max_lat + pad_y)
    touching = {f.GetField("nom") for f in layer}
    dx, dy = (max_lon - min_lon) * 0.1, (max_lat - min_lat) * 0.1
    core = ogr.CreateGeometryFromWkt(
        f"POLYGON(({min_lon + dx} {min_lat + dy},{max_lon - dx} {min_lat + dy},{max_lon - dx} {max_lat - dy},"
        f"{min_lon + dx} {max_lat - dy},{min_lon + dx} {min_lat + dy}))")
    layer.SetSpatialFilter(core)
    inside = {f.GetField("nom") for f in layer if f.GetGeometryRef().Intersects(core)}
    layer.SetSpatialFilter(None)
    return touching, inside


# ---- layers ------------------------------------------------------------------------------------------

def test_layers(village_tiles):
    t = village_tiles["tiles"]
    engine = village_tiles["engine"]
    assert engine.has_tiles and engine.tiles is t
    layers = {layer["id"]: layer for layer in t.layers()}
    assert set(layers) == {"basemap", "relief", "communes"}
    basemap, communes = layers["basemap"], layers["communes"]
    assert basemap["kind"] == "raster" and basemap["format"] == "png" and basemap["tile_matrix_set"] == "PM"
    assert basemap["max_zoom"] == 15 and "jpeg" in basemap["formats"] and "webp" in basemap["formats"]
    assert communes["kind"] == "vector" and communes["format"] == "pbf" and communes["max_zoom"] == 14
    assert "nom" in communes["fields"] and communes["geometry_type"] == "Polygon"
    # The layer's WGS84 bounds are the source raster's, as GDAL reports them (the basemap is
    # projected: the two differ in how the edges are sampled, by a few metres).
    ring = gdal.Info(str(village_tiles["summary"]["basemap"]), format="json")["wgs84Extent"]["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assert basemap["bounds"] == pytest.approx((min(lons), min(lats), max(lons), max(lats)), abs=1e-4)
    assert t.layer("communes") == communes
    assert json.dumps(t.layers())
    (pm,) = t.tile_matrix_sets()
    assert pm["id"] == "PM" and pm["crs"].endswith("3857") and pm["web_mercator_quad"]
    doc = t.tile_matrix_set("PM")
    assert len(doc["tileMatrices"]) == pm["levels"]
    assert "basemap" in repr(t)


def test_tile_bounds_are_web_mercator(village_tiles):
    t = village_tiles["tiles"]
    x, y = lonlat_to_tile(*village_tiles["centre"], 13)
    assert t.tile_bounds("basemap", 13, x, y) == pytest.approx(tile_bounds_3857(13, x, y), abs=1e-6)


# ---- raster tiles ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer,z", [("basemap", 13), ("basemap", 15), ("relief", 14)])
def test_raster_tile_bytes_and_array_agree_with_gdal(village_tiles, layer, z):
    t = village_tiles["tiles"]
    x, y = lonlat_to_tile(*village_tiles["centre"], z)
    png = t.render(layer, z, x, y)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    rgba = t.render_array(layer, z, x, y)
    assert rgba.shape == (256, 256, 4) and rgba.dtype == np.uint8
    np.testing.assert_array_equal(rgba, gdal_rgba(png, f"{layer}-{z}.png"))
    assert rgba[..., 3].max() == 255 and rgba[..., :3].std() > 1  # some opaque, non-uniform content


def test_basemap_tile_matches_gdalwarp_of_the_source(village_tiles):
    t, summary = village_tiles["tiles"], village_tiles["summary"]
    z = 15
    x, y = lonlat_to_tile(*village_tiles["centre"], z)
    rgba = t.render_array("basemap", z, x, y).astype(np.int32)

    def warped(col, row):
        ds = gdal.Warp("", str(summary["basemap"]), format="MEM", dstSRS="EPSG:3857",
                       outputBounds=tile_bounds_3857(z, col, row), width=256, height=256, resampleAlg="bilinear")
        return np.dstack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(3)]).astype(np.int32)

    same = np.abs(rgba[..., :3] - warped(x, y)).mean()
    neighbour = np.abs(rgba[..., :3] - warped(x + 1, y)).mean()
    assert same < 4.0, same
    assert neighbour > 3 * same, (same, neighbour)  # the comparison can tell tiles apart


def test_other_image_formats(village_tiles):
    t = village_tiles["tiles"]
    x, y = lonlat_to_tile(*village_tiles["centre"], 14)
    jpeg = t.render("basemap", 14, x, y, format="jpeg")
    webp = t.render("basemap", 14, x, y, format="image/webp")
    assert jpeg[:3] == b"\xff\xd8\xff" and webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    png_rgba = t.render_array("basemap", 14, x, y)
    for fmt, data in (("jpeg", jpeg), ("webp", webp)):
        rgba = t.render_array("basemap", 14, x, y, format=fmt)
        np.testing.assert_array_equal(rgba, gdal_rgba(data, f"b.{fmt}"))
        assert (rgba[..., 3] == 255).all()
        # Lossy, but the same picture as the PNG where the PNG is opaque.
        opaque = png_rgba[..., 3] == 255
        assert np.abs(rgba[..., :3].astype(int) - png_rgba[..., :3])[opaque].mean() < 8


def test_tile_object(village_tiles):
    t = village_tiles["tiles"]
    x, y = lonlat_to_tile(*village_tiles["centre"], 13)
    tile = t.tile("basemap", 13, x, y)
    assert tile.status == "ok" and tile.format == "png" and tile.mime_type == "image/png"
    assert tile.data == t.render("basemap", 13, x, y) and len(tile) == len(tile.data) and not tile.gzipped
    far = t.tile("basemap", 13, 0, 0)
    assert far.status == "out_of_range" and far.data == b""
    assert "status='ok'" in repr(tile)


# ---- vector tiles -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("z", [12, 14])
def test_vector_tile_decoded_by_gdal_matches_the_source(village_tiles, z):
    t, summary = village_tiles["tiles"], village_tiles["summary"]
    x, y = lonlat_to_tile(*village_tiles["centre"], z)
    data = t.render("communes", z, x, y)
    assert data[:2] != b"\x1f\x8b"  # render() gives the plain protobuf
    tile = t.tile("communes", z, x, y)
    assert tile.gzipped and tile.format == "pbf" and gzip.decompress(tile.data) == data
    features = mvt_features(data, z, x, y)
    assert features and {name for name, _, _ in features} == {"communes"}
    names = {attrs["nom"] for _, attrs, _ in features}

    source = ogr.Open(str(summary["layers"]))  # kept alive while its layer is used
    touching, inside = source_names(source.GetLayerByName("communes"), z, x, y)
    assert inside <= names <= touching
    # Decoded geometries lie in the tile (plus its buffer), in EPSG:3857.
    bx0, by0, bx1, by1 = tile_bounds_3857(z, x, y)
    pad = (bx1 - bx0) * 65 / 4096
    for _, _, geom in features:
        gx0, gx1, gy0, gy1 = geom.GetEnvelope()
        assert bx0 - pad <= gx0 and gx1 <= bx1 + pad and by0 - pad <= gy0 and gy1 <= by1 + pad


# ---- errors ------------------------------------------------------------------------------------------------

def test_bad_input_raises_documented_errors(village_tiles):
    t = village_tiles["tiles"]
    x, y = lonlat_to_tile(*village_tiles["centre"], 13)
    with pytest.raises(geoplex.NotFound, match="unknown tile layer 'roads'"):
        t.render("roads", 13, x, y)
    with pytest.raises(geoplex.NotFound, match="outside layer 'basemap'"):
        t.render("basemap", 13, 0, 0)
    with pytest.raises(LookupError, match="outside"):
        t.render_array("basemap", 16, 0, 0)
    with pytest.raises(geoplex.InvalidArgument, match=r"format must be 'png'.*not 'gif'"):
        t.render("basemap", 13, x, y, format="gif")
    with pytest.raises(geoplex.InvalidArgument):
        t.render("basemap", 13, x, y, format="pbf")  # not a format of a raster layer
    with pytest.raises(geoplex.InvalidArgument, match="vector layer"):
        t.render_array("communes", 13, x, y)
    with pytest.raises(ValueError, match=r"z must be in \[0, 30\], got -1"):
        t.render("basemap", -1, x, y)
    with pytest.raises(geoplex.NotFound, match="LAMB93"):
        t.tile_matrix_set("LAMB93")
    with pytest.raises(geoplex.IoError):
        geoplex.Tileset.open(village_tiles["summary"]["bundle"].parent / "nowhere")


# ---- real data ---------------------------------------------------------------------------------------------

def test_departements_vector_tiles(test_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("departements")
    path = (test_data / "vector" / "departements-version-simplifiee.geojson").resolve()
    bundle = build_bundle(
        root, f'name = "fr"\n[tiles]\n[[tiles.vector]]\nid = "departements"\npath = "{path.as_posix()}"\nmax_zoom = 8\n')
    t = geoplex.Tileset.open(bundle / "tiles")
    z = 6
    x, y = lonlat_to_tile(2.35, 48.85, z)  # Paris
    names = {attrs["nom"] for _, attrs, _ in mvt_features(t.render("departements", z, x, y), z, x, y)}
    source = ogr.Open(str(path))
    touching, inside = source_names(source.GetLayer(0), z, x, y)
    assert "Paris" in names and len(inside) > 5
    assert inside <= names <= touching


# ---- Tileset.from_layers: no bundle ------------------------------------------------------------------------

def test_from_layers_renders_like_the_bundle(village_tiles):
    t, summary = village_tiles["tiles"], village_tiles["summary"]
    direct = geoplex.Tileset.from_layers(
        raster=[{"id": "basemap", "path": str(summary["basemap"]), "format": "png", "max_zoom": 15}],
        vector=[{"id": "communes", "path": str(summary["layers"]), "source_layer": "communes", "max_zoom": 14}])
    assert [layer["id"] for layer in direct.layers()] == ["basemap", "communes"]
    for z in (12, 15):
        x, y = lonlat_to_tile(*village_tiles["centre"], z)
        assert direct.render("basemap", z, x, y) == t.render("basemap", z, x, y)
    x, y = lonlat_to_tile(*village_tiles["centre"], 13)
    assert direct.render("communes", 13, x, y) == t.render("communes", 13, x, y)


def test_from_layers_checks_its_dicts(village_tiles):
    path = str(village_tiles["summary"]["basemap"])
    with pytest.raises(geoplex.InvalidArgument, match=r"raster\[0\]: unknown key 'colour'"):
        geoplex.Tileset.from_layers(raster=[{"id": "a", "path": path, "colour": "red"}])
    with pytest.raises(geoplex.InvalidArgument, match=r"raster\[0\].max_zoom must be an int, not str"):
        geoplex.Tileset.from_layers(raster=[{"id": "a", "path": path, "max_zoom": "12"}])
    with pytest.raises(geoplex.InvalidArgument, match=r"raster\[0\].style must be 'bands'"):
        geoplex.Tileset.from_layers(raster=[{"id": "a", "path": path, "style": "sepia"}])
    with pytest.raises(geoplex.InvalidArgument, match="id"):
        geoplex.Tileset.from_layers(raster=[{"id": "bad id!", "path": path}])
    with pytest.raises(geoplex.InvalidArgument, match="at least one"):
        geoplex.Tileset.from_layers()
    with pytest.raises(geoplex.InvalidArgument, match="raster must be a list of dicts"):
        geoplex.Tileset.from_layers(raster={"id": "a", "path": path})


def test_lambert93_raster_tile_matches_gdalwarp(test_data):
    path = test_data / "raster" / "scan1000-gueret-200px.l93.tif"
    t = geoplex.Tileset.from_layers(raster=[{"id": "scan", "path": str(path), "tile_matrix_set": "LAMB93",
                                             "resampling": "bilinear"}])
    layer = t.layer("scan")
    z = layer["max_zoom"]
    src = gdal.Open(str(path))
    gt = src.GetGeoTransform()
    cx, cy = gt[0] + gt[1] * src.RasterXSize / 2, gt[3] + gt[5] * src.RasterYSize / 2
    # The tile holding the raster's centre, from the OGC TileMatrixSet document (not from geoplex code).
    matrix = t.tile_matrix_set("LAMB93")["tileMatrices"][z]
    ox, oy = matrix["pointOfOrigin"]
    span_x, span_y = matrix["cellSize"] * matrix["tileWidth"], matrix["cellSize"] * matrix["tileHeight"]
    col, row = int((cx - ox) // span_x), int((oy - cy) // span_y)
    bounds = t.tile_bounds("scan", z, col, row)
    assert bounds == pytest.approx((ox + col * span_x, oy - (row + 1) * span_y, ox + (col + 1) * span_x, oy - row * span_y))
    rgba = t.render_array("scan", z, col, row)
    assert rgba.shape == (matrix["tileHeight"], matrix["tileWidth"], 4)
    np.testing.assert_array_equal(rgba, gdal_rgba(t.render("scan", z, col, row), "scan.png"))

    def warped(c, r):
        ds = gdal.Warp("", str(path), format="MEM", outputBounds=t.tile_bounds("scan", z, c, r),
                       width=matrix["tileWidth"], height=matrix["tileHeight"], resampleAlg="bilinear", dstAlpha=True)
        return np.dstack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(4)]).astype(int)

    reference = warped(col, row)
    both = (rgba[..., 3] == 255) & (reference[..., 3] == 255)
    assert both.mean() > 0.5
    same = np.abs(rgba[..., :3].astype(int) - reference[..., :3])[both].mean()
    assert same < 6.0, same
