// The publishing REST API over HTTP (in-process Router) on real files of $GEOPLEX_TEST_DATA:
// upload → checks → processing → configuration → offering → the layer served by the tile routes
// (decoded and compared with independent readings) → unpublish; every access-control case on a
// restricted offering; storage, upload and offering quotas; hostile input.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <cpl_vsi.h>
#include <gdal.h>
#include <fmt/format.h>
#include <gdal_utils.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "geoplex/server/tiles_api.hpp"
#include "support/test_data.hpp"
#include "unit/server/catalog_test_support.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace geoplex;
using namespace geoplex::server;

namespace {

constexpr const char* admin_token = "bootstrap-admin-token-for-tests";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

using Reply = test::ApiReply;

/// A catalog, its routes and the tile routes, called in-process.
struct Harness {
    test::TempDir dir{"geoplex-catalog-api"};
    std::shared_ptr<catalog::Catalog> catalog;
    Router router;

    explicit Harness(std::int64_t upload_quota = 500'000'000'000, std::int64_t endpoint_quota = 1) {
        catalog::CatalogConfig c;
        c.data_dir = dir.path();
        c.store_uri = "sqlite:" + (dir.path() / "catalog.sqlite").string();
        c.admin_token = admin_token;
        c.storage_tiers = {{"default", 500'000'000'000}, {"tiny", 1000}};
        c.upload_quota = upload_quota;
        c.endpoint_quota = endpoint_quota;
        c.max_file_bytes = 4'000'000;
        catalog = std::make_shared<catalog::Catalog>(c);
        add_catalog_routes(router, catalog);
        TilesApiOptions o;
        o.layers = catalog_layer_provider(catalog);
        add_tiles_routes(router, o);
    }

    Reply call(const std::string& method, const std::string& target, const std::string& body = {}, Fields headers = {},
               const std::string& address = "127.0.0.1") {
        return test::handle(router, method, target, body, std::move(headers), address);
    }
    Reply api(const std::string& method, const std::string& target, const std::string& token, const json& body = nullptr) {
        Fields h{{"authorization", "Bearer " + token}};
        if (!body.is_null()) h.emplace_back("content-type", "application/json");
        return call(method, "/api" + target, body.is_null() ? std::string() : body.dump(), std::move(h));
    }
};

/// The WebMercatorQuad tile (z, x, y from the top) holding lon/lat.
std::pair<std::uint64_t, std::uint64_t> tile_of(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z);
    const double rad = lat * M_PI / 180.0;
    return {static_cast<std::uint64_t>((lon + 180.0) / 360.0 * n),
            static_cast<std::uint64_t>((1.0 - std::log(std::tan(rad) + 1.0 / std::cos(rad)) / M_PI) / 2.0 * n)};
}

// ---- a minimal protobuf reader for MVT (independent of the encoder under test) ----

std::uint64_t varint(std::string_view& s) {
    std::uint64_t v = 0;
    for (int shift = 0; !s.empty(); shift += 7) {
        const auto b = static_cast<unsigned char>(s.front());
        s.remove_prefix(1);
        v |= static_cast<std::uint64_t>(b & 0x7fU) << static_cast<unsigned>(shift);
        if ((b & 0x80U) == 0) break;
    }
    return v;
}

/// Layer name → feature count of an MVT tile.
std::map<std::string, int> mvt_layers(std::string_view tile) {
    std::map<std::string, int> out;
    while (!tile.empty()) {
        const auto key = varint(tile);
        const auto wire = key & 7U;
        if (wire != 2) {  // Tile has only length-delimited fields we care about
            if (wire == 0) varint(tile);
            continue;
        }
        const auto len = varint(tile);
        std::string_view layer = tile.substr(0, len);
        tile.remove_prefix(len);
        if ((key >> 3U) != 3) continue;
        std::string name;
        int features = 0;
        while (!layer.empty()) {
            const auto k = varint(layer);
            const auto w = k & 7U;
            if (w == 0) {
                varint(layer);
                continue;
            }
            if (w != 2) break;
            const auto l = varint(layer);
            if ((k >> 3U) == 1) name = std::string(layer.substr(0, l));
            if ((k >> 3U) == 2) ++features;
            layer.remove_prefix(l);
        }
        out[name] = features;
    }
    return out;
}

/// Band means (RGB) over pixels opaque in both images, and how many there were.
struct Compare {
    double max_mean_diff = 0;
    std::size_t both_opaque = 0;
};

std::vector<std::vector<std::uint8_t>> read_rgba(GDALDatasetH ds) {
    const int bands = GDALGetRasterCount(ds);
    std::vector<std::vector<std::uint8_t>> out(4, std::vector<std::uint8_t>(256 * 256, 255));
    for (int b = 1; b <= bands && b <= 4; ++b) {
        auto& buf = out[static_cast<std::size_t>(bands == 2 && b == 2 ? 3 : b - 1)];
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ds, b), GF_Read, 0, 0, 256, 256, buf.data(), 256, 256, GDT_Byte, 0, 0) == CE_None);
    }
    if (bands < 3) out[1] = out[2] = out[0];
    return out;
}

