// Restricted OGC layers: the catalog's WFS, WMS-VECTOR and WMS-RASTER offerings served under
// /private/wfs, /private/wms-v and /private/wms-r with key + access (and the open ones on the
// public routes), checked over HTTP with curl and GDAL's own WFS client (ogr2ogr WFS:…), the
// features compared with the source GeoJSON read as plain JSON, the raster map with gdalwarp.

#include "unit/server/ogc_private_harness.hpp"

#include <cmath>
#include <regex>
#include <set>

#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>

using namespace geoplex;
using namespace geoplex::test;

namespace {

struct Published {
    Live live;
    json source;  // the GeoJSON, read as JSON (the independent reference)
    std::string wfs_private, wfs_open, wmsv_private, wmsr_private;  // offering ids
    std::string key_id, key, other_key;
    fs::path raster_source;

    Published() {
        const fs::path vector = data_file("vector/departements-version-simplifiee.geojson");
        source = json::parse(slurp(vector));
        const json vstored = live.stored_from("VECTOR", vector, "data/departements.geojson", "EPSG:4326");
        raster_source = data_file("raster/scan1000-gueret-200px.l93.tif");
        const json rstored = live.stored_from("RASTER", raster_source, "scan1000.tif", "EPSG:2154");
        wfs_private = live.publish("WFS", "dep_wfs", vstored, "geoplex-private-wfs", false)["_id"];
        wfs_open = live.publish("WFS", "dep_wfs_open", vstored, "geoplex-wfs", true)["_id"];
        wmsv_private = live.publish("WMS-VECTOR", "dep_wmsv", vstored, "geoplex-private-wms-vector", false)["_id"];
        wmsr_private = live.publish("WMS-RASTER", "scan_wmsr", rstored, "geoplex-private-wms-raster", false)["_id"];
        std::tie(key_id, key) = live.key("with access");
        other_key = live.key("without access").second;
    }
};

Published& published() {
    static Published p;
    return p;
}

std::string code_of(const std::string& xml) {
    std::smatch m;
    if (std::regex_search(xml, m, std::regex("(?:exceptionCode|code)=\"([A-Za-z]+)\""))) return m[1];
    return {};
}

/// (code, nom) of every feature of a GeoJSON document.
std::multiset<std::pair<std::string, std::string>> code_nom(const json& fc) {
    std::multiset<std::pair<std::string, std::string>> out;
    for (const auto& f : fc["features"]) out.emplace(f["properties"]["code"].get<std::string>(), f["properties"]["nom"].get<std::string>());
    return out;
}

/// Features read by GDAL's WFS driver from `url`, written as GeoJSON and parsed.
json through_gdal_wfs(const std::string& url, const std::string& layer) {
    auto& p = published();
    const fs::path out = p.live.dir / "wfs.geojson";
    fs::remove(out);
    run_command(fmt::format("ogr2ogr -f GeoJSON {} {} {} 2>&1", quote(out.string()), quote("WFS:" + url), quote(layer)));
    return json::parse(slurp(out));
}

}  // namespace

TEST_CASE("private WFS: 401 without a key, 403 without an access, features with key + access", "[ogc][private]") {
    auto& p = published();
    auto& live = p.live;
    const std::string caps = "/private/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities";
    const std::string feature = "/private/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=geoplex:dep_wfs&OUTPUTFORMAT=application/json";

    // No key, a wrong key: 401, as an OWS ExceptionReport.
    Http r = live.get(caps);
    CHECK(r.status == 401);
    CHECK(r.body.find("ExceptionReport") != std::string::npos);
    CHECK(live.get(feature).status == 401);
    CHECK(live.get(caps + "&apikey=0123456789abcdef0123456789abcdef").status == 401);

    // A valid key without access: its capabilities list nothing, GetFeature is 403 (ExceptionReport).
    r = live.get(caps + "&apikey=" + p.other_key);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("dep_wfs") == std::string::npos);
    CHECK(r.header("cache-control") == "private, no-store");
    r = live.get(feature + "&apikey=" + p.other_key);
    CHECK(r.status == 403);
    CHECK(r.body.find("ExceptionReport") != std::string::npos);
    CHECK(code_of(r.body) == "NoApplicableCode");

    // The open WFS offering is not in the private family, and the private one not on /wfs.
    CHECK(live.get("/wfs?SERVICE=WFS&REQUEST=GetCapabilities").body.find("geoplex:dep_wfs<") == std::string::npos);
    CHECK(live.get("/wfs?SERVICE=WFS&REQUEST=GetCapabilities").body.find("geoplex:dep_wfs_open<") != std::string::npos);

    // Key + access: listed (with the key in the operation URLs), and GDAL reads every feature.
    live.grant(p.key_id, {p.wfs_private});
    r = live.get(caps + "&apikey=" + p.key);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("<wfs:Name>geoplex:dep_wfs</wfs:Name>") != std::string::npos);
    CHECK(r.body.find("dep_wfs_open") == std::string::npos);
    CHECK(r.body.find("/private/wfs/ows?apikey=" + p.key + "&amp;") != std::string::npos);
    const json features = through_gdal_wfs(live.base + "/private/wfs/ows?apikey=" + p.key, "geoplex:dep_wfs");
    CHECK(features["features"].size() == p.source["features"].size());
    CHECK(code_nom(features) == code_nom(p.source));
    // Filters still apply: a hits request with a property filter counts what the source has.
    r = live.get(feature + "&apikey=" + p.key + "&RESULTTYPE=hits&FILTER=" +
                 "%3CFilter%3E%3CPropertyIsEqualTo%3E%3CValueReference%3Ecode%3C/ValueReference%3E%3CLiteral%3E74%3C/Literal%3E"
                 "%3C/PropertyIsEqualTo%3E%3C/Filter%3E");
    REQUIRE(r.status == 200);
    CHECK(r.js()["numberMatched"] == 1);

    // The open offering: GDAL reads it on /wfs without any key.
    const json open_features = through_gdal_wfs(live.base + "/wfs", "geoplex:dep_wfs_open");
    CHECK(code_nom(open_features) == code_nom(p.source));
    // …and OGC API Features lists it too (the WFS offerings are its collections).
    r = live.get("/ogcapi/collections/dep_wfs_open/items?limit=1000");
    REQUIRE(r.status == 200);
    CHECK(code_nom(r.js()) == code_nom(p.source));
    CHECK(live.get("/ogcapi/collections/dep_wfs/items").status == 404);  // a restricted layer is not public
}

