// Tests of the tiles component on real data. Every reference is independent of the code under
// test: GDAL's MVT driver decodes the vector tiles, GDAL/GEOS (OGR) computes the expected
// feature sets and areas, gdalwarp renders reference raster tiles, gdaldem the reference
// hillshade, pmtiles_reader.py (written from the PMTiles v3 spec) reads the PMTiles archives,
// GDAL's MBTiles driver the MBTiles files, and the tile matrix sets are checked against the
// values published by OGC (WebMercatorQuad) and IGN's ROK4 (LAMB93).

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <nlohmann/json.hpp>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <toml++/toml.h>
#include <zlib.h>

#include "geoplex/core/error.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "support/subprocess.hpp"
#include "support/test_data.hpp"
#include "tiles/detail.hpp"
#include "tiles/spec.hpp"

using namespace geoplex;
using namespace geoplex::tiles;
using geoplex::test::data_file;
using geoplex::test::run_command;
using geoplex::test::TempDir;

namespace {

void write_file(const std::filesystem::path& p, std::string_view s) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
}

// ---- OGR helpers (the independent side) ------------------------------------------------------

struct Geom {
    OGRGeometryH h = nullptr;
    explicit Geom(OGRGeometryH g = nullptr) : h(g) {}
    ~Geom() { if (h != nullptr) OGR_G_DestroyGeometry(h); }
    Geom(Geom&& o) noexcept : h(o.h) { o.h = nullptr; }
    Geom& operator=(Geom&&) = delete;
    Geom(const Geom&) = delete;
    Geom& operator=(const Geom&) = delete;
};

Geom box_geometry(const BBox& b) {
    const std::string wkt = fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", b.min_x, b.min_y, b.max_x, b.max_y);
    OGRGeometryH g = nullptr;
    char* p = const_cast<char*>(wkt.c_str());
    OGR_G_CreateFromWkt(&p, nullptr, &g);
    return Geom(g);
}

/// A source layer read by OGR and transformed to `crs`, with one attribute as the key.
struct SourceFeatures {
    std::vector<std::pair<std::string, Geom>> items;
};
SourceFeatures load_source(const std::filesystem::path& path, const char* layer, const char* key, const char* crs) {
    GDALAllRegister();
    SourceFeatures out;
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    OGRLayerH l = layer != nullptr ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    OGRSpatialReferenceH dst = OSRNewSpatialReference(nullptr);
    OSRSetFromUserInput(dst, crs);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH src = OSRClone(OGR_L_GetSpatialRef(l));
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
    OGRFeatureH f = nullptr;
    while ((f = OGR_L_GetNextFeature(l)) != nullptr) {
        OGRGeometryH g = OGR_G_Clone(OGR_F_GetGeometryRef(f));
        OGR_G_FlattenTo2D(g);
        OGR_G_Transform(g, ct);
        out.items.emplace_back(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, key)), Geom(g));
        OGR_F_Destroy(f);
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    GDALClose(ds);
    return out;
}

/// A tile decoded by GDAL's MVT driver (no clipping by the reader, so that our own clipping
/// is what is checked). Coordinates come back in EPSG:3857 because the path is …/z/x/y.pbf.
struct Decoded {
    std::vector<std::string> keys;
    std::vector<Geom> geoms;
    int invalid = 0;
    std::string layer_name;
    int layers = 0;
};
Decoded decode_mvt(const std::filesystem::path& file, const char* key) {
    const char* drivers[] = {"MVT", nullptr};
    const char* options[] = {"CLIP=NO", nullptr};
    GDALDatasetH ds = GDALOpenEx(file.c_str(), GDAL_OF_VECTOR, drivers, options, nullptr);
    REQUIRE(ds != nullptr);
    Decoded d;
    d.layers = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < d.layers; ++i) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        d.layer_name = OGR_L_GetName(l);
        OGRFeatureH f = nullptr;
        while ((f = OGR_L_GetNextFeature(l)) != nullptr) {
            const int k = OGR_F_GetFieldIndex(f, key);
            d.keys.emplace_back(k >= 0 ? OGR_F_GetFieldAsString(f, k) : "");
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (g == nullptr || !OGR_G_IsValid(g)) ++d.invalid;
            d.geoms.emplace_back(g != nullptr ? OGR_G_Clone(g) : nullptr);
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
    return d;
}

BBox grow(BBox b, double d) { return BBox::of(b.min_x - d, b.min_y - d, b.max_x + d, b.max_y + d); }

std::uint32_t crc(std::string_view s) {
    return static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

/// RGBA pixels of an image file read by GDAL (1..4 bands; missing alpha = opaque).
struct Pixels {
    int w = 0, h = 0;
    std::vector<std::uint8_t> rgba;
};
Pixels read_pixels(const std::filesystem::path& file) {
    GDALDatasetH ds = GDALOpen(file.c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    Pixels p;
    p.w = GDALGetRasterXSize(ds);
    p.h = GDALGetRasterYSize(ds);
    const int n = GDALGetRasterCount(ds);
    const std::size_t px = static_cast<std::size_t>(p.w) * static_cast<std::size_t>(p.h);
    p.rgba.assign(px * 4, 255);
    std::vector<std::uint8_t> band(px);
    for (int b = 1; b <= n; ++b) {
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ds, b), GF_Read, 0, 0, p.w, p.h, band.data(), p.w, p.h, GDT_Byte, 0, 0) == CE_None);
        const int slot = n >= 3 ? b - 1 : (b == 1 ? 0 : 3);
        for (std::size_t i = 0; i < px; ++i) {
            p.rgba[i * 4 + static_cast<std::size_t>(slot)] = band[i];
            if (n < 3 && b == 1) p.rgba[i * 4 + 1] = p.rgba[i * 4 + 2] = band[i];
        }
    }
    GDALClose(ds);
    return p;
}