Compare compare_with_gdal_warp(const std::string& png, const fs::path& source, int z, std::uint64_t x, std::uint64_t y) {
    GDALAllRegister();
    const std::string mem = "/vsimem/catalog_api_tile.png";
    VSILFILE* f = VSIFileFromMemBuffer(mem.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(png.data())), png.size(), FALSE);
    VSIFCloseL(f);
    GDALDatasetH served = GDALOpen(mem.c_str(), GA_ReadOnly);
    REQUIRE(served != nullptr);
    REQUIRE(GDALGetRasterXSize(served) == 256);
    const double world = 20037508.342789244, span = 2 * world / std::ldexp(1.0, z);
    const double minx = -world + static_cast<double>(x) * span, maxy = world - static_cast<double>(y) * span;
    const std::vector<std::string> args = {"-of", "MEM", "-t_srs", "EPSG:3857", "-te", std::to_string(minx), std::to_string(maxy - span),
                                           std::to_string(minx + span), std::to_string(maxy), "-ts", "256", "256", "-r", "bilinear", "-dstalpha"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(argv.data(), nullptr);
    GDALDatasetH src = GDALOpen(source.c_str(), GA_ReadOnly);
    REQUIRE(src != nullptr);
    GDALDatasetH ref = GDALWarp("", nullptr, 1, &src, opts, nullptr);
    GDALWarpAppOptionsFree(opts);
    REQUIRE(ref != nullptr);
    const auto a = read_rgba(served), b = read_rgba(ref);
    GDALClose(ref);
    GDALClose(src);
    GDALClose(served);
    VSIUnlink(mem.c_str());
    Compare c;
    double sums[3][2] = {};
    for (std::size_t i = 0; i < 256 * 256; ++i) {
        if (a[3][i] == 0 || b[3][i] == 0) continue;
        ++c.both_opaque;
        for (int k = 0; k < 3; ++k) {
            sums[k][0] += a[static_cast<std::size_t>(k)][i];
            sums[k][1] += b[static_cast<std::size_t>(k)][i];
        }
    }
    for (auto& s : sums)
        if (c.both_opaque > 0) c.max_mean_diff = std::max(c.max_mean_diff, std::abs(s[0] - s[1]) / static_cast<double>(c.both_opaque));
    return c;
}

/// Polls an entity until its status leaves the transient ones (the worker is also waited for).
json settle(Harness& h, const std::string& target, const std::string& token) {
    h.catalog->wait_idle();
    const Reply r = h.api("GET", target, token);
    REQUIRE(r.status == 200);
    return r.js();
}

struct Actors {
    std::string producer, consumer, consumer_id, datastore, community;
};

Actors setup_actors(Harness& h) {
    Actors a;
    Reply r = h.api("POST", "/users", admin_token, json{{"email", "producteur@ign.example"}, {"roles", {"PRODUCER"}}});
    REQUIRE(r.status == 201);
    a.producer = r.js()["token"];
    const std::string producer_id = r.js()["_id"];
    r = h.api("POST", "/users", admin_token, json{{"email", "consommateur@example.org"}});
    REQUIRE(r.status == 201);
    a.consumer = r.js()["token"];
    a.consumer_id = r.js()["_id"];
    r = h.api("POST", "/communities", admin_token, json{{"name", "IGN"}, {"technical_name", "ign"}});
    REQUIRE(r.status == 201);
    a.community = r.js()["_id"];
    a.datastore = r.js()["datastore"];
    r = h.api("PUT", "/communities/" + a.community + "/users/" + producer_id, admin_token,
              json{{"rights", {"COMMUNITY", "UPLOAD", "PROCESSING", "BROADCAST"}}});
    REQUIRE(r.status == 204);
    return a;
}

std::string endpoint_id(Harness& h, const Actors& a, const std::string& technical_name) {
    const Reply r = h.api("GET", "/datastores/" + a.datastore + "/endpoints", a.producer);
    REQUIRE(r.status == 200);
    for (const auto& e : r.js())
        if (e["endpoint"]["technical_name"] == technical_name) return e["endpoint"]["_id"];
    FAIL("no endpoint " << technical_name);
    return {};
}

/// Upload → close → checks → processing; returns the stored data document.
json stored_from(Harness& h, const Actors& a, const std::string& type, const fs::path& file, const std::string& upload_path,
                 const std::string& srs = "EPSG:4326") {
    const std::string ds = "/datastores/" + a.datastore;
    Reply r = h.api("POST", ds + "/uploads", a.producer, json{{"name", file.stem().string()}, {"type", type}, {"srs", srs}});
    REQUIRE(r.status == 201);
    CHECK(r.js()["status"] == "OPEN");
    const std::string up = r.js()["_id"];
    r = h.call("POST", "/api" + ds + "/uploads/" + up + "/data?path=" + upload_path, slurp(file),
               {{"authorization", "Bearer " + a.producer}});
    REQUIRE(r.status == 200);
    r = h.api("POST", ds + "/uploads/" + up + "/close", a.producer);
    REQUIRE(r.status == 200);
    const json upload = settle(h, ds + "/uploads/" + up, a.producer);
    REQUIRE(upload["status"] == "CLOSED");
    const std::string processing = type == "VECTOR" ? "vector-to-db" : "raster-to-pyramid";
    r = h.api("POST", ds + "/processings/executions", a.producer,
              json{{"processing", processing}, {"inputs", {{"upload", {up}}}}, {"output", {{"stored_data", {{"name", file.stem().string()}}}}}});
    REQUIRE(r.status == 201);
    const std::string ex = r.js()["_id"];
    r = h.api("POST", ds + "/processings/executions/" + ex + "/launch", a.producer);
    REQUIRE(r.status == 200);
    const json execution = settle(h, ds + "/processings/executions/" + ex, a.producer);
    INFO(execution.dump());
    REQUIRE(execution["status"] == "SUCCESS");
    return settle(h, ds + "/stored_data/" + std::string(execution["output"]["stored_data"]["_id"]), a.producer);
}

json configure_and_publish(Harness& h, const Actors& a, const std::string& type, const std::string& layer, const json& stored,
                           const std::string& endpoint, bool open) {
    const std::string ds = "/datastores/" + a.datastore;
    json used{{"stored_data", stored["_id"]}};
    if (type == "VECTOR-TMS") used["relations"] = json::array({json{{"native_name", stored["type_infos"]["relations"][0]["name"]}}});
    Reply r = h.api("POST", ds + "/configurations", a.producer,
                    json{{"type", type}, {"name", layer}, {"layer_name", layer},
                         {"type_infos", {{"title", layer}, {"abstract", "test"}, {"used_data", json::array({used})}}}});
    INFO(r.body);
    REQUIRE(r.status == 201);
    const std::string cfg = r.js()["_id"];
    r = h.api("POST", ds + "/configurations/" + cfg + "/offerings", a.producer, json{{"endpoint", endpoint}, {"open", open}});
    INFO(r.body);
    REQUIRE(r.status == 201);
    return r.js();
}

}  // namespace

