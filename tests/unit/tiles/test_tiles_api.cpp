// Handler tests of the tile services (WMTS, TMS, XYZ, TileJSON, styles) through Router::handle on
// a bundle built by bundle::build from a [tiles] spec. Independent checks: GDAL's WMTS driver
// parses our GetCapabilities, GDAL's MVT/PNG drivers decode what the endpoints return.

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <gdal.h>
#include <nlohmann/json.hpp>
#include <ogr_api.h>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/server/tiles_api.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::test;
using nlohmann::json;

namespace {

struct Fixture {
    TempDir dir{"geoplex-tiles-api"};
    std::optional<bundle::Engine> engine;
    server::Router router;

    Fixture() {
        std::ofstream(dir / "spec.toml") << fmt::format(R"(
name = "tiles-test"
[tiles]
threads = 2
[[tiles.raster]]
id = "ortho"
title = "Ortho Montpellier"
path = "{}"
[[tiles.raster]]
id = "scan"
path = "{}"
crs = "EPSG:2154"
tile_matrix_set = "LAMB93"
format = "jpeg"
[[tiles.vector]]
id = "departements"
path = "{}"
fields = ["code", "nom"]
max_zoom = 10
[[tiles.pyramids]]
layer = "departements"
max_zoom = 3
)", data_file("raster/ortho-rgb-20cm-montpellier.tif").string(), data_file("raster/scan1000-gueret-200px.nocrs.tif").string(),
                                                         data_file("vector/departements.geojson").string());
        bundle::build(dir / "spec.toml", dir / "bundle");
        engine = bundle::Engine::open(dir / "bundle");
        server::TilesApiOptions o;
        o.base_url = "http://tiles.test";
        server::add_tiles_routes(router, o);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

server::Response get(const std::string& path, server::Fields query = {}, server::Fields headers = {}) {
    server::Request req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    req.headers = std::move(headers);
    return fixture().router.handle(req, *fixture().engine);
}

const std::string* header(const server::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return &v;
    return nullptr;
}

void write_file(const std::filesystem::path& p, std::string_view s) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
}

std::size_t mvt_feature_count(const std::filesystem::path& file) {
    const char* drivers[] = {"MVT", nullptr};
    GDALDatasetH ds = GDALOpenEx(file.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    std::size_t n = 0;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) n += static_cast<std::size_t>(OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, i), TRUE));
    GDALClose(ds);
    return n;
}

}  // namespace

TEST_CASE("the bundle has the tiles component") {
    const auto& e = *fixture().engine;
    REQUIRE(e.has_tiles());
    CHECK(e.tiles().layers().size() == 3);
    CHECK(e.tiles().find("departements")->pyramid == "departements.pmtiles");
    CHECK(std::filesystem::exists(e.directory() / "tiles" / "departements.pmtiles"));
}

