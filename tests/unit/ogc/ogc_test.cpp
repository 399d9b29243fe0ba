// WMS / WFS / OGC API Features against independent clients: a live server (in this process, on a
// free port) read by GDAL's own WMS, WFS and OAPIF drivers (gdalinfo / ogrinfo subprocesses) and
// curl; maps compared with gdalwarp (PSNR) and gdal_rasterize (coverage) of the same sources;
// counts and attribute values compared with ogrinfo on the source file.

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gdal.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/ogc/ogc.hpp"
#include "geoplex/server/server.hpp"
#include "support/subprocess.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::test;
using nlohmann::json;

namespace {

struct Fixture {
    TempDir dir{"geoplex-ogc"};
    std::optional<server::Server> server;
    std::string base;

    Fixture() {
        std::ofstream(dir / "spec.toml") << fmt::format(R"(
name = "ogc-test"
[tiles]
[[tiles.raster]]
id = "ortho"
title = "Ortho Montpellier"
path = "{}"
[[tiles.raster]]
id = "relief"
path = "{}"
style = "hillshade"
[[tiles.vector]]
id = "departements"
title = "Départements"
path = "{}"
)", data_file("raster/ortho-rgb-20cm-montpellier.tif").string(), data_file("dem/mnt-50m-hautesavoie-100px.l93.tif").string(),
            data_file("vector/departements.geojson").string());
        bundle::build(dir / "spec.toml", dir / "bundle");
        server::ServerConfig config;
        config.address = "127.0.0.1";
        config.port = 0;
        config.threads = 2;
        server.emplace(bundle::Engine::open(dir / "bundle"), config);
        server->start();
        base = fmt::format("http://127.0.0.1:{}", server->port());
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

struct Fetched {
    int status = 0;
    std::string body;
    std::string headers;
};

/// GET with curl (an independent HTTP client that decodes chunked bodies).
Fetched fetch(const std::string& url) {
    auto& f = fixture();
    const auto body_file = f.dir / "body.bin";
    const auto head_file = f.dir / "head.txt";
    const std::string code = run_command(fmt::format("curl -s -g -D '{}' -o '{}' -w '%{{http_code}}' '{}'", head_file.string(),
                                                     body_file.string(), url));
    Fetched out;
    out.status = std::stoi(code);
    std::ifstream in(body_file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.body = ss.str();
    std::ifstream h(head_file);
    std::stringstream hs;
    hs << h.rdbuf();
    out.headers = hs.str();
    return out;
}

std::string url(const std::string& path_and_query) { return fixture().base + path_and_query; }

/// The exception code of an OGC XML exception document (WMS or OWS), "" if none.
std::string exception_code(const std::string& xml) {
    std::smatch m;
    if (std::regex_search(xml, m, std::regex("(?:exceptionCode|code)=\"([A-Za-z]+)\""))) return m[1];
    return {};
}

struct Raster {
    int w = 0, h = 0, bands = 0;
    std::vector<std::vector<double>> data;  // per band
};

Raster read_raster(const std::string& path) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    Raster r;
    r.w = GDALGetRasterXSize(ds);
    r.h = GDALGetRasterYSize(ds);
    r.bands = GDALGetRasterCount(ds);
    for (int b = 1; b <= r.bands; ++b) {
        std::vector<double> v(static_cast<std::size_t>(r.w) * static_cast<std::size_t>(r.h));
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ds, b), GF_Read, 0, 0, r.w, r.h, v.data(), r.w, r.h, GDT_Float64, 0, 0) == CE_None);
        r.data.push_back(std::move(v));
    }
    GDALClose(ds);
    return r;
}