struct Psnr {
    double psnr = 0;
    std::size_t compared = 0;
    std::size_t alpha_mismatch = 0;
};
/// PSNR of the colour channels over pixels opaque in both; alpha compared as a mask.
Psnr compare(const Pixels& a, const Pixels& b, int channels = 3) {
    REQUIRE(a.w == b.w);
    REQUIRE(a.h == b.h);
    double se = 0;
    Psnr r;
    for (std::size_t i = 0; i < a.rgba.size() / 4; ++i) {
        const bool oa = a.rgba[i * 4 + 3] == 255, ob = b.rgba[i * 4 + 3] == 255;
        const bool ta = a.rgba[i * 4 + 3] == 0, tb = b.rgba[i * 4 + 3] == 0;
        if ((oa && tb) || (ta && ob)) ++r.alpha_mismatch;
        if (!oa || !ob) continue;
        for (int c = 0; c < channels; ++c) {
            const double d = double(a.rgba[i * 4 + static_cast<std::size_t>(c)]) - double(b.rgba[i * 4 + static_cast<std::size_t>(c)]);
            se += d * d;
        }
        ++r.compared;
    }
    const double mse = r.compared == 0 ? 0 : se / (double(r.compared) * channels);
    r.psnr = mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
    return r;
}

VectorLayerConfig departements_layer() {
    VectorLayerConfig v;
    v.id = "departements";
    v.path = data_file("vector/departements.geojson");
    v.fields = {"code", "nom"};
    v.max_zoom = 12;
    return v;
}

/// SCAN 1000 extract without a CRS, served in LAMB93.
RasterLayerConfig scan_layer() {
    RasterLayerConfig scan;
    scan.id = "scan";
    scan.path = data_file("raster/scan1000-gueret-200px.nocrs.tif");
    scan.crs = "EPSG:2154";
    scan.tile_matrix_set = "LAMB93";
    scan.resampling = Resampling::nearest;
    return scan;
}

VectorLayerConfig troncons_layer() {
    VectorLayerConfig v;
    v.id = "troncon_de_route";
    v.path = data_file("vector/bdtopo-marseille10/bdtopo-marseille10.gpkg");
    v.source_layer = "troncon_de_route";
    v.fields = {"cleabs", "nature", "importance", "fictif"};
    v.max_zoom = 18;
    return v;
}

/// Range of tiles of `m` covering `b` (set CRS).
struct TileRange {
    std::uint64_t c0, c1, r0, r1;
};
TileRange range_of(const TileMatrix& m, const BBox& b) {
    auto col = [&](double x) { return static_cast<std::uint64_t>(std::clamp(std::floor((x - m.origin_x) / m.tile_span_x()), 0.0, double(m.matrix_width - 1))); };
    auto row = [&](double y) { return static_cast<std::uint64_t>(std::clamp(std::floor((m.origin_y - y) / m.tile_span_y()), 0.0, double(m.matrix_height - 1))); };
    return {col(b.min_x), col(b.max_x), row(b.max_y), row(b.min_y)};
}

/// Decodes every tile of `layer` at zoom `z` over the source extent with GDAL and checks it
/// against the source read by OGR: right features (by key), valid geometries, and for polygons
/// the area inside the tile. Returns the number of non-empty tiles checked.
int check_vector_zoom(const Tileset& ts, const VectorLayerConfig& cfg, const SourceFeatures& src, const char* key,
                      std::uint32_t z, const TempDir& tmp, bool polygons, std::uint64_t max_tiles = 1000000) {
    const TileMatrixSet& pm = *ts.find_tile_matrix_set("PM");
    const TileMatrix& m = pm.matrices[z];
    const LayerInfo& info = *ts.find(cfg.id);
    const auto r = range_of(m, info.native_bounds);
    int checked = 0;
    std::uint64_t visited = 0;
    for (std::uint64_t y = r.r0; y <= r.r1; ++y) {
        for (std::uint64_t x = r.c0; x <= r.c1; ++x) {
            if (++visited > max_tiles) return checked;
            const Tile t = ts.render(cfg.id, z, x, y);
            const BBox tb = m.tile_bounds(x, y);
            const double unit = m.tile_span_x() / cfg.extent;
            // Expected: features intersecting the buffered tile (may), features clearly inside
            // the tile (must: more than a sliver, which quantisation may legitimately drop).
            std::set<std::string> may, must;
            double expected_area = 0;
            Geom inner = box_geometry(tb);
            Geom shrunk = box_geometry(grow(tb, -3 * unit));
            Geom buffered = box_geometry(grow(tb, (cfg.buffer + 2) * unit));
            for (const auto& [k, g] : src.items) {
                if (!OGR_G_Intersects(g.h, buffered.h)) continue;
                may.insert(k);
                if (polygons) {
                    Geom in(OGR_G_Intersection(g.h, inner.h));
                    const double a = in.h != nullptr ? OGR_G_Area(in.h) : 0;
                    expected_area += a;
                    if (a > 1e-3 * OGR_G_Area(inner.h)) must.insert(k);
                } else {
                    Geom in(OGR_G_Intersection(g.h, shrunk.h));
                    if (in.h != nullptr && OGR_G_Length(in.h) > 4 * unit) must.insert(k);
                }
            }
            INFO(fmt::format("tile {}/{}/{}", z, x, y));
            if (t.status != TileStatus::ok) {
                CHECK(t.status == TileStatus::empty);
                CHECK(must.empty());
                continue;
            }
            CHECK(t.gzipped);
            const auto file = tmp.path() / "mvt" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf");
            write_file(file, t.bytes);  // GDAL reads gzip-compressed tiles as served
            const Decoded d = decode_mvt(file, key);
            CHECK(d.layers == 1);
            CHECK(d.layer_name == cfg.id);
            CHECK(d.invalid == 0);
            const std::set<std::string> got(d.keys.begin(), d.keys.end());
            CHECK(got.size() == d.keys.size());  // one MVT feature per source feature
            for (const auto& k : must) CHECK(got.contains(k));
            for (const auto& k : got) CHECK(may.contains(k));
            if (polygons) {
                double area = 0;
                for (const auto& g : d.geoms) {
                    Geom in(OGR_G_Intersection(g.h, inner.h));
                    if (in.h != nullptr) area += OGR_G_Area(in.h);
                }
                // Simplification (4 extent units) and rounding move edges by a few units: the
                // area inside the tile agrees within 1 % of the tile.
                CHECK(std::abs(area - expected_area) <= 0.01 * OGR_G_Area(inner.h));
            }
            ++checked;
        }
    }
    return checked;
}

}  // namespace

// ---- tile matrix sets ------------------------------------------------------------------------