TEST_CASE("WMTS GetCapabilities parses with GDAL's WMTS driver") {
    GDALAllRegister();
    const auto r = get("/wmts", {{"SERVICE", "WMTS"}, {"REQUEST", "GetCapabilities"}, {"VERSION", "1.0.0"}});
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/xml");
    CHECK(r.body.find("<ows:Identifier>LAMB93</ows:Identifier>") != std::string::npos);
    const auto file = fixture().dir / "caps.xml";
    write_file(file, r.body);
    // GDAL reads the layer's extent and the tile matrix set from the document (no tile fetched).
    GDALDatasetH ds = GDALOpen(fmt::format("WMTS:{},layer=ortho", file.string()).c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    // GDAL takes the finest matrix of the set and places the layer where our capabilities say.
    const auto& ts = fixture().engine->tiles();
    auto check = [&](GDALDatasetH d, const char* layer) {
        double gt[6];
        REQUIRE(GDALGetGeoTransform(d, gt) == CE_None);
        const auto* set = ts.find_tile_matrix_set(ts.find(layer)->tile_matrix_set);
        CHECK(gt[1] == Approx(set->matrices.back().cell_size).epsilon(1e-9));
        const auto& nb = ts.find(layer)->native_bounds;
        const double cx = (nb.min_x + nb.max_x) / 2, cy = (nb.min_y + nb.max_y) / 2;
        CHECK(gt[0] <= cx);
        CHECK(gt[0] + gt[1] * GDALGetRasterXSize(d) >= cx);
        CHECK(gt[3] >= cy);
        CHECK(gt[3] + gt[5] * GDALGetRasterYSize(d) <= cy);
    };
    check(ds, "ortho");
    GDALClose(ds);
    GDALDatasetH ds2 = GDALOpen(fmt::format("WMTS:{},layer=scan", file.string()).c_str(), GA_ReadOnly);
    REQUIRE(ds2 != nullptr);
    check(ds2, "scan");
    GDALClose(ds2);
}

TEST_CASE("WMTS GetTile serves the TMS tile; errors are OWS exception reports") {
    const auto& ts = fixture().engine->tiles();
    const auto& info = *ts.find("ortho");
    const auto& m = ts.find_tile_matrix_set("PM")->matrices[19];
    const double cx = (info.native_bounds.min_x + info.native_bounds.max_x) / 2;
    const double cy = (info.native_bounds.min_y + info.native_bounds.max_y) / 2;
    const auto col = static_cast<std::uint64_t>(std::floor((cx - m.origin_x) / m.tile_span_x()));
    const auto row = static_cast<std::uint64_t>(std::floor((m.origin_y - cy) / m.tile_span_y()));
    const auto r = get("/wmts", {{"SERVICE", "WMTS"}, {"REQUEST", "GetTile"}, {"VERSION", "1.0.0"}, {"LAYER", "ortho"},
                                 {"STYLE", "normal"}, {"FORMAT", "image/png"}, {"TILEMATRIXSET", "PM"}, {"TILEMATRIX", "19"},
                                 {"TILEROW", std::to_string(row)}, {"TILECOL", std::to_string(col)}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "image/png");
    const auto t = get(fmt::format("/tms/1.0.0/ortho/19/{}/{}.png", col, row));
    REQUIRE(t.status == 200);
    CHECK(t.body == r.body);
    const auto xyz = get(fmt::format("/tiles/ortho/19/{}/{}.png", col, row));
    CHECK(xyz.body == r.body);
    REQUIRE(header(r, "ETag") != nullptr);
    CHECK(header(r, "Cache-Control") != nullptr);
    // 304 on a matching If-None-Match.
    const auto again = get(fmt::format("/tms/1.0.0/ortho/19/{}/{}.png", col, row), {}, {{"if-none-match", *header(r, "ETag")}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());

    const auto out = get("/wmts", {{"SERVICE", "WMTS"}, {"REQUEST", "GetTile"}, {"LAYER", "ortho"}, {"STYLE", "normal"},
                                   {"FORMAT", "image/png"}, {"TILEMATRIXSET", "PM"}, {"TILEMATRIX", "19"},
                                   {"TILEROW", "99999999"}, {"TILECOL", "0"}});
    CHECK(out.status == 400);
    CHECK(out.body.find("exceptionCode=\"TileOutOfRange\"") != std::string::npos);
    CHECK(out.body.find("locator=\"TILEROW\"") != std::string::npos);
    const auto missing = get("/wmts", {{"SERVICE", "WMTS"}, {"REQUEST", "GetTile"}, {"LAYER", "ortho"}});
    CHECK(missing.status == 400);
    CHECK(missing.body.find("MissingParameterValue") != std::string::npos);
    const auto bad_layer = get("/wmts", {{"SERVICE", "WMTS"}, {"REQUEST", "GetTile"}, {"LAYER", "x"}, {"STYLE", "normal"},
                                         {"FORMAT", "image/png"}, {"TILEMATRIXSET", "PM"}, {"TILEMATRIX", "1"},
                                         {"TILEROW", "0"}, {"TILECOL", "0"}});
    CHECK(bad_layer.status == 400);
    CHECK(bad_layer.body.find("locator=\"LAYER\"") != std::string::npos);
    const auto op = get("/wmts", {{"SERVICE", "WMTS"}, {"REQUEST", "GetFeatureInfo"}});
    CHECK(op.status == 501);
    CHECK(op.body.find("OperationNotSupported") != std::string::npos);
}

TEST_CASE("TMS vector tiles: gzip as clients expect, 204 for empty, 404 out of range") {
    const auto& ts = fixture().engine->tiles();
    // From the pyramid (z3) and rendered on the fly (z6).
    for (const auto& [z, x, y] : {std::tuple{3, 4, 2}, std::tuple{6, 32, 22}}) {
        const std::string path = fmt::format("/tms/1.0.0/departements/{}/{}/{}.pbf", z, x, y);
        const auto gz = get(path, {}, {{"accept-encoding", "gzip, deflate, br"}});
        REQUIRE(gz.status == 200);
        CHECK(gz.content_type == "application/x-protobuf");
        REQUIRE(header(gz, "Content-Encoding") != nullptr);
        CHECK(*header(gz, "Content-Encoding") == "gzip");
        const auto plain = get(path);
        REQUIRE(plain.status == 200);
        CHECK(header(plain, "Content-Encoding") == nullptr);
        CHECK(plain.body.size() > 2);
        CHECK(static_cast<unsigned char>(plain.body[0]) != 0x1f);  // not gzip
        const auto file = fixture().dir / "mvt" / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf");
        write_file(file, plain.body);
        CHECK(mvt_feature_count(file) > 0);
    }
    // An empty tile inside the layer's extent (sea inside France's bounding box) → 204.
    const auto& m = ts.find_tile_matrix_set("PM")->matrices[8];
    const auto& nb = ts.find("departements")->native_bounds;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> empty;
    for (std::uint64_t y = static_cast<std::uint64_t>((m.origin_y - nb.max_y) / m.tile_span_y()); !empty && y < 200; ++y)
        for (std::uint64_t x = static_cast<std::uint64_t>((nb.min_x - m.origin_x) / m.tile_span_x()); !empty && x < 140; ++x)
            if (ts.render("departements", 8, x, y).status == tiles::TileStatus::empty) empty = {x, y};
    REQUIRE(empty);
    CHECK(get(fmt::format("/tms/1.0.0/departements/8/{}/{}.pbf", empty->first, empty->second)).status == 204);
    CHECK(get("/tms/1.0.0/departements/8/0/0.pbf").status == 404);          // outside the extent
    CHECK(get("/tms/1.0.0/departements/11/1000/700.pbf").status == 404);    // above max zoom
    CHECK(get("/tms/1.0.0/departements/3/4/2.png").status == 404);          // not a raster layer
    CHECK(get("/tms/1.0.0/nope/3/4/2.pbf").status == 404);
}

TEST_CASE("TileJSON, MapLibre style and the TileMapService list") {
    const auto tj = get("/tms/1.0.0/departements/metadata.json");
    REQUIRE(tj.status == 200);
    const auto j = json::parse(tj.body);
    CHECK(j["tilejson"] == "3.0.0");
    CHECK(j["tiles"][0] == "http://tiles.test/tms/1.0.0/departements/{z}/{x}/{y}.pbf");
    CHECK(j["vector_layers"][0]["id"] == "departements");
    CHECK(j["maxzoom"] == 10);
    CHECK(j["bounds"][0].get<double>() == Approx(-5.14).margin(0.05));
    const auto alias = json::parse(get("/tiles/departements.json").body);
    CHECK(alias["tiles"][0] == "http://tiles.test/tiles/departements/{z}/{x}/{y}.pbf");
    const auto st = json::parse(get("/tms/1.0.0/departements/style.json").body);
    CHECK(st["version"] == 8);
    CHECK(st["sources"]["departements"]["type"] == "vector");
    CHECK(st["sources"]["departements"]["url"] == "http://tiles.test/tms/1.0.0/departements/metadata.json");
    REQUIRE(st["layers"].size() >= 1);
    CHECK(st["layers"][0]["source-layer"] == "departements");
    const auto list = get("/tms/1.0.0");
    CHECK(list.status == 200);
    CHECK(list.body.find("href=\"http://tiles.test/tms/1.0.0/scan/metadata.json\"") != std::string::npos);
    CHECK(get("/tms/1.0.0/nope/metadata.json").status == 404);
}