void write_file(const std::filesystem::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

/// PSNR of RGB over the pixels both images cover (alpha > 0 in ours, not nodata 255,255,255 in
/// the reference's alpha band).
double psnr_rgb(const Raster& ours, const Raster& ref, std::size_t& compared) {
    double se = 0;
    compared = 0;
    const std::size_t n = static_cast<std::size_t>(ours.w) * static_cast<std::size_t>(ours.h);
    for (std::size_t i = 0; i < n; ++i) {
        if (ours.bands == 4 && ours.data[3][i] == 0) continue;
        if (ref.bands == 4 && ref.data[3][i] == 0) continue;
        for (int b = 0; b < 3; ++b) {
            const double d = ours.data[static_cast<std::size_t>(b)][i] - ref.data[static_cast<std::size_t>(b)][i];
            se += d * d;
        }
        ++compared;
    }
    if (compared == 0) return 0;
    const double mse = se / (3.0 * static_cast<double>(compared));
    return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

std::size_t source_feature_count() {
    const std::string out = run_command(fmt::format("ogrinfo -ro -so '{}' departements", data_file("vector/departements.geojson").string()));
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("Feature Count: ([0-9]+)")));
    return std::stoul(m[1]);
}

}  // namespace

TEST_CASE("WMS GetCapabilities is read by GDAL's WMS driver") {
    const std::string out = run_command(fmt::format("gdalinfo '{}' 2>&1", "WMS:" + url("/wms-r?SERVICE=WMS&REQUEST=GetCapabilities")));
    CHECK(out.find("LAYERS=ortho") != std::string::npos);
    CHECK(out.find("LAYERS=relief") != std::string::npos);
    CHECK(out.find("LAYERS=departements") == std::string::npos);  // vector layers are at /wms-v
    const std::string v = run_command(fmt::format("gdalinfo '{}' 2>&1", "WMS:" + url("/wms-v/ows?SERVICE=WMS&REQUEST=GetCapabilities")));
    CHECK(v.find("LAYERS=departements") != std::string::npos);
    // A subdataset opens: the driver read the layer's extent from the capabilities.
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("SUBDATASET_[0-9]+_NAME=(WMS:[^\n]*LAYERS=ortho[^\n]*)")));
    const std::string sub = run_command(fmt::format("gdalinfo '{}' 2>&1", std::string(m[1])));
    CHECK(sub.find("Size is") != std::string::npos);
}

TEST_CASE("WMS GetMap of a raster matches gdalwarp of the source to the same grid (PSNR >= 40 dB)") {
    auto& f = fixture();
    const std::string src = data_file("raster/ortho-rgb-20cm-montpellier.tif").string();
    struct Case {
        std::string crs, bbox_param, te, name;
    };
    // EPSG:2154 (native, x/y) and EPSG:4326 (lat,lon in WMS 1.3.0, lon/lat for gdalwarp -te).
    const std::vector<Case> cases{
        {"EPSG:2154", "770555,6277555,770595,6277595", "770555 6277555 770595 6277595", "l93"},
        {"EPSG:4326", "43.59345,3.87340,43.59375,3.87380", "3.87340 43.59345 3.87380 43.59375", "wgs84"},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            const auto r = fetch(url(fmt::format("/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ortho&STYLES=&CRS={}&BBOX={}"
                                                 "&WIDTH=200&HEIGHT=180&FORMAT=image/png&TRANSPARENT=TRUE",
                                                 c.crs, c.bbox_param)));
            REQUIRE(r.status == 200);
            REQUIRE(r.headers.find("image/png") != std::string::npos);
            write_file(f.dir / "ours.png", r.body);
            const auto ref_path = f.dir / fmt::format("ref-{}.tif", c.name);
            run_command(fmt::format("gdalwarp -q -overwrite -t_srs {} -te {} -ts 200 180 -r bilinear -dstalpha '{}' '{}'", c.crs, c.te, src,
                                    ref_path.string()));
            const Raster ours = read_raster((f.dir / "ours.png").string());
            const Raster ref = read_raster(ref_path.string());
            REQUIRE(ours.w == 200);
            REQUIRE(ours.h == 180);
            std::size_t compared = 0;
            const double psnr = psnr_rgb(ours, ref, compared);
            INFO("PSNR " << psnr << " dB over " << compared << " pixels");
            CHECK(compared > 200 * 180 / 2);
            CHECK(psnr >= 40.0);
        }
    }
}