TEST_CASE("WebMercatorQuad matches the OGC scale denominators and origin") {
    const auto pm = TileMatrixSet::well_known("WebMercatorQuad");
    CHECK(pm.id == "PM");
    CHECK(pm.is_web_mercator_quad());
    // OGC 17-083r4 Annex D (WebMercatorQuad) published values.
    const std::map<int, double> published{{0, 559082264.0287178}, {1, 279541132.0143589}, {10, 545978.7734655447},
                                          {18, 2132.729583849784}, {21, 266.5911979812228}};
    for (const auto& [z, sd] : published) CHECK(pm.matrices[static_cast<std::size_t>(z)].scale_denominator == Approx(sd).epsilon(1e-12));
    CHECK(pm.matrices[0].cell_size == Approx(156543.0339280410).epsilon(1e-12));
    CHECK(pm.matrices[0].origin_x == Approx(-20037508.3427892));
    CHECK(pm.matrices[5].matrix_width == 32);
    const BBox b = pm.matrices[1].tile_bounds(1, 0);  // north-east quarter
    CHECK(b.min_x == Approx(0).margin(1e-6));
    CHECK(b.min_y == Approx(0).margin(1e-6));
    CHECK(b.max_x == Approx(20037508.3427892));
}

TEST_CASE("LAMB93 is ROK4's: non-power-of-two resolutions and matrix sizes") {
    const auto l = TileMatrixSet::well_known("LAMB93");
    CHECK(l.crs == "EPSG:2154");
    REQUIRE(l.levels() == 22);
    // rok4/tilematrixsets LAMB93.json (commit 8f63544), levels 0, 10, 21.
    CHECK(l.matrices[0].cell_size == 104579.224549894);
    CHECK(l.matrices[10].cell_size == 102.0783167832);
    CHECK(l.matrices[10].matrix_width == 51);
    CHECK(l.matrices[10].matrix_height == 232);
    CHECK(l.matrices[21].scale_denominator == 178.010363571429);
    CHECK(l.matrices[0].origin_y == 12000000);
    // Not a quadtree: consecutive resolutions are not exactly halved.
    CHECK(l.matrices[0].cell_size / l.matrices[1].cell_size != 2.0);
    // The grid covers metropolitan France (L93 x 100 000..1 250 000, y 6 000 000..7 200 000).
    for (const auto& m : l.matrices) {
        CHECK(m.origin_x + m.tile_span_x() * double(m.matrix_width) >= 1250000);
        CHECK(m.origin_y - m.tile_span_y() * double(m.matrix_height) <= 6000000);
    }
    CHECK_FALSE(l.is_web_mercator_quad());
}

TEST_CASE("OGC TileMatrixSet 2.0 JSON: reads a custom set and round-trips") {
    // A hand-written two-level set in the OGC 2.0 encoding with northing-first axes.
    const std::string doc = R"({
      "id": "Custom2154", "title": "test", "crs": "http://www.opengis.net/def/crs/EPSG/0/2154",
      "orderedAxes": ["N", "E"],
      "tileMatrices": [
        {"id": "a", "scaleDenominator": 1000000, "cellSize": 280, "cornerOfOrigin": "topLeft",
         "pointOfOrigin": [7200000, 100000], "tileWidth": 512, "tileHeight": 512, "matrixWidth": 9, "matrixHeight": 9},
        {"id": "b", "scaleDenominator": 500000, "pointOfOrigin": [7200000, 100000],
         "tileWidth": 256, "tileHeight": 256, "matrixWidth": 36, "matrixHeight": 36}
      ]})";
    const auto s = TileMatrixSet::from_json(doc);
    CHECK(s.crs == "EPSG:2154");
    REQUIRE(s.levels() == 2);
    CHECK(s.matrices[0].origin_x == 100000);
    CHECK(s.matrices[0].origin_y == 7200000);
    CHECK(s.matrices[1].cell_size == Approx(140.0));  // from the scale denominator and 0.28 mm pixels
    const auto back = TileMatrixSet::from_json(s.to_json());
    CHECK(back.crs == s.crs);
    CHECK(back.matrices[1].matrix_width == 36);
    CHECK(back.matrices[0].origin_y == 7200000);
    CHECK_THROWS_AS(TileMatrixSet::from_json("{\"id\":\"x\"}"), FormatError);
    CHECK_THROWS_AS(TileMatrixSet::well_known("nope"), Error);
    const auto w = TileMatrixSet::well_known("WorldCRS84Quad");
    CHECK(w.matrices[0].matrix_width == 2);
    CHECK(w.matrices[0].scale_denominator == Approx(279541132.0143589).epsilon(1e-9));  // OGC value
}

TEST_CASE("PMTiles tile ids follow the specification's Hilbert numbering") {
    CHECK(pmtiles_tile_id(0, 0, 0) == 0);
    CHECK(pmtiles_tile_id(1, 0, 0) == 1);
    CHECK(pmtiles_tile_id(1, 0, 1) == 2);
    CHECK(pmtiles_tile_id(1, 1, 1) == 3);
    CHECK(pmtiles_tile_id(1, 1, 0) == 4);
    CHECK(pmtiles_tile_id(2, 0, 0) == 5);
    CHECK(pmtiles_tile_id(12, 3423, 1763) == 19078479);  // the reference implementations' test value
}

// ---- vector tiles ----------------------------------------------------------------------------

TEST_CASE("departements: every tile z0-z7 decodes with GDAL's MVT driver, right features, valid, right area") {
    TempDir tmp("geoplex-tiles");
    BuildConfig cfg;
    cfg.vector_layers.push_back(departements_layer());
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    const LayerInfo& info = *ts.find("departements");
    CHECK(info.is_vector);
    CHECK(info.geometry_type == "Polygon");
    CHECK(info.fields == std::vector<std::string>{"code", "nom"});
    CHECK(info.bounds.min_x == Approx(-5.14).margin(0.05));
    CHECK(info.bounds.max_y == Approx(51.09).margin(0.05));
    const auto src = load_source(data_file("vector/departements.geojson"), nullptr, "code", "EPSG:3857");
    REQUIRE(src.items.size() == 96);
    int total = 0;
    for (std::uint32_t z = 0; z <= 7; ++z) total += check_vector_zoom(ts, cfg.vector_layers[0], src, "code", z, tmp, true);
    CHECK(total > 40);
    // Deeper zooms: a sample of tiles (the first 60 of the range) at z10.
    CHECK(check_vector_zoom(ts, cfg.vector_layers[0], src, "code", 10, tmp, true, 60) > 0);
    // Out of the set / zoom range.
    CHECK(ts.render("departements", 13, 0, 0).status == TileStatus::out_of_range);
    CHECK(ts.render("departements", 3, 0, 0).status == TileStatus::out_of_range);  // far from France
    CHECK_THROWS_AS(ts.render("nope", 0, 0, 0), Error);
    CHECK_THROWS_AS(ts.render("departements", 0, 0, 0, TileFormat::png), InvalidArgument);
}