TEST_CASE("publish a vector dataset, consume it as vector tiles, unpublish it", "[catalog][api]") {
    Harness h;
    const Actors a = setup_actors(h);
    const fs::path file = test::data_file("vector/departements-version-simplifiee.geojson");
    const json geojson = json::parse(slurp(file));

    // The independent reference: features and their lon/lat extent straight from the GeoJSON text.
    double w = 180, s = 90, e = -180, n = -90;
    std::function<void(const json&)> walk = [&](const json& c) {
        if (c.is_array() && c.size() >= 2 && c[0].is_number()) {
            w = std::min(w, c[0].get<double>()), e = std::max(e, c[0].get<double>());
            s = std::min(s, c[1].get<double>()), n = std::max(n, c[1].get<double>());
        } else if (c.is_array()) {
            for (const auto& x : c) walk(x);
        }
    };
    for (const auto& f : geojson["features"]) walk(f["geometry"]["coordinates"]);
    const auto feature_count = geojson["features"].size();

    const json stored = stored_from(h, a, "VECTOR", file, "data/departements.geojson");
    CHECK(stored["type"] == "VECTOR-DB");
    CHECK(stored["status"] == "GENERATED");
    CHECK(stored["srs"] == "EPSG:4326");
    CHECK(stored["size"].get<std::int64_t>() > 0);
    REQUIRE(stored["type_infos"]["relations"].size() == 1);
    const json rel = stored["type_infos"]["relations"][0];
    // The table is named after the file inside the upload (data/departements.geojson).
    CHECK(rel["name"] == "departements");
    CHECK(rel["type"] == "TABLE");
    CHECK(rel["primary_key"] == json::array({"fid"}));
    const std::string attrs = rel["attributes"].dump();
    CHECK(attrs.find("\"code\"") != std::string::npos);
    CHECK(attrs.find("\"nom\"") != std::string::npos);
    // The stored extent (a GeoJSON polygon) is the GeoJSON's own extent, to 1e-6 degree.
    const json ring = stored["extent"]["coordinates"][0];
    CHECK(ring[0][0].get<double>() == Approx(w).margin(1e-6));
    CHECK(ring[0][1].get<double>() == Approx(s).margin(1e-6));
    CHECK(ring[2][0].get<double>() == Approx(e).margin(1e-6));
    CHECK(ring[2][1].get<double>() == Approx(n).margin(1e-6));
    CHECK(rel["feature_count"] == feature_count);

    // Checks report what the independent reading says.
    const Reply checks = h.api("GET", "/datastores/" + a.datastore + "/uploads", a.producer);
    REQUIRE(checks.status == 200);
    const std::string upload_id = checks.js()[0]["_id"];
    const json cj = h.api("GET", "/datastores/" + a.datastore + "/uploads/" + upload_id + "/checks", a.producer).js();
    CHECK(cj["passed"].size() == 2);
    CHECK(cj["failed"].empty());
    for (const auto& c : cj["passed"]) {
        const json logs = h.api("GET", "/datastores/" + a.datastore + "/checks/executions/" + std::string(c["_id"]) + "/logs", a.producer).js();
        if (c["check"]["name"] == "vecteur") {
            REQUIRE(logs.size() == 1);
            CHECK(std::string(logs[0]).find(fmt::format("{} features", feature_count)) != std::string::npos);
        }
    }

    const std::string endpoint = endpoint_id(h, a, "geoplex-vector-tms");
    const json offering = configure_and_publish(h, a, "VECTOR-TMS", "departements", stored, endpoint, true);
    CHECK(offering["status"] == "PUBLISHED");

    // Consume: the capabilities list it; a tile over Paris decodes to features of that layer.
    Reply r = h.call("GET", "/tms/1.0.0");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("departements/metadata.json") != std::string::npos);
    r = h.call("GET", "/tms/1.0.0/departements/metadata.json");
    REQUIRE(r.status == 200);
    const json tj = r.js();
    CHECK(tj["bounds"][0].get<double>() == Approx(w).margin(1e-6));
    CHECK(tj["bounds"][1].get<double>() == Approx(s).margin(1e-6));
    CHECK(tj["bounds"][2].get<double>() == Approx(e).margin(1e-6));
    CHECK(tj["bounds"][3].get<double>() == Approx(n).margin(1e-6));
    const auto [tx, ty] = tile_of(2.35, 48.85, 6);
    r = h.call("GET", fmt::format("/tms/1.0.0/departements/6/{}/{}.pbf", tx, ty));
    REQUIRE(r.status == 200);
    const auto layers = mvt_layers(r.body);
    REQUIRE(layers.count("departements") == 1);
    // Paris and the départements around it: several, not all.
    CHECK(layers.at("departements") >= 4);
    CHECK(layers.at("departements") < static_cast<int>(feature_count));
    r = h.call("GET", fmt::format("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"));
    REQUIRE(r.status == 200);
    CHECK(r.body.find("<ows:Identifier>departements</ows:Identifier>") != std::string::npos);

    // The offering quota of the endpoint is 1: a second layer is refused and nothing changes.
    {
        const std::string ds = "/datastores/" + a.datastore;
        Reply c2 = h.api("POST", ds + "/configurations", a.producer,
                         json{{"type", "VECTOR-TMS"}, {"name", "bis"}, {"layer_name", "departements_bis"},
                              {"type_infos", {{"used_data", json::array({json{{"stored_data", stored["_id"]}}})}}}});
        REQUIRE(c2.status == 201);
        const std::string cfg2 = c2.js()["_id"];
        Reply o2 = h.api("POST", ds + "/configurations/" + cfg2 + "/offerings", a.producer, json{{"endpoint", endpoint}});
        CHECK(o2.status == 409);
        CHECK(o2.body.find("quota") != std::string::npos);
        CHECK(h.api("GET", ds + "/offerings", a.producer).js().size() == 1);
        CHECK(h.api("GET", ds + "/configurations/" + cfg2, a.producer).js()["status"] == "UNPUBLISHED");
        CHECK(h.call("GET", "/tms/1.0.0/departements_bis/metadata.json").status == 404);
        const json dsdoc = h.api("GET", ds, a.producer).js();
        bool seen = false;
        for (const auto& ep : dsdoc["endpoints"])
            if (ep["endpoint"]["_id"] == endpoint) {
                seen = true;
                CHECK(ep["use"] == 1);
                CHECK(ep["quota"] == 1);
            }
        CHECK(seen);
    }

    // available=false blocks at once, true restores.
    const std::string off = "/datastores/" + a.datastore + "/offerings/" + std::string(offering["_id"]);
    REQUIRE(h.api("PATCH", off, a.producer, json{{"available", false}}).status == 200);
    CHECK(h.call("GET", fmt::format("/tms/1.0.0/departements/6/{}/{}.pbf", tx, ty)).status == 403);
    CHECK(h.call("GET", "/tms/1.0.0").body.find("departements") == std::string::npos);
    REQUIRE(h.api("PATCH", off, a.producer, json{{"available", true}}).status == 200);
    CHECK(h.call("GET", fmt::format("/tms/1.0.0/departements/6/{}/{}.pbf", tx, ty)).status == 200);

    // Unpublish: gone from the tiles and the capabilities.
    REQUIRE(h.api("DELETE", off, a.producer).status == 204);
    CHECK(h.call("GET", fmt::format("/tms/1.0.0/departements/6/{}/{}.pbf", tx, ty)).status == 404);
    CHECK(h.call("GET", "/tms/1.0.0").body.find("departements") == std::string::npos);
    CHECK(h.call("GET", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities").body.find("departements") == std::string::npos);
    CHECK(h.api("GET", off, a.producer).status == 404);
}

TEST_CASE("restricted raster offering: every access-control case", "[catalog][api][access]") {
    Harness h;
    const Actors a = setup_actors(h);
    const fs::path raster = test::data_file("raster/scan1000-gueret-200px.l93.tif");
    const json stored = stored_from(h, a, "RASTER", raster, "scan1000.tif", "EPSG:2154");
    CHECK(stored["type"] == "ROK4-PYRAMID-RASTER");
    CHECK(stored["srs"] == "EPSG:2154");
    const json offering = configure_and_publish(h, a, "WMTS-TMS", "SCAN1000.GUERET", stored,
                                                endpoint_id(h, a, "geoplex-private-wmts-tms"), false);
    const std::string oid = offering["_id"];
    const auto [tx, ty] = tile_of(1.8323, 46.2236, 10);
    const std::string tile = fmt::format("/private/tms/1.0.0/SCAN1000.GUERET/10/{}/{}.png", tx, ty);
    const std::string caps = "/private/wmts?SERVICE=WMTS&REQUEST=GetCapabilities";

    // Not in the open family at all.
    CHECK(h.call("GET", fmt::format("/tms/1.0.0/SCAN1000.GUERET/10/{}/{}.png", tx, ty)).status == 404);
    // No key: 401, even for GetCapabilities.
    CHECK(h.call("GET", tile).status == 401);
    CHECK(h.call("GET", caps).status == 401);
    // A wrong key: 401.
    CHECK(h.call("GET", tile + "?apikey=0123456789abcdef0123456789abcdef").status == 401);

    // The consumer's key, without an access yet: capabilities empty, tile 403.
    Reply r = h.api("POST", "/users/me/keys", a.consumer, json{{"name", "ma clé"}, {"type", "HASH"}});
    REQUIRE(r.status == 201);
    const std::string key_id = r.js()["_id"];
    const std::string key = r.js()["type_infos"]["hash"];
    CHECK(r.body.find("secret_hash") == std::string::npos);
    CHECK(h.api("GET", "/users/me/keys/" + key_id, a.consumer).body.find(key) == std::string::npos);  // shown once
    r = h.call("GET", caps + "&apikey=" + key);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("SCAN1000.GUERET") == std::string::npos);
    CHECK(h.call("GET", tile + "?apikey=" + key).status == 403);
    // An access needs a permission on a restricted offering.
    CHECK(h.api("POST", "/users/me/keys/" + key_id + "/accesses", a.consumer, json{{"offerings", {oid}}}).status == 403);

    // The producer grants it; the consumer links key and offering.
    r = h.api("POST", "/datastores/" + a.datastore + "/permissions", a.producer,
              json{{"licence", "test"}, {"type", "ACCOUNT"}, {"users", {a.consumer_id}}, {"offerings", {oid}}, {"end_date", "2999-12-31"}});
    REQUIRE(r.status == 201);
    const std::string permission = r.js()[0]["_id"];
    CHECK(h.api("GET", "/users/me/permissions", a.consumer).js().size() == 1);
    r = h.api("POST", "/users/me/keys/" + key_id + "/accesses", a.consumer, json{{"permission", permission}, {"offerings", {oid}}});
    REQUIRE(r.status == 201);
    CHECK(h.api("GET", "/users/me/keys/" + key_id + "/accesses", a.consumer).js()[0]["offering"]["_id"] == oid);

    // Key + access: served, listed, and the tile matches GDAL's own warp of the source.
    r = h.call("GET", caps + "&apikey=" + key);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("<ows:Identifier>SCAN1000.GUERET</ows:Identifier>") != std::string::npos);
    CHECK(r.body.find("/private/tms/1.0.0/SCAN1000.GUERET/{TileMatrix}/{TileCol}/{TileRow}.png?apikey=" + key) != std::string::npos);
    r = h.call("GET", tile + "?apikey=" + key);
    REQUIRE(r.status == 200);
    CHECK(r.body.substr(1, 3) == "PNG");
    const Compare cmp = compare_with_gdal_warp(r.body, raster, 10, tx, ty);
    CHECK(cmp.both_opaque > 1000);
    CHECK(cmp.max_mean_diff < 6.0);
    // The other spellings of the key.
    CHECK(h.call("GET", tile + "?api_key=" + key).status == 200);
    CHECK(h.call("GET", tile + "?apiKey=" + key).status == 200);
    CHECK(h.call("GET", tile, {}, {{"x-key", key}}).status == 200);
    CHECK(h.call("GET", fmt::format("/private/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=SCAN1000.GUERET&STYLE=normal&FORMAT=image/png"
                                    "&TILEMATRIXSET=PM&TILEMATRIX=10&TILEROW={}&TILECOL={}&apikey={}", ty, tx, key)).status == 200);

    // available=false: blocked at once, permissions untouched.
    const std::string off = "/datastores/" + a.datastore + "/offerings/" + oid;
    REQUIRE(h.api("PATCH", off, a.producer, json{{"available", false}}).status == 200);
    r = h.call("GET", tile + "?apikey=" + key);
    CHECK(r.status == 403);
    CHECK(r.body.find("not available") != std::string::npos);
    CHECK(h.call("GET", caps + "&apikey=" + key).body.find("SCAN1000.GUERET") == std::string::npos);
    REQUIRE(h.api("PATCH", off, a.producer, json{{"available", true}}).status == 200);
    CHECK(h.call("GET", tile + "?apikey=" + key).status == 200);

    // An expired permission: no more access (the end date is moved into the past in the store).
    {
        auto p = h.catalog->store().require<catalog::Permission>(permission);
        p.end_date = "2020-01-01T00:00:00Z";
        h.catalog->store().update(p);
        r = h.call("GET", tile + "?apikey=" + key);
        CHECK(r.status == 403);
        CHECK(r.body.find("expired") != std::string::npos);
        p.end_date = "2999-12-31T23:59:59Z";
        h.catalog->store().update(p);
        CHECK(h.call("GET", tile + "?apikey=" + key).status == 200);
    }

    // Key restrictions: IP deny list, referer pattern, user agent.
    const auto restricted_key = [&](const json& rules) {
        json body{{"name", "restreinte"}, {"type", "HASH"}};
        body.update(rules);
        Reply k = h.api("POST", "/users/me/keys", a.consumer, body);
        REQUIRE(k.status == 201);
        REQUIRE(h.api("POST", "/users/me/keys/" + std::string(k.js()["_id"]) + "/accesses", a.consumer,
                      json{{"permission", permission}, {"offerings", {oid}}}).status == 201);
        return std::string(k.js()["type_infos"]["hash"]);
    };
    const std::string denied = restricted_key(json{{"blacklist", {"127.0.0.0/8"}}});
    CHECK(h.call("GET", tile + "?apikey=" + denied).status == 403);
    CHECK(h.call("GET", tile + "?apikey=" + denied, {}, {}, "192.0.2.10").status == 200);
    const std::string allow_only = restricted_key(json{{"whitelist", {"192.0.2.0/24"}}});
    CHECK(h.call("GET", tile + "?apikey=" + allow_only).status == 403);
    CHECK(h.call("GET", tile + "?apikey=" + allow_only, {}, {}, "192.0.2.99").status == 200);
    const std::string referer = restricted_key(json{{"referer", "^https://carto%.example%.fr/"}});
    CHECK(h.call("GET", tile + "?apikey=" + referer).status == 403);
    CHECK(h.call("GET", tile + "?apikey=" + referer, {}, {{"referer", "https://cartoXexample.fr/"}}).status == 403);
    CHECK(h.call("GET", tile + "?apikey=" + referer, {}, {{"referer", "https://carto.example.fr/app"}}).status == 200);
    const std::string agent = restricted_key(json{{"user_agent", "QGIS/3%.%d+"}});
    CHECK(h.call("GET", tile + "?apikey=" + agent, {}, {{"user-agent", "curl/8.0"}}).status == 403);
    CHECK(h.call("GET", tile + "?apikey=" + agent, {}, {{"user-agent", "Mozilla/5.0 QGIS/3.34"}}).status == 200);
    CHECK(h.api("POST", "/users/me/keys", a.consumer, json{{"name", "x"}, {"referer", "[oops"}}).status == 400);
    CHECK(h.api("POST", "/users/me/keys", a.consumer, json{{"name", "x"}, {"whitelist", {"300.1.1.1"}}}).status == 400);

    // BASIC and HEADER keys.
    r = h.api("POST", "/users/me/keys", a.consumer,
              json{{"name", "basic"}, {"type", "BASIC"}, {"type_infos", {{"login", "carto"}, {"password", "un mot de passe"}}}});
    REQUIRE(r.status == 201);
    REQUIRE(h.api("POST", "/users/me/keys/" + std::string(r.js()["_id"]) + "/accesses", a.consumer,
                  json{{"permission", permission}, {"offerings", {oid}}}).status == 201);
    CHECK(h.call("GET", tile, {}, {{"authorization", "Basic Y2FydG86dW4gbW90IGRlIHBhc3Nl"}}).status == 200);  // carto:un mot de passe
    CHECK(h.call("GET", tile, {}, {{"authorization", "Basic Y2FydG86bWF1dmFpcw=="}}).status == 401);          // carto:mauvais
    r = h.api("POST", "/users/me/keys", a.consumer,
              json{{"name", "header"}, {"type", "HEADER"}, {"type_infos", {{"headers", {{"X-Mon-Service", "valeur-secrete-0123456789"}}}}}});
    REQUIRE(r.status == 201);
    REQUIRE(h.api("POST", "/users/me/keys/" + std::string(r.js()["_id"]) + "/accesses", a.consumer,
                  json{{"permission", permission}, {"offerings", {oid}}}).status == 201);
    CHECK(h.call("GET", tile, {}, {{"x-mon-service", "valeur-secrete-0123456789"}}).status == 200);
    CHECK(h.call("GET", tile, {}, {{"x-mon-service", "valeur-secrete-0123456780"}}).status == 401);

    // Revoking the permission removes the accesses through it.
    REQUIRE(h.api("DELETE", "/datastores/" + a.datastore + "/permissions/" + permission, a.producer).status == 204);
    CHECK(h.call("GET", tile + "?apikey=" + key).status == 403);
    CHECK(h.api("GET", "/users/me/keys/" + key_id + "/accesses", a.consumer).js().empty());

    // Audit: every write is recorded with its actor.
    const auto audit = h.catalog->store().list<catalog::AuditEvent>({}, {0, 10'000});
    CHECK(audit.total >= 15);
    CHECK(std::any_of(audit.items.begin(), audit.items.end(), [&](const catalog::AuditEvent& ev) { return ev.action == "publish"; }));
}

TEST_CASE("storage and upload quotas refuse before writing and leave the data as it was", "[catalog][api][quotas]") {
    const fs::path file = test::data_file("vector/regions-version-simplifiee.geojson");
    const auto size = static_cast<std::int64_t>(fs::file_size(file));
    Harness h(size + size / 2);  // room for one copy of the file, not two
    const Actors a = setup_actors(h);
    const std::string ds = "/datastores/" + a.datastore;
    Reply r = h.api("POST", ds + "/uploads", a.producer, json{{"name", "regions"}, {"type", "VECTOR"}});
    const std::string up = r.js()["_id"];
    const auto put = [&](const std::string& path, const std::string& bytes) {
        return h.call("POST", "/api" + ds + "/uploads/" + up + "/data?path=" + path, bytes, {{"authorization", "Bearer " + a.producer}});
    };
    REQUIRE(put("a/regions.geojson", slurp(file)).status == 200);
    r = put("b/regions.geojson", slurp(file));
    CHECK(r.status == 507);
    CHECK(r.body.find("quota") != std::string::npos);
    const json tree = h.api("GET", ds + "/uploads/" + up + "/tree", a.producer).js();
    REQUIRE(tree.size() == 1);
    CHECK(tree[0]["name"] == "a");
    CHECK(tree[0]["children"][0]["size"] == size);
    CHECK(h.api("GET", ds + "/uploads/" + up, a.producer).js()["size"] == size);
    // A single file over the largest file size: 413.
    CHECK(put("big.bin", std::string(4'000'001, 'x')).status == 413);

    // Data storage quota (tier "tiny" = 1000 bytes): the processing is refused at launch.
    r = h.api("POST", "/communities", admin_token, json{{"name", "Petit"}, {"technical_name", "petit"}, {"tier", "tiny"}});
    REQUIRE(r.status == 201);
    const std::string tiny = r.js()["datastore"];
    const std::string tiny_community = r.js()["_id"];
    const json me = h.api("GET", "/users/me", a.producer).js();
    REQUIRE(h.api("PUT", "/communities/" + tiny_community + "/users/" + std::string(me["_id"]), admin_token,
                  json{{"rights", {"UPLOAD", "PROCESSING"}}}).status == 204);
    r = h.api("POST", "/datastores/" + tiny + "/uploads", a.producer, json{{"name", "regions"}, {"type", "VECTOR"}});
    const std::string up2 = r.js()["_id"];
    REQUIRE(h.call("POST", "/api/datastores/" + tiny + "/uploads/" + up2 + "/data?path=regions.geojson", slurp(file),
                   {{"authorization", "Bearer " + a.producer}}).status == 200);
    REQUIRE(h.api("POST", "/datastores/" + tiny + "/uploads/" + up2 + "/close", a.producer).status == 200);
    h.catalog->wait_idle();
    r = h.api("POST", "/datastores/" + tiny + "/processings/executions", a.producer,
              json{{"processing", "vector-to-db"}, {"inputs", {{"upload", {up2}}}}, {"output", {{"stored_data", {{"name", "regions"}}}}}});
    REQUIRE(r.status == 201);
    const std::string ex = r.js()["_id"];
    r = h.api("POST", "/datastores/" + tiny + "/processings/executions/" + ex + "/launch", a.producer);
    CHECK(r.status == 507);
    CHECK(r.body.find("storage quota") != std::string::npos);
    CHECK(h.api("GET", "/datastores/" + tiny + "/processings/executions/" + ex, a.producer).js()["status"] == "CREATED");
    const json tds = h.api("GET", "/datastores/" + tiny, a.producer).js();
    CHECK(tds["storages"]["data"][0]["use"] == 0);
    CHECK(tds["storages"]["data"][0]["quota"] == 1000);

    // Paging of a list (?page=, ?limit=, Content-Range) against the whole list.
    const Reply all = h.api("GET", "/communities?limit=1000", admin_token);
    REQUIRE(all.status == 200);
    const json every = all.js();
    REQUIRE(every.size() >= 2);
    CHECK(all.header("Content-Range") == "items 0-" + std::to_string(every.size() - 1) + "/" + std::to_string(every.size()));
    const Reply second = h.api("GET", "/communities?limit=1&page=2", admin_token);
    REQUIRE(second.status == 200);
    REQUIRE(second.js().size() == 1);
    CHECK(second.js()[0] == every[1]);
    CHECK(second.header("Content-Range") == "items 1-1/" + std::to_string(every.size()));
    CHECK(h.api("GET", "/communities?limit=1&page=" + std::to_string(every.size() + 1), admin_token).js().empty());
    CHECK(h.api("GET", "/communities?limit=1001", admin_token).status == 400);
    CHECK(h.api("GET", "/communities?page=x", admin_token).status == 400);
}

TEST_CASE("hostile and malformed requests get clear 4xx answers", "[catalog][api][hostile]") {
    Harness h;
    const Actors a = setup_actors(h);
    const std::string ds = "/datastores/" + a.datastore;

    // Authentication and rights.
    CHECK(h.call("GET", "/api/users/me").status == 401);
    CHECK(h.api("GET", "/users/me", "not-a-token").status == 401);
    CHECK(h.api("GET", "/users/me", "00000000-0000-4000-8000-000000000000.deadbeef").status == 401);
    CHECK(h.api("POST", ds + "/uploads", a.consumer, json{{"name", "x"}, {"type", "VECTOR"}}).status == 403);
    CHECK(h.api("POST", "/communities", a.producer, json{{"name", "x"}, {"technical_name", "x"}}).status == 403);
    CHECK(h.api("GET", "/datastores/00000000-0000-4000-8000-000000000000", a.producer).status == 404);

    // Invalid JSON and wrong types.
    Reply r = h.call("POST", "/api" + ds + "/uploads", "{\"name\": ", {{"authorization", "Bearer " + a.producer}});
    CHECK(r.status == 400);
    CHECK(r.body.find("invalid JSON") != std::string::npos);
    CHECK(h.api("POST", ds + "/uploads", a.producer, json::array({1, 2})).status == 400);
    CHECK(h.api("POST", ds + "/uploads", a.producer, json{{"name", 12}, {"type", "VECTOR"}}).status == 400);
    CHECK(h.api("POST", ds + "/uploads", a.producer, json{{"name", "x"}, {"type", "NOPE"}}).status == 400);

    // SQL metacharacters are data, not SQL.
    const std::string evil = "x'); DROP TABLE upload; -- \"%_\\";
    r = h.api("POST", ds + "/uploads", a.producer, json{{"name", evil}, {"type", "VECTOR"}});
    REQUIRE(r.status == 201);
    const std::string up = r.js()["_id"];
    CHECK(h.api("GET", ds + "/uploads/" + up, a.producer).js()["name"] == evil);
    CHECK(h.api("GET", ds + "/uploads", a.producer).js().size() == 1);
    CHECK(h.api("POST", ds + "/configurations", a.producer,
                json{{"type", "WFS"}, {"name", "x"}, {"layer_name", "a'; DROP TABLE configuration; --"}, {"type_infos", json::object()}})
              .status == 400);
    CHECK(h.api("GET", ds + "/uploads/x'%20OR%20'1'%3D'1", a.producer).status == 404);

    // Paths: traversal, absolute, empty — nothing written anywhere.
    const auto put = [&](const std::string& path) {
        return h.call("POST", "/api" + ds + "/uploads/" + up + "/data?path=" + path, "data", {{"authorization", "Bearer " + a.producer}});
    };
    for (const char* bad : {"../escape.txt", "a/../../escape.txt", "/etc/passwd", "%2Fetc%2Fpasswd", "a//b", "", "a%5Cb"}) {
        INFO(bad);
        CHECK(put(bad).status == 400);
    }
    CHECK(h.call("POST", "/api" + ds + "/uploads/" + up + "/data", "data", {{"authorization", "Bearer " + a.producer}}).status == 400);
    CHECK(h.api("GET", ds + "/uploads/" + up + "/tree", a.producer).js().empty());
    CHECK_FALSE(fs::exists(h.dir.path() / "escape.txt"));
    CHECK_FALSE(fs::exists(h.dir.path() / "uploads" / "escape.txt"));

    // Multipart upload of a real file part.
    const std::string multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
                                  "Content-Type: text/csv\r\n\r\nlon,lat,nom\n2.35,48.85,Paris\n\r\n--XyZ--\r\n";
    r = h.call("POST", "/api" + ds + "/uploads/" + up + "/data?path=points/a.csv", multipart,
               {{"authorization", "Bearer " + a.producer}, {"content-type", "multipart/form-data; boundary=XyZ"}});
    REQUIRE(r.status == 200);
    const json tree = h.api("GET", ds + "/uploads/" + up + "/tree", a.producer).js();
    CHECK(tree[0]["children"][0]["name"] == "a.csv");
    CHECK(tree[0]["children"][0]["size"] == 29);  // "lon,lat,nom\n2.35,48.85,Paris\n"

    // State machine: closing twice, adding after close, processing an unchecked upload.
    REQUIRE(h.api("POST", ds + "/uploads/" + up + "/close", a.producer).status == 200);
    CHECK(h.api("POST", ds + "/uploads/" + up + "/close", a.producer).status == 409);
    CHECK(put("late.txt").status == 409);
    h.catalog->wait_idle();
    CHECK(h.api("GET", ds + "/uploads/" + up, a.producer).js()["status"] == "CLOSED");  // the CSV point layer passes the checks

    // A broken vector file fails its check with a log line, and the upload becomes UNSTABLE.
    r = h.api("POST", ds + "/uploads", a.producer, json{{"name", "broken"}, {"type", "VECTOR"}});
    const std::string up3 = r.js()["_id"];
    REQUIRE(h.call("POST", "/api" + ds + "/uploads/" + up3 + "/data?path=broken.geojson", "{\"type\": \"FeatureColl",
                   {{"authorization", "Bearer " + a.producer}}).status == 200);
    REQUIRE(h.api("POST", ds + "/uploads/" + up3 + "/close", a.producer).status == 200);
    h.catalog->wait_idle();
    CHECK(h.api("GET", ds + "/uploads/" + up3, a.producer).js()["status"] == "UNSTABLE");
    const json checks = h.api("GET", ds + "/uploads/" + up3 + "/checks", a.producer).js();
    REQUIRE(checks["failed"].size() == 1);
    const json logs = h.api("GET", ds + "/checks/executions/" + std::string(checks["failed"][0]["_id"]) + "/logs", a.producer).js();
    CHECK(logs.dump().find("broken.geojson") != std::string::npos);
    r = h.api("POST", ds + "/processings/executions", a.producer,
              json{{"processing", "vector-to-db"}, {"inputs", {{"upload", {up3}}}}, {"output", {{"stored_data", {{"name", "x"}}}}}});
    CHECK(r.status == 409);

    // Every /api route documents itself.
    for (const auto& route : h.router.routes()) {
        if (route.pattern.rfind("/api/", 0) != 0) continue;
        INFO(route.pattern);
        CHECK_FALSE(route.openapi_operation.empty());
        CHECK(json::parse(route.openapi_operation).contains("responses"));
    }
}

TEST_CASE("checks: Shapefile parts, geometry validity, rasters without georeferencing", "[catalog][api][checks]") {
    Harness h;
    const Actors a = setup_actors(h);
    const std::string ds = "/datastores/" + a.datastore;
    // Closes an upload holding `files` (path → bytes) and returns {status, joined log lines}.
    const auto check = [&](const std::string& type, const std::vector<std::pair<std::string, std::string>>& files,
                           const std::string& srs) {
        Reply r = h.api("POST", ds + "/uploads", a.producer, json{{"name", "c"}, {"type", type}, {"srs", srs}});
        REQUIRE(r.status == 201);
        const std::string up = r.js()["_id"];
        for (const auto& [path, bytes] : files)
            REQUIRE(h.call("POST", "/api" + ds + "/uploads/" + up + "/data?path=" + path, bytes,
                           {{"authorization", "Bearer " + a.producer}}).status == 200);
        REQUIRE(h.api("POST", ds + "/uploads/" + up + "/close", a.producer).status == 200);
        const json u = settle(h, ds + "/uploads/" + up, a.producer);
        std::string logs;
        const json checks = h.api("GET", ds + "/uploads/" + up + "/checks", a.producer).js();
        for (const auto& bucket : {"passed", "failed"})
            for (const auto& c : checks[bucket]) {
                const json lines = h.api("GET", ds + "/checks/executions/" + std::string(c["_id"]) + "/logs", a.producer).js();
                for (const auto& line : lines) logs += std::string(line) + "\n";
            }
        return std::pair<std::string, std::string>{u["status"], logs};
    };

    // A Shapefile written by GDAL from the régions GeoJSON: complete, then without its .shx.
    GDALAllRegister();
    const test::TempDir tmp("geoplex-shp");
    {
        const std::string src = test::data_file("vector/regions-version-simplifiee.geojson").string();
        GDALDatasetH in = GDALOpenEx(src.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
        REQUIRE(in != nullptr);
        char* argv[] = {const_cast<char*>("-f"), const_cast<char*>("ESRI Shapefile"), nullptr};
        GDALVectorTranslateOptions* o = GDALVectorTranslateOptionsNew(argv, nullptr);
        GDALDatasetH out = GDALVectorTranslate((tmp / "regions.shp").c_str(), nullptr, 1, &in, o, nullptr);
        GDALVectorTranslateOptionsFree(o);
        REQUIRE(out != nullptr);
        GDALClose(out);
        GDALClose(in);
    }
    std::vector<std::pair<std::string, std::string>> parts;
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj"}) parts.emplace_back(std::string("shp/regions") + ext, slurp(tmp / (std::string("regions") + ext)));
    const std::size_t regions = json::parse(slurp(test::data_file("vector/regions-version-simplifiee.geojson")))["features"].size();
    auto [status, logs] = check("VECTOR", parts, "");
    CHECK(status == "CLOSED");
    CHECK(logs.find(fmt::format("{} features", regions)) != std::string::npos);
    CHECK(logs.find("EPSG:4326") != std::string::npos);
    parts.erase(parts.begin() + 1);  // no .shx
    std::tie(status, logs) = check("VECTOR", parts, "");
    CHECK(status == "UNSTABLE");
    CHECK(logs.find("the Shapefile part .shx is missing") != std::string::npos);

    // A bow-tie polygon is invalid (it crosses itself); the square is valid.
    const std::string bowtie = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"n":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},
      {"type":"Feature","properties":{"n":2},"geometry":{"type":"Polygon","coordinates":[[[2,0],[3,0],[3,1],[2,1],[2,0]]]}}]})";
    std::tie(status, logs) = check("VECTOR", {{"v.geojson", bowtie}}, "EPSG:4326");
    CHECK(status == "CLOSED");  // invalid geometries are counted, not refused
    CHECK(logs.find("2 features, 1 invalid geometries") != std::string::npos);

    // A CSV has no CRS: the upload's srs is required.
    std::tie(status, logs) = check("VECTOR", {{"p.csv", "lon,lat\n2.35,48.85\n"}}, "");
    CHECK(status == "UNSTABLE");
    CHECK(logs.find("unknown CRS") != std::string::npos);

    // Rasters: a GeoTIFF without georeferencing fails; one without a CRS takes the upload's srs.
    std::tie(status, logs) = check("RASTER", {{"o.tif", slurp(test::data_file("raster/orthohr-ycbcr-jpeg-200px.nogeoref.tif"))}}, "");
    CHECK(status == "UNSTABLE");
    CHECK(logs.find("not georeferenced") != std::string::npos);
    std::tie(status, logs) = check("RASTER", {{"s.tif", slurp(test::data_file("raster/scan1000-gueret-200px.nocrs.tif"))}}, "EPSG:2154");
    CHECK(status == "CLOSED");
    CHECK(logs.find("the upload's srs EPSG:2154 is used") != std::string::npos);
}