TEST_CASE("WMS GetMap formats (JPEG, WebP) and a hillshade in Web Mercator decode with GDAL") {
    auto& f = fixture();
    for (const std::string fmt_name : {"jpeg", "webp"}) {
        const auto r = fetch(url("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ortho&STYLES=&CRS=EPSG:2154"
                                 "&BBOX=770555,6277555,770595,6277595&WIDTH=64&HEIGHT=48&FORMAT=image/" + fmt_name));
        REQUIRE(r.status == 200);
        CHECK(r.headers.find("image/" + fmt_name) != std::string::npos);
        write_file(f.dir / ("map." + fmt_name), r.body);
        const Raster img = read_raster((f.dir / ("map." + fmt_name)).string());
        CHECK(img.w == 64);
        CHECK(img.h == 48);
    }
    // The DEM (Haute-Savoie, Lambert-93) shaded, asked in EPSG:3857: grey relief, not empty.
    const BBox merc = ogc::Services::transform_box(BBox::of(6.375, 46.09, 6.42, 46.13), "OGC:CRS84", "EPSG:3857");
    const auto r = fetch(url(fmt::format("/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=relief&STYLES=&CRS=EPSG:3857"
                                         "&BBOX={},{},{},{}&WIDTH=100&HEIGHT=100&FORMAT=image/png&TRANSPARENT=TRUE",
                                         merc.min_x, merc.min_y, merc.max_x, merc.max_y)));
    REQUIRE(r.status == 200);
    write_file(f.dir / "relief.png", r.body);
    const Raster img = read_raster((f.dir / "relief.png").string());
    REQUIRE(img.bands >= 3);  // RGB when every pixel is opaque
    std::size_t opaque = 0, distinct_grey = 0, not_grey = 0;
    std::set<int> greys;
    for (std::size_t i = 0; i < img.data[0].size(); ++i) {
        if (img.bands == 4 && img.data[3][i] != 255) continue;
        ++opaque;
        not_grey += img.data[0][i] != img.data[1][i] || img.data[1][i] != img.data[2][i] ? 1 : 0;
        greys.insert(static_cast<int>(img.data[0][i]));
    }
    distinct_grey = greys.size();
    CHECK(opaque > 5000);
    CHECK(not_grey == 0);
    CHECK(distinct_grey > 20);  // shaded relief, not a flat fill
}

TEST_CASE("WMS GetMap of a vector layer covers what gdal_rasterize covers") {
    auto& f = fixture();
    // France in EPSG:4326 (lat,lon order), 300×300, transparent: alpha > 0 where we drew.
    const auto r = fetch(url("/wms-v/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=departements&STYLES=default&CRS=EPSG:4326"
                             "&BBOX=42,-2,48,4&WIDTH=300&HEIGHT=300&FORMAT=image/png&TRANSPARENT=TRUE"));
    REQUIRE(r.status == 200);
    write_file(f.dir / "vec.png", r.body);
    const auto ref_path = f.dir / "vec-ref.tif";
    run_command(fmt::format("gdal_rasterize -q -burn 255 -ot Byte -te -2 42 4 48 -ts 300 300 '{}' '{}'",
                            data_file("vector/departements.geojson").string(), ref_path.string()));
    const Raster ours = read_raster((f.dir / "vec.png").string());
    const Raster ref = read_raster(ref_path.string());
    REQUIRE(ours.bands == 4);
    std::size_t inside = 0, inside_drawn = 0, outside = 0, outside_drawn = 0;
    for (std::size_t i = 0; i < ref.data[0].size(); ++i) {
        const bool in = ref.data[0][i] > 0;
        const bool drawn = ours.data[3][i] > 0;
        (in ? inside : outside) += 1;
        (in ? inside_drawn : outside_drawn) += drawn ? 1 : 0;
    }
    INFO(inside_drawn << "/" << inside << " inside drawn, " << outside_drawn << "/" << outside << " outside drawn");
    REQUIRE(inside > 10000);
    REQUIRE(outside > 1000);
    CHECK(static_cast<double>(inside_drawn) / static_cast<double>(inside) > 0.99);
    // Outside: only the anti-aliased/stroked rim of the coast and borders (1 px) may be drawn.
    CHECK(static_cast<double>(outside_drawn) / static_cast<double>(outside) < 0.05);
}