TEST_CASE("BD TOPO Marseille roads: tiles z12-z15 decode with GDAL's MVT driver with the right features") {
    TempDir tmp("geoplex-tiles");
    BuildConfig cfg;
    cfg.vector_layers.push_back(troncons_layer());
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    CHECK(ts.find("troncon_de_route")->geometry_type == "LineString");
    const auto src = load_source(data_file("vector/bdtopo-marseille10/bdtopo-marseille10.gpkg"), "troncon_de_route", "cleabs",
                                 "EPSG:3857");
    REQUIRE(src.items.size() == 2936);
    int total = 0;
    for (std::uint32_t z = 12; z <= 15; ++z) total += check_vector_zoom(ts, cfg.vector_layers[0], src, "cleabs", z, tmp, false);
    CHECK(total > 20);
}

TEST_CASE("vector tiles: attributes are typed and de-duplicated, limits apply") {
    TempDir tmp("geoplex-tiles");
    BuildConfig cfg;
    auto v = troncons_layer();
    v.max_features = 5;
    cfg.vector_layers.push_back(v);
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    // The tile at the centre of the data.
    const auto& nb = ts.find("troncon_de_route")->native_bounds;
    const auto centre = BBox::of((nb.min_x + nb.max_x) / 2, (nb.min_y + nb.max_y) / 2, (nb.min_x + nb.max_x) / 2, (nb.min_y + nb.max_y) / 2);
    const auto c14 = range_of(ts.find_tile_matrix_set("PM")->matrices[14], centre);
    const Tile t = ts.render("troncon_de_route", 14, c14.c0, c14.r0);
    REQUIRE(t.status == TileStatus::ok);
    const auto file = tmp.path() / "14" / std::to_string(c14.c0) / (std::to_string(c14.r0) + ".pbf");
    write_file(file, t.bytes);
    const Decoded d = decode_mvt(file, "cleabs");
    CHECK(d.keys.size() == 5);
    // The boolean field stays an integer-typed (boolean) field in GDAL's reading of the tile.
    const std::string info = run_command(fmt::format("ogrinfo -ro -al -so {} 2>&1", file.string()));
    CHECK(info.find("fictif: Integer(Boolean)") != std::string::npos);
    CHECK(info.find("cleabs: String") != std::string::npos);
    // A byte limit: the tile is re-simplified, then cut to what fits.
    auto small = troncons_layer();
    small.max_tile_bytes = 2000;
    BuildConfig c2;
    c2.vector_layers.push_back(small);
    const Tileset ts2 = Tileset::from_config(c2, o);
    const auto c13 = range_of(ts.find_tile_matrix_set("PM")->matrices[13], centre);
    const Tile t2 = ts2.render("troncon_de_route", 13, c13.c0, c13.r0);
    REQUIRE(t2.status == TileStatus::ok);
    CHECK(detail::gzip_decompress(t2.bytes).size() <= 2000);
}

// ---- raster tiles ----------------------------------------------------------------------------

namespace {

/// Renders tiles of `layer` at `z` and compares each with gdalwarp's rendering of the same
/// bounds; returns the worst PSNR.
double worst_psnr_vs_gdalwarp(const Tileset& ts, const RasterLayerConfig& cfg, std::uint32_t z, const TempDir& tmp,
                              int& checked) {
    const TileMatrixSet& set = *ts.find_tile_matrix_set(ts.find(cfg.id)->tile_matrix_set);
    const TileMatrix& m = set.matrices[z];
    const auto r = range_of(m, ts.find(cfg.id)->native_bounds);
    double worst = 99;
    for (std::uint64_t y = r.r0; y <= r.r1; ++y) {
        for (std::uint64_t x = r.c0; x <= r.c1; ++x) {
            const Tile t = ts.render(cfg.id, z, x, y, TileFormat::png);
            if (t.status != TileStatus::ok) continue;
            const BBox b = m.tile_bounds(x, y);
            const auto ours = tmp.path() / fmt::format("ours-{}-{}-{}.png", z, x, y);
            const auto ref = tmp.path() / fmt::format("ref-{}-{}-{}.tif", z, x, y);
            write_file(ours, t.bytes);
            run_command(fmt::format("gdalwarp -q -overwrite {} -t_srs {} -te {:.10f} {:.10f} {:.10f} {:.10f} -ts {} {} -r {} "
                                    "-dstalpha -ot Byte {} {}",
                                    cfg.crs.empty() ? "" : "-s_srs " + cfg.crs, set.crs, b.min_x, b.min_y, b.max_x, b.max_y,
                                    m.tile_width, m.tile_height, to_string(cfg.resampling), cfg.path.string(), ref.string()));
            const Psnr p = compare(read_pixels(ours), read_pixels(ref));
            INFO(fmt::format("tile {}/{}/{}: PSNR {:.1f} dB over {} px, {} alpha mismatches", z, x, y, p.psnr, p.compared,
                             p.alpha_mismatch));
            CHECK(p.compared > 0);
            CHECK(p.alpha_mismatch <= m.tile_width * 4);  // only along the raster's edge
            worst = std::min(worst, p.psnr);
            ++checked;
        }
    }
    return worst;
}

}  // namespace

TEST_CASE("raster tiles match gdalwarp (PSNR >= 40 dB): RGB ortho in PM, SCAN 1000 without CRS in LAMB93") {
    TempDir tmp("geoplex-tiles");
    RasterLayerConfig ortho;
    ortho.id = "ortho";
    ortho.path = data_file("raster/ortho-rgb-20cm-montpellier.tif");
    const RasterLayerConfig scan = scan_layer();
    BuildConfig cfg;
    cfg.raster_layers = {ortho, scan};
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    CHECK(ts.find("ortho")->max_zoom == 20);  // 0.2 m pixels → z20 (0.149 m)
    CHECK(ts.find("scan")->tile_matrix_set == "LAMB93");
    int checked = 0;
    for (std::uint32_t z : {17U, 19U, 20U}) CHECK(worst_psnr_vs_gdalwarp(ts, ortho, z, tmp, checked) >= 40.0);
    for (std::uint32_t z : {7U, 9U, 10U}) CHECK(worst_psnr_vs_gdalwarp(ts, scan, z, tmp, checked) >= 40.0);
    CHECK(checked >= 8);
    // Far from the data: out of range (404); JPEG and WebP decode with GDAL.
    CHECK(ts.render("ortho", 20, 0, 0).status == TileStatus::out_of_range);
    const auto& m = ts.find_tile_matrix_set("PM")->matrices[18];
    const auto r = range_of(m, ts.find("ortho")->native_bounds);
    for (auto f : {TileFormat::jpeg, TileFormat::webp}) {
        const Tile t = ts.render("ortho", 18, r.c0, r.r0, f);
        REQUIRE(t.status == TileStatus::ok);
        const auto file = tmp.path() / fmt::format("t.{}", to_string(f));
        write_file(file, t.bytes);
        const Pixels p = read_pixels(file);
        CHECK(p.w == 256);
    }
}