TEST_CASE("available=false blocks a private WFS layer at once; unpublishing removes it", "[ogc][private]") {
    auto& p = published();
    auto& live = p.live;
    live.grant(p.key_id, {p.wmsv_private});
    const std::string off = "/datastores/" + live.datastore + "/offerings/" + p.wmsv_private;
    const std::string map = "/private/wms-v/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=dep_wmsv&STYLES=&CRS=EPSG:4326"
                            "&BBOX=41,-5,51.5,10&WIDTH=200&HEIGHT=200&FORMAT=image/png&apikey=" + p.key;
    const std::string caps = "/private/wms-v?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities&apikey=" + p.key;
    Http r = live.get(map);
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "image/png");
    CHECK(live.get(caps).body.find("<Name>dep_wmsv</Name>") != std::string::npos);
    // The raster endpoint does not serve the vector layer.
    CHECK(code_of(live.get("/private/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=dep_wmsv&STYLES=&CRS=EPSG:4326"
                           "&BBOX=41,-5,51.5,10&WIDTH=20&HEIGHT=20&FORMAT=image/png&apikey=" + p.key).body) == "LayerNotDefined");

    REQUIRE(live.api("PATCH", off, live.producer, json{{"available", false}}).status == 200);
    r = live.get(map);
    CHECK(r.status == 403);
    CHECK(r.body.find("<ServiceExceptionReport") != std::string::npos);
    CHECK(live.get(caps).body.find("dep_wmsv") == std::string::npos);
    REQUIRE(live.api("PATCH", off, live.producer, json{{"available", true}}).status == 200);
    CHECK(live.get(map).status == 200);

    REQUIRE(live.api("DELETE", off, live.producer).status == 204);
    r = live.get(map);
    CHECK(r.status == 400);
    CHECK(code_of(r.body) == "LayerNotDefined");
    CHECK(live.get(caps).body.find("dep_wmsv") == std::string::npos);
    CHECK(live.get("/private/wms-v?SERVICE=WMS&REQUEST=GetCapabilities").status == 401);
}