TEST_CASE("WMS GetFeatureInfo answers JSON and HTML") {
    // Montpellier (Hérault, 34) at the centre of a small map around (43.61 N, 3.88 E).
    const std::string q = "/wms-v/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=departements&QUERY_LAYERS=departements"
                          "&STYLES=&CRS=EPSG:4326&BBOX=43.5,3.8,43.7,4.0&WIDTH=100&HEIGHT=100&I=50&J=50";
    const auto j = fetch(url(q + "&INFO_FORMAT=application/json"));
    REQUIRE(j.status == 200);
    const auto doc = json::parse(j.body);
    REQUIRE(doc["features"].size() == 1);
    CHECK(doc["features"][0]["properties"]["code"] == "34");
    const auto h = fetch(url(q + "&INFO_FORMAT=text/html"));
    REQUIRE(h.status == 200);
    CHECK(h.body.find("Hérault") != std::string::npos);
    // A raster layer reports its band values (the DEM's elevation).
    const auto d = fetch(url("/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=relief&QUERY_LAYERS=relief&STYLES=&CRS=EPSG:2154"
                             "&BBOX=960000,6561000,964000,6564000&WIDTH=40&HEIGHT=30&I=20&J=15&INFO_FORMAT=application/json"));
    REQUIRE(d.status == 200);
    const auto dj = json::parse(d.body);
    REQUIRE(dj["features"].size() == 1);
    const double elevation = dj["features"][0]["properties"]["band_1"];
    const std::string ref = run_command(fmt::format("gdallocationinfo -valonly -geoloc '{}' 962050 6562450",
                                                    data_file("dem/mnt-50m-hautesavoie-100px.l93.tif").string()));
    CHECK(elevation == Approx(std::stod(ref)).margin(0.01));
}

TEST_CASE("WMS bad requests are ServiceExceptionReports with the standard codes") {
    const std::string map = "/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&STYLES=&FORMAT=image/png";
    struct Bad {
        std::string query, code;
    };
    const std::vector<Bad> cases{
        {map + "&LAYERS=nope&CRS=EPSG:2154&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10", "LayerNotDefined"},
        {map + "&LAYERS=departements&CRS=EPSG:2154&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10", "LayerNotDefined"},  // vector at /wms-r
        {map + "&LAYERS=ortho&CRS=EPSG:2154&BBOX=0,0,1,1&WIDTH=100000&HEIGHT=10", "InvalidParameterValue"},
        {map + "&LAYERS=ortho&CRS=EPSG:2154&BBOX=0,0,1&WIDTH=10&HEIGHT=10", "InvalidParameterValue"},
        {map + "&LAYERS=ortho&CRS=EPSG:2154&BBOX=a,b,c,d&WIDTH=10&HEIGHT=10", "InvalidParameterValue"},
        {map + "&LAYERS=ortho&CRS=EPSG:2154&BBOX=1,1,0,0&WIDTH=10&HEIGHT=10", "InvalidParameterValue"},
        {map + "&LAYERS=ortho&CRS=EPSG:999999&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10", "InvalidCRS"},
        {map + "&LAYERS=ortho&CRS=/etc/passwd&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10", "InvalidCRS"},
        {"/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ortho&STYLES=&CRS=EPSG:2154&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10&FORMAT=image/gif",
         "InvalidFormat"},
        {"/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&FORMAT=image/png&LAYERS=ortho&STYLES=fancy&CRS=EPSG:2154&BBOX=0,0,1,1&WIDTH=10"
         "&HEIGHT=10",
         "StyleNotDefined"},
        {map + "&LAYERS=ortho&CRS=EPSG:2154&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10&TIME=2020", "InvalidDimensionValue"},
        {"/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic", "OperationNotSupported"},
        {"/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=ortho&QUERY_LAYERS=ortho&STYLES=&CRS=EPSG:2154&BBOX=0,0,1,1"
         "&WIDTH=10&HEIGHT=10&I=50&J=5&INFO_FORMAT=application/json",
         "InvalidPoint"},
        {"/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&CRS=EPSG:2154", "MissingParameterValue"},
    };
    for (const auto& c : cases) {
        INFO(c.query);
        const auto r = fetch(url(c.query));
        CHECK(r.status == 400);
        CHECK(r.body.find("<ServiceExceptionReport") != std::string::npos);
        CHECK(exception_code(r.body) == c.code);
    }
}