TEST_CASE("DEM styles: hillshade matches gdaldem on the same grid; colour ramp and nodata transparency") {
    TempDir tmp("geoplex-tiles");
    RasterLayerConfig hs;
    hs.id = "relief";
    hs.path = data_file("dem/mnt-50m-hautesavoie-100px.l93.tif");
    hs.style = RasterStyle::hillshade;
    hs.max_zoom = 14;  // over-zoom past the DEM's native z12
    RasterLayerConfig ramp = hs;
    ramp.id = "ramp";
    ramp.style = RasterStyle::color_ramp;
    ramp.ramp = {{0, 0, 0, 0, 255}, {2000, 200, 100, 50, 255}};
    BuildConfig cfg;
    cfg.raster_layers = {hs, ramp};
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    const auto& m = ts.find_tile_matrix_set("PM")->matrices[13];
    const auto r = range_of(m, ts.find("relief")->native_bounds);
    int checked = 0;
    for (std::uint64_t y = r.r0; y <= r.r1; ++y) {
        for (std::uint64_t x = r.c0; x <= r.c1; ++x) {
            const Tile t = ts.render("relief", 13, x, y);
            if (t.status != TileStatus::ok) continue;
            const BBox b = m.tile_bounds(x, y);
            const double c = m.cell_size;
            const auto dem = tmp.path() / "dem.tif";
            const auto shade = tmp.path() / "shade.tif";
            // Same grid with a one-pixel border, then gdaldem with the Mercator scale factor (-s: ground
            // metres per horizontal unit, cos(lat) for Web Mercator metres).
            run_command(fmt::format("gdalwarp -q -overwrite -t_srs EPSG:3857 -te {:.10f} {:.10f} {:.10f} {:.10f} -ts 258 258 "
                                    "-r bilinear -ot Float32 -dstnodata -99999 {} {}",
                                    b.min_x - c, b.min_y - c, b.max_x + c, b.max_y + c, hs.path.string(), dem.string()));
            const double lat = 2 * std::atan(std::exp((b.min_y + b.max_y) / 2 / 6378137.0)) - M_PI / 2;
            const auto full = tmp.path() / "shade_full.tif";
            run_command(fmt::format("gdaldem hillshade -q -compute_edges -az 315 -alt 45 -z 1 -s {:.12f} {} {}",
                                    std::cos(lat), dem.string(), full.string()));
            run_command(fmt::format("gdal_translate -q -srcwin 1 1 256 256 {} {}", full.string(), shade.string()));
            const auto ours = tmp.path() / "ours.png";
            write_file(ours, t.bytes);
            Pixels ref = read_pixels(shade);
            // gdaldem marks nodata as 0: make it transparent to compare masks.
            for (std::size_t i = 0; i < ref.rgba.size() / 4; ++i)
                if (ref.rgba[i * 4] == 0) ref.rgba[i * 4 + 3] = 0;
            const Psnr p = compare(read_pixels(ours), ref, 1);
            INFO(fmt::format("tile 13/{}/{}: PSNR {:.1f} dB over {} px", x, y, p.psnr, p.compared));
            CHECK(p.compared > 100);
            CHECK(p.psnr >= 40.0);
            ++checked;
        }
    }
    CHECK(checked > 0);
    // Colour ramp: a pixel's colour is the linear interpolation of its elevation (sampled by
    // gdallocationinfo at the same point).
    const auto& m12 = ts.find_tile_matrix_set("PM")->matrices[12];
    const auto r12 = range_of(m12, ts.find("ramp")->native_bounds);
    const Tile t = ts.render("ramp", 12, r12.c0, r12.r0);
    REQUIRE(t.status == TileStatus::ok);
    write_file(tmp.path() / "ramp.png", t.bytes);
    const Pixels p = read_pixels(tmp.path() / "ramp.png");
    int opaque = 0, transparent = 0;
    for (std::size_t i = 0; i < p.rgba.size() / 4; ++i) {
        if (p.rgba[i * 4 + 3] == 255) {
            ++opaque;
            // On this ramp green = red / 2 and blue = red / 4 (±1 for rounding).
            CHECK(std::abs(int(p.rgba[i * 4 + 1]) - int(p.rgba[i * 4]) / 2) <= 1);
            CHECK(std::abs(int(p.rgba[i * 4 + 2]) - int(p.rgba[i * 4]) / 4) <= 1);
        } else if (p.rgba[i * 4 + 3] == 0) {
            ++transparent;
        }
    }
    CHECK(opaque > 0);
    CHECK(transparent > 0);  // the 5 km DEM does not fill a z12 tile (~6.8 km): outside is transparent
}

// ---- pyramids --------------------------------------------------------------------------------