TEST_CASE("private WMS-R: the map of a published GeoTIFF matches gdalwarp of the source", "[ogc][private]") {
    auto& p = published();
    auto& live = p.live;
    // Extent of the source in EPSG:2154 (read with GDAL), a map of its inner part.
    GDALAllRegister();
    GDALDatasetH src = GDALOpen(p.raster_source.c_str(), GA_ReadOnly);
    REQUIRE(src != nullptr);
    double gt[6];
    REQUIRE(GDALGetGeoTransform(src, gt) == CE_None);
    const double minx = gt[0] + gt[1] * GDALGetRasterXSize(src) * 0.2, maxx = gt[0] + gt[1] * GDALGetRasterXSize(src) * 0.8;
    const double maxy = gt[3] + gt[5] * GDALGetRasterYSize(src) * 0.2, miny = gt[3] + gt[5] * GDALGetRasterYSize(src) * 0.8;
    const std::string query = fmt::format("SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=scan_wmsr&STYLES=&CRS=EPSG:2154"
                                          "&BBOX={},{},{},{}&WIDTH=100&HEIGHT=100&FORMAT=image/png",
                                          minx, miny, maxx, maxy);
    CHECK(live.get("/private/wms-r?" + query).status == 401);
    CHECK(live.get("/private/wms-r?" + query + "&apikey=" + p.key).status == 403);
    live.grant(p.key_id, {p.wmsr_private});
    Http r = live.get("/private/wms-r/wms?" + query + "&apikey=" + p.key);
    REQUIRE(r.status == 200);
    REQUIRE(r.header("content-type") == "image/png");
    CHECK(live.get("/wms-r?" + query).status == 400);  // not an open layer

    const std::string mem = "/vsimem/ogc_private_map.png";
    VSIFCloseL(VSIFileFromMemBuffer(mem.c_str(), reinterpret_cast<GByte*>(r.body.data()), r.body.size(), FALSE));
    GDALDatasetH served = GDALOpen(mem.c_str(), GA_ReadOnly);
    REQUIRE(served != nullptr);
    const std::vector<std::string> args = {"-of", "MEM", "-te", std::to_string(minx), std::to_string(miny), std::to_string(maxx),
                                           std::to_string(maxy), "-ts", "100", "100", "-r", "bilinear"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(argv.data(), nullptr);
    GDALDatasetH ref = GDALWarp("", nullptr, 1, &src, opts, nullptr);
    GDALWarpAppOptionsFree(opts);
    REQUIRE(ref != nullptr);
    // Compare band by band (the source's colour bands; a paletted source is expanded by both).
    const int bands = std::min(3, GDALGetRasterCount(ref));
    double sq = 0;
    std::size_t n = 0;
    for (int b = 1; b <= bands; ++b) {
        std::vector<std::uint8_t> a(100 * 100), c(100 * 100);
        REQUIRE(GDALRasterIO(GDALGetRasterBand(served, std::min(b, GDALGetRasterCount(served))), GF_Read, 0, 0, 100, 100, a.data(), 100,
                             100, GDT_Byte, 0, 0) == CE_None);
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ref, b), GF_Read, 0, 0, 100, 100, c.data(), 100, 100, GDT_Byte, 0, 0) == CE_None);
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double d = double(a[i]) - double(c[i]);
            sq += d * d;
            ++n;
        }
    }
    const double mse = sq / double(n);
    const double psnr = mse == 0 ? 99 : 10 * std::log10(255.0 * 255.0 / mse);
    INFO("PSNR " << psnr << " dB");
    CHECK(psnr >= 30);
    GDALClose(ref);
    GDALClose(served);
    GDALClose(src);
    VSIUnlink(mem.c_str());
}

TEST_CASE("WFS GetFeature by POST (XML encoding), open and private", "[ogc][private][wfs]") {
    auto& p = published();
    auto& live = p.live;
    const auto post = [&](const std::string& path, const std::string& xml) {
        std::ofstream(live.dir / "request.xml") << xml;
        return live.curl(fmt::format("-X POST -H 'Content-Type: application/xml' --data-binary @{} {}", quote((live.dir / "request.xml").string()),
                                     quote(live.base + path)));
    };
    const std::string get_feature =
        "<?xml version=\"1.0\"?><wfs:GetFeature service=\"WFS\" version=\"2.0.0\" outputFormat=\"application/json\" count=\"50\" "
        "xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:fes=\"http://www.opengis.net/fes/2.0\">"
        "<wfs:Query typeNames=\"geoplex:{}\"><wfs:PropertyName>nom</wfs:PropertyName><fes:Filter><fes:PropertyIsLessThan>"
        "<fes:ValueReference>code</fes:ValueReference><fes:Literal>10</fes:Literal></fes:PropertyIsLessThan></fes:Filter>"
        "</wfs:Query></wfs:GetFeature>";
    // The reference: codes "01".."09" of the source (string comparison, as OGR does on a text field).
    std::set<std::string> expected;
    for (const auto& f : p.source["features"])
        if (f["properties"]["code"].get<std::string>() < "10") expected.insert(f["properties"]["nom"].get<std::string>());
    REQUIRE(!expected.empty());

    Http r = post("/wfs/ows", fmt::format(fmt::runtime(get_feature), "dep_wfs_open"));
    REQUIRE(r.status == 200);
    std::set<std::string> got;
    const json fc = r.js();
    for (const auto& f : fc["features"]) {
        got.insert(f["properties"]["nom"].get<std::string>());
        CHECK(!f["properties"].contains("code"));  // PROPERTYNAME applied
    }
    CHECK(got == expected);

    CHECK(post("/private/wfs", fmt::format(fmt::runtime(get_feature), "dep_wfs")).status == 401);
    // (the key got its access to dep_wfs in the first test case of this file)
    r = post("/private/wfs?apikey=" + p.key, fmt::format(fmt::runtime(get_feature), "dep_wfs"));
    REQUIRE(r.status == 200);
    CHECK(r.js()["features"].size() == expected.size());
    CHECK(post("/private/wfs?apikey=" + p.other_key, fmt::format(fmt::runtime(get_feature), "dep_wfs")).status == 403);

    r = post("/wfs", "<wfs:GetCapabilities service=\"WFS\" xmlns:wfs=\"http://www.opengis.net/wfs/2.0\"/>");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("<wfs:Name>geoplex:dep_wfs_open</wfs:Name>") != std::string::npos);
    r = post("/wfs", "<wfs:GetFeature><wfs:Query typeNames=");
    CHECK(r.status == 400);
    CHECK(code_of(r.body) == "OperationParsingFailed");
    r = post("/wfs", fmt::format(fmt::runtime(get_feature), "nothing"));
    CHECK(r.status == 400);
    CHECK(code_of(r.body) == "InvalidParameterValue");
}