TEST_CASE("WFS is read by GDAL's WFS driver: counts, extent, attribute filters (sent as FES)") {
    const std::size_t expected = source_feature_count();
    const std::string wfs = "WFS:" + url("/wfs/ows");
    const std::string so = run_command(fmt::format("ogrinfo -ro -so '{}' geoplex:departements 2>&1", wfs));
    INFO(so);
    CHECK(so.find(fmt::format("Feature Count: {}", expected)) != std::string::npos);
    std::smatch m;
    REQUIRE(std::regex_search(so, m, std::regex(R"(Extent: \(([-0-9.]+), ([-0-9.]+)\) - \(([-0-9.]+), ([-0-9.]+)\))")));
    CHECK(std::stod(m[1]) == Approx(-5.14026).margin(1e-3));
    CHECK(std::stod(m[4]) == Approx(51.089).margin(1e-3));
    // GDAL turns -where into a FES filter in the GetFeature request.
    const std::string one = run_command(fmt::format("ogrinfo -ro '{}' geoplex:departements -where \"code = '13'\" 2>&1", wfs));
    INFO(one);
    CHECK(one.find("nom (String) = Bouches-du-Rhône") != std::string::npos);
    std::size_t features = 0;
    for (std::size_t p = one.find("OGRFeature("); p != std::string::npos; p = one.find("OGRFeature(", p + 1)) ++features;
    CHECK(features == 1);
    // -spat becomes a FES BBOX (an Envelope without srsName: the default CRS, lat/lon): same
    // features as -spat on the source file.
    const std::string spat = "-spat 5.2 43.2 5.6 43.5";
    CHECK(run_command(fmt::format("ogrinfo -ro -q '{}' geoplex:departements {} 2>&1 | grep 'code (String)' | sort", wfs, spat)) ==
          run_command(fmt::format("ogrinfo -ro -q '{}' departements {} 2>&1 | grep 'code (String)' | sort",
                                  data_file("vector/departements.geojson").string(), spat)));
    // -fid becomes a FES ResourceId: the same feature as -fid on the source file.
    CHECK(run_command(fmt::format("ogrinfo -ro -q '{}' geoplex:departements -fid 7 2>&1 | grep -E '(code|nom) .String.' | sort", wfs)) ==
          run_command(fmt::format("ogrinfo -ro -q '{}' departements -fid 7 2>&1 | grep -E '(code|nom) .String.' | sort",
                                  data_file("vector/departements.geojson").string())));
    // Every feature through GML (the driver's default output format): same count as the source.
    const std::string all = run_command(fmt::format("ogrinfo -ro -q '{}' geoplex:departements 2>&1 | grep -c 'OGRFeature('", wfs));
    CHECK(std::stoul(all) == expected);
}