TEST_CASE("PMTiles pyramid reads back with an independent reader written from the spec") {
    TempDir tmp("geoplex-tiles");
    BuildConfig cfg;
    cfg.vector_layers.push_back(departements_layer());
    RasterLayerConfig ortho;
    ortho.id = "ortho";
    ortho.path = data_file("raster/ortho-rgb-20cm-montpellier.tif");
    cfg.raster_layers.push_back(ortho);
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    for (const char* layer : {"departements", "ortho"}) {
        PyramidConfig p;
        p.layer = layer;
        p.min_zoom = std::string(layer) == "ortho" ? 12 : 0;
        p.max_zoom = std::string(layer) == "ortho" ? 20 : 7;
        const auto file = tmp.path() / (std::string(layer) + ".pmtiles");
        std::uint64_t progress_calls = 0;
        core::Callbacks cb;
        cb.progress = [&](std::string_view, std::uint64_t, std::uint64_t) { ++progress_calls; };
        const auto written = write_pyramid(ts, p, file, 2, cb);
        CHECK(progress_calls >= static_cast<std::uint64_t>(p.max_zoom - p.min_zoom + 1));
        const auto out = nlohmann::json::parse(run_command(fmt::format("/usr/bin/python3 {}/pmtiles_reader.py {}",
                                                                       GEOPLEX_TILES_TEST_DIR, file.string())));
        INFO(layer);
        CHECK(out["min_zoom"] == p.min_zoom);
        CHECK(out["max_zoom"] == p.max_zoom);
        CHECK(out["clustered"] == 1);
        CHECK(out["tile_type"] == (std::string(layer) == "ortho" ? 2 : 1));
        CHECK(out["tile_compression"] == (std::string(layer) == "ortho" ? 1 : 2));
        const auto& tiles = out["tiles"];
        CHECK(tiles.size() == written);
        // Every tile the reader finds is the tile the library renders at that address.
        std::set<std::tuple<int, int, int>> seen;
        for (const auto& t : tiles) {
            const int z = t[0], x = t[1], y = t[2];
            seen.emplace(z, x, y);
            const Tile direct = ts.render(layer, static_cast<std::uint32_t>(z), static_cast<std::uint64_t>(x), static_cast<std::uint64_t>(y));
            REQUIRE(direct.status == TileStatus::ok);
            CHECK(t[3].get<std::size_t>() == direct.bytes.size());
            CHECK(t[4].get<std::uint32_t>() == crc(direct.bytes));
        }
        if (std::string(layer) == "departements") {
            CHECK(out["metadata"]["vector_layers"][0]["id"] == "departements");
            // Completeness at z5: every non-empty tile of the zoom is in the archive.
            const auto& m = ts.find_tile_matrix_set("PM")->matrices[5];
            const auto r = range_of(m, ts.find(layer)->native_bounds);
            for (std::uint64_t y = r.r0; y <= r.r1; ++y)
                for (std::uint64_t x = r.c0; x <= r.c1; ++x)
                    if (ts.render(layer, 5, x, y).status == TileStatus::ok) CHECK(seen.contains({5, int(x), int(y)}));
        }
    }
}

TEST_CASE("PMTiles writer: leaf directories, de-duplication and runs, read back by the independent reader") {
    TempDir tmp("geoplex-tiles");
    const auto file = tmp.path() / "synthetic.pmtiles";
    auto w = detail::make_pmtiles_writer(file);
    std::map<std::tuple<int, int, int>, std::string> written;
    std::mt19937 rng(42);
    // 40 000 distinct z9 tiles of random sizes: the directory cannot fit in the first 16 KiB.
    std::uniform_int_distribution<int> coord(0, 511), len(1, 60), byte(0, 255);
    while (written.size() < 40000) {
        const int x = coord(rng), y = coord(rng);
        if (written.contains({9, x, y})) continue;
        std::string b(static_cast<std::size_t>(len(rng)), '\0');
        for (auto& c : b) c = static_cast<char>(byte(rng));
        written[{9, x, y}] = b;
    }
    // The four z1 tiles are consecutive on the Hilbert curve: identical content → one run.
    for (int x = 0; x < 2; ++x)
        for (int y = 0; y < 2; ++y) written[{1, x, y}] = "same";
    // Identical contents far apart: stored once.
    for (int i = 0; i < 20; ++i) written[{6, i, 3}] = "duplicate-content";
    for (const auto& [k, b] : written) w->add(detail::TileRecord{static_cast<std::uint32_t>(std::get<0>(k)), static_cast<std::uint64_t>(std::get<1>(k)), static_cast<std::uint64_t>(std::get<2>(k)), b});
    detail::PyramidMetadata meta;
    meta.name = "synthetic";
    meta.min_zoom = 1;
    meta.max_zoom = 9;
    w->finish(meta);
    const auto out = nlohmann::json::parse(run_command(fmt::format("/usr/bin/python3 {}/pmtiles_reader.py {}", GEOPLEX_TILES_TEST_DIR, file.string())));
    CHECK(out["leaf_directories_bytes"].get<std::uint64_t>() > 0);
    const auto& tiles = out["tiles"];
    REQUIRE(tiles.size() == written.size());
    for (const auto& t : tiles) {
        const auto it = written.find({t[0].get<int>(), t[1].get<int>(), t[2].get<int>()});
        REQUIRE(it != written.end());
        CHECK(t[3].get<std::size_t>() == it->second.size());
        CHECK(t[4].get<std::uint32_t>() == crc(it->second));
    }
    // 4 z1 tiles in one entry, 20 duplicates sharing one blob.
    CHECK(out["tile_entries"].get<std::size_t>() <= written.size() - 3);
    CHECK(out["tile_contents"].get<std::size_t>() <= written.size() - 3 - 19);
    // And the library's own reader finds them through the leaves.
    const auto reader = detail::open_pyramid(file);
    for (const auto& [k, b] : std::vector<std::pair<std::tuple<int, int, int>, std::string>>(written.begin(), std::next(written.begin(), 50)))
        CHECK(reader->get(static_cast<std::uint32_t>(std::get<0>(k)), static_cast<std::uint64_t>(std::get<1>(k)), static_cast<std::uint64_t>(std::get<2>(k))) == b);
    CHECK_FALSE(reader->get(9, 600, 0).has_value());
}

TEST_CASE("MBTiles pyramids open with GDAL's MBTiles driver") {
    TempDir tmp("geoplex-tiles");
    BuildConfig cfg;
    cfg.vector_layers.push_back(departements_layer());
    RasterLayerConfig ortho;
    ortho.id = "ortho";
    ortho.path = data_file("raster/ortho-rgb-20cm-montpellier.tif");
    cfg.raster_layers.push_back(ortho);
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    PyramidConfig p;
    p.layer = "departements";
    p.container = PyramidContainer::mbtiles;
    p.max_zoom = 5;
    const auto vfile = tmp.path() / "dep.mbtiles";
    write_pyramid(ts, p, vfile, 2);
    // Features GDAL's MVT driver finds in our z5 tiles, one by one…
    const auto& m = ts.find_tile_matrix_set("PM")->matrices[5];
    const auto r = range_of(m, ts.find("departements")->native_bounds);
    std::size_t expected = 0;
    for (std::uint64_t y = r.r0; y <= r.r1; ++y)
        for (std::uint64_t x = r.c0; x <= r.c1; ++x) {
            const Tile t = ts.render("departements", 5, x, y);
            if (t.status != TileStatus::ok) continue;
            const auto f = tmp.path() / "5" / std::to_string(x) / (std::to_string(y) + ".pbf");
            write_file(f, t.bytes);
            expected += decode_mvt(f, "code").keys.size();
        }
    // …equal what the MBTiles driver reads at z5 (it walks the tiles table, rows from the bottom).
    const char* drivers[] = {"MBTiles", nullptr};
    const char* opts[] = {"ZOOM_LEVEL=5", "CLIP=NO", nullptr};
    GDALDatasetH ds = GDALOpenEx(vfile.c_str(), GDAL_OF_VECTOR, drivers, opts, nullptr);
    REQUIRE(ds != nullptr);
    REQUIRE(GDALDatasetGetLayerCount(ds) == 1);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    CHECK(std::string(OGR_L_GetName(l)) == "departements");
    CHECK(static_cast<std::size_t>(OGR_L_GetFeatureCount(l, TRUE)) == expected);
    OGREnvelope env;
    REQUIRE(OGR_L_GetExtent(l, &env, TRUE) == OGRERR_NONE);
    // In EPSG:3857: metropolitan France lies between about -5.2° and 9.6° east.
    CHECK(env.MinX == Approx(-5.2 * 111319.49).margin(120000));
    CHECK(env.MaxX == Approx(9.6 * 111319.49).margin(250000));
    GDALClose(ds);

    // Raster: GDAL mosaics the max zoom; its pixels equal our z17 tiles.
    PyramidConfig pr;
    pr.layer = "ortho";
    pr.container = PyramidContainer::mbtiles;
    pr.min_zoom = 15;
    pr.max_zoom = 17;
    const auto rfile = tmp.path() / "ortho.mbtiles";
    write_pyramid(ts, pr, rfile, 2);
    GDALDatasetH rds = GDALOpen(rfile.c_str(), GA_ReadOnly);
    REQUIRE(rds != nullptr);
    CHECK(GDALGetRasterCount(rds) == 4);
    double gt[6];
    REQUIRE(GDALGetGeoTransform(rds, gt) == CE_None);
    CHECK(gt[1] == Approx(ts.find_tile_matrix_set("PM")->matrices[17].cell_size));
    GDALClose(rds);
}

// ---- on-the-fly: cache, bundle folder, spec ----------------------------------------------------