TEST_CASE("WFS GetFeature: GeoJSON streamed, paging, hits, SRSNAME, PROPERTYNAME, FES") {
    const std::size_t expected = source_feature_count();
    const std::string gf = "/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=geoplex:departements&OUTPUTFORMAT=application/json";
    const auto all = fetch(url(gf + "&COUNT=1000000"));
    REQUIRE(all.status == 200);
    CHECK(all.headers.find("chunked") != std::string::npos);  // streamed
    const auto doc = json::parse(all.body);
    CHECK(doc["features"].size() == expected);
    CHECK(doc["numberMatched"] == expected);
    CHECK(doc["numberReturned"] == expected);
    // Pages of 25 cover every feature once.
    std::set<std::string> codes;
    std::size_t total = 0;
    for (std::size_t start = 0; start < expected; start += 25) {
        const auto page = json::parse(fetch(url(gf + fmt::format("&COUNT=25&STARTINDEX={}", start))).body);
        CHECK(page["numberReturned"] == std::min<std::size_t>(25, expected - start));
        for (const auto& ft : page["features"]) {
            codes.insert(ft["properties"]["code"].get<std::string>());
            ++total;
        }
    }
    CHECK(total == expected);
    CHECK(codes.size() == expected);
    const auto hits = fetch(url("/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=departements&RESULTTYPE=hits"));
    CHECK(hits.body.find(fmt::format("numberMatched=\"{}\"", expected)) != std::string::npos);
    // BBOX in EPSG:4326 (lat,lon) around Marseille: Bouches-du-Rhône and neighbours only.
    const auto near = json::parse(fetch(url(gf + "&BBOX=43.28,5.36,43.31,5.40,urn:ogc:def:crs:EPSG::4326&PROPERTYNAME=code")).body);
    REQUIRE(near["features"].size() >= 1);
    for (const auto& ft : near["features"]) CHECK(ft["properties"].size() == 1);
    bool has13 = false;
    for (const auto& ft : near["features"]) has13 = has13 || ft["properties"]["code"] == "13";
    CHECK(has13);
    // SRSNAME=EPSG:2154: coordinates in Lambert-93 metres.
    const auto l93 = json::parse(fetch(url(gf + "&COUNT=1&SRSNAME=EPSG:2154")).body);
    const double x = l93["features"][0]["geometry"]["coordinates"][0][0][0].is_array()
                         ? l93["features"][0]["geometry"]["coordinates"][0][0][0][0].get<double>()
                         : l93["features"][0]["geometry"]["coordinates"][0][0][0].get<double>();
    CHECK(x > 100000);
    CHECK(x < 1300000);
    // FES: Or of two equalities, Like, Not, Between (string comparison), BBOX in a top-level And.
    const auto fes = [&](const std::string& filter) {
        std::string enc;
        for (const unsigned char c : filter) enc += std::isalnum(c) != 0 ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
        return json::parse(fetch(url(gf + "&FILTER=" + enc)).body)["features"].size();
    };
    const std::string ns = "xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\"";
    CHECK(fes("<fes:Filter " + ns + "><fes:Or><fes:PropertyIsEqualTo><fes:ValueReference>code</fes:ValueReference><fes:Literal>13</fes:Literal>"
              "</fes:PropertyIsEqualTo><fes:PropertyIsEqualTo><fes:ValueReference>code</fes:ValueReference><fes:Literal>34</fes:Literal>"
              "</fes:PropertyIsEqualTo></fes:Or></fes:Filter>") == 2);
    CHECK(fes("<fes:Filter " + ns + "><fes:PropertyIsLike wildCard=\"*\" singleChar=\".\" escapeChar=\"!\"><fes:ValueReference>nom"
              "</fes:ValueReference><fes:Literal>Haute*</fes:Literal></fes:PropertyIsLike></fes:Filter>") ==
          std::stoul(run_command(fmt::format("ogrinfo -ro -q '{}' departements -where \"nom LIKE 'Haute%'\" | grep -c 'OGRFeature('",
                                             data_file("vector/departements.geojson").string()))));
    CHECK(fes("<fes:Filter " + ns + "><fes:Not><fes:PropertyIsEqualTo><fes:ValueReference>code</fes:ValueReference><fes:Literal>13"
              "</fes:Literal></fes:PropertyIsEqualTo></fes:Not></fes:Filter>") == expected - 1);
    CHECK(fes("<fes:Filter " + ns + "><fes:PropertyIsBetween><fes:ValueReference>code</fes:ValueReference><fes:LowerBoundary><fes:Literal>10"
              "</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>19</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>"
              "</fes:Filter>") == std::stoul(run_command(fmt::format("ogrinfo -ro -q '{}' departements -where \"code BETWEEN '10' AND '19'\" | grep -c 'OGRFeature('",
                                                                 data_file("vector/departements.geojson").string()))));
    CHECK(fes("<fes:Filter " + ns + "><fes:And><fes:BBOX><fes:ValueReference>geometry</fes:ValueReference><gml:Envelope srsName=\"urn:ogc:def:crs:EPSG::4326\">"
              "<gml:lowerCorner>43.28 5.36</gml:lowerCorner><gml:upperCorner>43.31 5.40</gml:upperCorner></gml:Envelope></fes:BBOX>"
              "<fes:PropertyIsEqualTo><fes:ValueReference>code</fes:ValueReference><fes:Literal>13</fes:Literal></fes:PropertyIsEqualTo>"
              "</fes:And></fes:Filter>") == 1);
    CHECK(fes("<fes:Filter " + ns + "><fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName=\"http://www.opengis.net/def/crs/OGC/1.3/CRS84\">"
              "<gml:pos>3.88 43.61</gml:pos></gml:Point></fes:Intersects></fes:Filter>") == 1);
}

TEST_CASE("WFS bad requests are OWS ExceptionReports") {
    const std::string gf = "/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature";
    struct Bad {
        std::string query, code;
    };
    const std::vector<Bad> cases{
        {gf + "&TYPENAMES=nope", "InvalidParameterValue"},
        {gf + "&TYPENAMES=ortho", "InvalidParameterValue"},  // a raster layer
        {gf + "&TYPENAMES=departements&STARTINDEX=-1", "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&COUNT=abc", "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&BBOX=1,2,3", "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&BBOX=1,2,3,4,EPSG:999999", "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&FILTER=%3Cfes:Filter%3E%3Cbroken", "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&FILTER=%3CFilter%3E%3CPropertyIsEqualTo%3E%3CValueReference%3Enope%3C/ValueReference%3E%3CLiteral%3E1"
              "%3C/Literal%3E%3C/PropertyIsEqualTo%3E%3C/Filter%3E",
         "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&OUTPUTFORMAT=text/csv", "InvalidParameterValue"},
        {gf + "&TYPENAMES=departements&PROPERTYNAME=nope", "InvalidParameterValue"},
        {gf, "MissingParameterValue"},
        {"/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=Transaction", "OperationNotSupported"},
    };
    for (const auto& c : cases) {
        INFO(c.query);
        const auto r = fetch(url(c.query));
        CHECK(r.status == 400);
        CHECK(r.body.find("<ExceptionReport") != std::string::npos);
        CHECK(exception_code(r.body) == c.code);
    }
    // A huge COUNT is capped at the server's maximum (1000), not an error.
    const auto big = fetch(url(gf + "&TYPENAMES=departements&COUNT=99999999&OUTPUTFORMAT=application/json"));
    CHECK(big.status == 200);
    CHECK(json::parse(big.body)["features"].size() == source_feature_count());
}

TEST_CASE("OGC API Features is read by GDAL's OAPIF driver (paging through next links)") {
    const std::size_t expected = source_feature_count();
    const std::string oapif = "OAPIF:" + url("/ogcapi");
    // A page size of 20 makes the driver follow several next links.
    const std::string all = run_command(fmt::format("ogrinfo -ro -q -oo PAGE_SIZE=20 '{}' departements 2>&1 | grep -c 'OGRFeature('", oapif));
    CHECK(std::stoul(all) == expected);
    const std::string so = run_command(fmt::format("ogrinfo -ro -so '{}' departements 2>&1", oapif));
    INFO(so);
    CHECK(so.find("code: String") != std::string::npos);
    CHECK(so.find("nom: String") != std::string::npos);
    // One feature by id, its code as in the source.
    const auto items = json::parse(fetch(url("/ogcapi/collections/departements/items?limit=5&offset=10")).body);
    REQUIRE(items["features"].size() == 5);
    CHECK(items["numberMatched"] == expected);
    bool next = false, prev = false;
    for (const auto& l : items["links"]) {
        next = next || l["rel"] == "next";
        prev = prev || l["rel"] == "prev";
        if (l["rel"] == "next") CHECK(l["href"].get<std::string>().find("offset=15") != std::string::npos);
    }
    CHECK(next);
    CHECK(prev);
    const auto id = items["features"][0]["id"].get<std::int64_t>();
    const auto one = json::parse(fetch(url(fmt::format("/ogcapi/collections/departements/items/{}", id))).body);
    CHECK(one["properties"]["code"] == items["features"][0]["properties"]["code"]);
    // Property filter and crs (Part 2: EPSG:4326 is lat, lon).
    const auto f = fetch(url("/ogcapi/collections/departements/items?code=34&crs=http://www.opengis.net/def/crs/EPSG/0/4326"));
    REQUIRE(f.status == 200);
    CHECK(f.headers.find("Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/4326>") != std::string::npos);
    const auto fj = json::parse(f.body);
    REQUIRE(fj["features"].size() == 1);
    const auto& ring = fj["features"][0]["geometry"]["coordinates"][0];
    const auto& first = ring[0].is_array() && ring[0][0].is_array() ? ring[0][0] : ring[0];
    CHECK(first[0].get<double>() > 42.0);  // latitude first
    CHECK(first[1].get<double>() < 5.0);
    // bbox (CRS84) around Montpellier: Hérault among the results.
    const auto b = json::parse(fetch(url("/ogcapi/collections/departements/items?bbox=3.87,43.60,3.89,43.62")).body);
    REQUIRE(b["features"].size() == 1);
    CHECK(b["features"][0]["properties"]["code"] == "34");
    // Errors: 400 for bad parameters, 404 for unknown collections and features.
    CHECK(fetch(url("/ogcapi/collections/departements/items?limit=0")).status == 400);
    CHECK(fetch(url("/ogcapi/collections/departements/items?bbox=1,2,3")).status == 400);
    CHECK(fetch(url("/ogcapi/collections/departements/items?crs=EPSG:999999")).status == 400);
    CHECK(fetch(url("/ogcapi/collections/departements/items?nope=1")).status == 400);
    CHECK(fetch(url("/ogcapi/collections/nope/items")).status == 404);
    CHECK(fetch(url("/ogcapi/collections/departements/items/999999")).status == 404);
    const auto conf = json::parse(fetch(url("/ogcapi/conformance")).body);
    CHECK(conf["conformsTo"].size() >= 3);
}