TEST_CASE("Builder writes layers.json and pyramids; Tileset::open serves them") {
    TempDir tmp("geoplex-tiles");
    const auto spec_text = fmt::format(R"(
        threads = 2
        [[raster]]
        id = "ortho"
        path = "{}"
        format = "webp"
        [[vector]]
        id = "departements"
        path = "{}"
        fields = ["code", "nom"]
        max_zoom = 10
        [[pyramids]]
        layer = "departements"
        max_zoom = 4
    )", data_file("raster/ortho-rgb-20cm-montpellier.tif").string(), data_file("vector/departements.geojson").string());
    const auto table = toml::parse(spec_text);
    const BuildConfig cfg = detail::config_from_toml(table, tmp.path());
    REQUIRE(cfg.raster_layers.size() == 1);
    CHECK(cfg.raster_layers[0].format == TileFormat::webp);
    Builder(cfg).build(tmp.path() / "tiles");
    CHECK(std::filesystem::exists(tmp.path() / "tiles" / "layers.json"));
    CHECK(std::filesystem::exists(tmp.path() / "tiles" / "departements.pmtiles"));
    const Tileset ts = Tileset::open(tmp.path() / "tiles");
    REQUIRE(ts.layers().size() == 2);
    CHECK(ts.find("departements")->pyramid == "departements.pmtiles");
    CHECK(ts.find("ortho")->format == TileFormat::webp);
    // From the pyramid (z4) and on the fly (z6): both decode with GDAL.
    const Tile a = ts.render("departements", 4, 8, 5);
    REQUIRE(a.status == TileStatus::ok);
    write_file(tmp.path() / "4" / "8" / "5.pbf", a.bytes);
    CHECK(decode_mvt(tmp.path() / "4" / "8" / "5.pbf", "code").keys.size() > 10);
    const Tile b = ts.render("departements", 6, 32, 22);
    REQUIRE(b.status == TileStatus::ok);
    // The cache returns the same bytes.
    CHECK(ts.render("departements", 6, 32, 22).bytes == b.bytes);

    // Spec problems are all reported, with where they are.
    const auto bad = toml::parse(R"(
        [[vector]]
        id = "a b"
        extent = 10
        colour = 1
        [[pyramids]]
        layer = "zz"
    )");
    try {
        (void)detail::config_from_toml(bad, tmp.path());
        FAIL("expected InvalidArgument");
    } catch (const InvalidArgument& e) {
        const auto& p = e.problems();
        auto has = [&](std::string_view s) {
            return std::any_of(p.begin(), p.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
        };
        CHECK(has("unknown key 'colour'"));
        CHECK(has("vector_layers[0].id"));
        CHECK(has("vector_layers[0].extent"));
        CHECK(has("vector_layers[0].path: missing"));
        CHECK(has("pyramids[0].layer: no layer 'zz'"));
    }
}

// ---- native GeoJSON reader, pyramids of other sets -------------------------------------------------

TEST_CASE("the native GeoJSON reader yields the tiles OGR's reading yields") {
    TempDir tmp("geoplex-tiles");
    // Same file twice: `source_layer` makes the second layer go through OGR's GeoJSON driver.
    auto fast = departements_layer();
    fast.max_zoom = 8;
    auto ogr = fast;
    ogr.id = "departements_ogr";
    ogr.source_layer = "departements";
    BuildConfig cfg;
    cfg.vector_layers = {fast, ogr};
    OpenOptions o;
    o.cache_bytes = 0;
    o.gzip_vector_tiles = false;
    const Tileset ts = Tileset::from_config(cfg, o);
    const LayerInfo& a = *ts.find("departements");
    const LayerInfo& b = *ts.find("departements_ogr");
    CHECK(a.fields == b.fields);
    CHECK(a.geometry_type == b.geometry_type);
    CHECK(a.native_bounds.min_x == Approx(b.native_bounds.min_x).margin(1e-3));
    CHECK(a.native_bounds.max_y == Approx(b.native_bounds.max_y).margin(1e-3));
    int tiles = 0, identical = 0;
    const auto& pm = *ts.find_tile_matrix_set("PM");
    for (std::uint32_t z = 0; z <= 8; z += 2) {
        const auto r = range_of(pm.matrices[z], a.native_bounds);
        for (std::uint64_t y = r.r0; y <= r.r1; ++y)
            for (std::uint64_t x = r.c0; x <= r.c1; ++x) {
                const Tile ta = ts.render("departements", z, x, y), tb = ts.render("departements_ogr", z, x, y);
                INFO(fmt::format("tile {}/{}/{}", z, x, y));
                REQUIRE(ta.status == tb.status);
                if (ta.status != TileStatus::ok) continue;
                ++tiles;
                // Same features (the layer names differ, so compare what GDAL decodes).
                write_file(tmp.path() / "a" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf"), ta.bytes);
                write_file(tmp.path() / "b" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf"), tb.bytes);
                const Decoded da = decode_mvt(tmp.path() / "a" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf"), "nom");
                const Decoded db = decode_mvt(tmp.path() / "b" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf"), "nom");
                CHECK(da.keys == db.keys);
                bool same = da.geoms.size() == db.geoms.size();
                for (std::size_t i = 0; same && i < da.geoms.size(); ++i) {
                    char* wa = nullptr;
                    char* wb = nullptr;
                    OGR_G_ExportToWkt(da.geoms[i].h, &wa);
                    OGR_G_ExportToWkt(db.geoms[i].h, &wb);
                    same = std::string(wa) == std::string(wb);
                    CPLFree(wa);
                    CPLFree(wb);
                }
                identical += same;
            }
    }
    CHECK(tiles > 60);
    // Web Mercator computed analytically vs by PROJ: a last-bit difference may move one rounded
    // vertex in a rare tile.
    CHECK(identical >= tiles * 95 / 100);
}

TEST_CASE("LAMB93 pyramids: MBTiles rows flipped by the set's heights, directory files, both match gdalwarp") {
    TempDir tmp("geoplex-tiles");
    const RasterLayerConfig scan = scan_layer();
    BuildConfig cfg;
    cfg.raster_layers = {scan};
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    const TileMatrixSet& set = *ts.find_tile_matrix_set("LAMB93");
    PyramidConfig p;
    p.layer = "scan";
    p.min_zoom = 6;
    p.max_zoom = 10;
    // PMTiles cannot address LAMB93 tiles: refused with a clear message.
    CHECK_THROWS_AS(write_pyramid(ts, p, tmp.path() / "scan.pmtiles", 2), InvalidArgument);
    p.container = PyramidContainer::mbtiles;
    const auto mb = tmp.path() / "scan.mbtiles";
    const auto n = write_pyramid(ts, p, mb, 2);
    CHECK(n > 5);
    p.container = PyramidContainer::directory;
    CHECK(write_pyramid(ts, p, tmp.path() / "scan-dir", 2) == n);
    // metadata.json names the grid.
    std::ifstream meta_in(tmp.path() / "scan-dir" / "metadata.json");
    std::stringstream meta_text;
    meta_text << meta_in.rdbuf();
    const auto meta = nlohmann::json::parse(meta_text.str());
    CHECK(meta["tile_matrix_set"]["id"] == "LAMB93");
    // The tiles table read by Python's sqlite3 (not our reader): rows count from the bottom of
    // each LAMB93 matrix; every tile equals the on-the-fly rendering and the directory's file.
    const auto rows = nlohmann::json::parse(run_command(fmt::format(
        "/usr/bin/python3 -c \"import sqlite3, zlib, json, sys; db = sqlite3.connect(sys.argv[1]); "
        "print(json.dumps([[z, x, r, len(d), zlib.crc32(d)] for z, x, r, d in "
        "db.execute('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles')]))\" {}",
        mb.string())));
    std::uint64_t count = 0;
    int compared = 0;
    double worst = 99;
    for (const auto& row : rows) {
        const auto z = row[0].get<std::uint32_t>();
        const auto x = row[1].get<std::uint64_t>();
        const auto y = set.matrices[z].matrix_height - 1 - row[2].get<std::uint64_t>();
        ++count;
        INFO(fmt::format("tile {}/{}/{}", z, x, y));
        const Tile direct = ts.render("scan", z, x, y);
        REQUIRE(direct.status == TileStatus::ok);
        CHECK(row[3].get<std::size_t>() == direct.bytes.size());
        CHECK(row[4].get<std::uint32_t>() == crc(direct.bytes));
        const auto file = tmp.path() / "scan-dir" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".png");
        std::ifstream in(file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        CHECK(ss.str() == direct.bytes);
        if (z < 9 || compared >= 6) continue;
        // Against gdalwarp over the tile's LAMB93 bounds.
        const BBox b = set.matrices[z].tile_bounds(x, y);
        const auto ref = tmp.path() / fmt::format("ref-{}-{}-{}.tif", z, x, y);
        run_command(fmt::format("gdalwarp -q -overwrite -s_srs EPSG:2154 -t_srs EPSG:2154 -te {:.10f} {:.10f} {:.10f} {:.10f} -ts 256 256 "
                                "-r near -dstalpha -ot Byte {} {}",
                                b.min_x, b.min_y, b.max_x, b.max_y, scan.path.string(), ref.string()));
        const Psnr ps = compare(read_pixels(file), read_pixels(ref));
        CHECK(ps.compared > 0);
        worst = std::min(worst, ps.psnr);
        ++compared;
    }
    CHECK(count == n);
    CHECK(compared >= 3);
    CHECK(worst >= 40.0);
    // The library's own reader serves the pyramid back (rows flipped by the recorded set).
    const auto reader = detail::open_pyramid(mb);
    const auto dir_reader = detail::open_pyramid(tmp.path() / "scan-dir");
    const auto r10 = range_of(set.matrices[10], ts.find("scan")->native_bounds);
    const Tile t10 = ts.render("scan", 10, r10.c0, r10.r0);
    if (t10.status == TileStatus::ok) {
        CHECK(reader->get(10, r10.c0, r10.r0) == t10.bytes);
        CHECK(dir_reader->get(10, r10.c0, r10.r0) == t10.bytes);
    }
    // A spec asking PMTiles for a LAMB93 layer is refused before anything is built.
    BuildConfig bad = cfg;
    PyramidConfig bp;
    bp.layer = "scan";
    bad.pyramids.push_back(bp);
    CHECK_FALSE(bad.validate().empty());
}