TEST_CASE("FES parsing refuses malformed documents and keeps literals out of the expression") {
    CHECK_THROWS_AS(ogc::parse_fes("<fes:Filter"), InvalidArgument);
    CHECK_THROWS_AS(ogc::parse_fes("<Other/>"), InvalidArgument);
    CHECK_THROWS_AS(ogc::parse_fes("<Filter><PropertyIsEqualTo><Literal>1</Literal></PropertyIsEqualTo></Filter>"), InvalidArgument);
    CHECK_THROWS_AS(ogc::parse_fes("<Filter><And><PropertyIsNull><ValueReference>a</ValueReference></PropertyIsNull></And></Filter>"),
                    InvalidArgument);
    std::string deep = "<Filter>";
    for (int i = 0; i < 100; ++i) deep += "<Not>";
    deep += "<PropertyIsNull><ValueReference>a</ValueReference></PropertyIsNull>";
    for (int i = 0; i < 100; ++i) deep += "</Not>";
    CHECK_THROWS_AS(ogc::parse_fes(deep + "</Filter>"), InvalidArgument);
    const auto f = ogc::parse_fes("<Filter><PropertyIsEqualTo><ValueReference>geoplex:nom</ValueReference><Literal>x' OR '1'='1</Literal>"
                                  "</PropertyIsEqualTo></Filter>");
    CHECK(f.property == "nom");
    CHECK(f.literals.at(0) == "x' OR '1'='1");
    // Injection attempt through the literal matches nothing (it is a quoted string, not SQL).
    std::string enc;
    for (const unsigned char c : std::string("<Filter><PropertyIsEqualTo><ValueReference>code</ValueReference><Literal>x' OR '1'='1"
                                             "</Literal></PropertyIsEqualTo></Filter>"))
        enc += std::isalnum(c) != 0 ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    const auto r = fetch(url("/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=departements&OUTPUTFORMAT=application/json&FILTER=" + enc));
    REQUIRE(r.status == 200);
    CHECK(json::parse(r.body)["features"].empty());
}

TEST_CASE("vector styles: colours and the MapLibre paint subset") {
    CHECK(ogc::parse_color("#ff0000") == ogc::Rgba{255, 0, 0, 255});
    CHECK(ogc::parse_color("0x00FF00") == ogc::Rgba{0, 255, 0, 255});
    CHECK(ogc::parse_color("rgba(0, 0, 255, 0.5)") == ogc::Rgba{0, 0, 255, 128});
    CHECK_FALSE(ogc::parse_color("#12"));
    const auto s = ogc::VectorStyle::from_json(R"({"fill-color":"#102030","fill-opacity":0.25,"line-color":"navy","line-width":2,"circle-radius":5})");
    CHECK(s.fill == ogc::Rgba{16, 32, 48, 255});
    CHECK(s.fill_opacity == 0.25);
    CHECK(s.stroke == ogc::Rgba{0, 0, 128, 255});
    CHECK(s.stroke_width == 2);
    CHECK(s.point_radius == 5);
    CHECK_THROWS_AS(ogc::VectorStyle::from_json(R"({"fill-color":["get","c"]})"), InvalidArgument);
    CHECK_THROWS_AS(ogc::VectorStyle::from_json(R"({"fill-opacity":3})"), InvalidArgument);
}
