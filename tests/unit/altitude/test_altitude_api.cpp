// Handler tests of the Géoplateforme-compatible altimetry API, through Router::handle on a bundle
// built with the altitude Builder. Expected elevations come from the numpy reference.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/server/altitude_api.hpp"
#include "geoplex/server/router.hpp"
#include "unit/altitude/helpers.hpp"

using namespace geoplex;
using namespace geoplex::test;
using nlohmann::json;

namespace {

const std::string base = "/altimetrie/1.0/calcul/alti/rest/";

struct Fixture {
    TempDir dir{"geoplex-alt-api"};
    std::optional<bundle::Engine> engine;
    server::Router router;

    Fixture() {
        auto srtm = alt::source("srtm", data_file("dem/N43E007.hgt"), 1);
        srtm.title = "SRTM 3";
        auto lidar = alt::source("rgealti", data_file("dem/rgealti-1m-toulouse-200px.l93.tif"), 5, altitude::Storage::reference);
        lidar.title = "RGE ALTI 1m";
        lidar.accuracy = "0.2 m";
        auto mix = alt::resource("mix", {srtm, lidar});
        auto monaco = alt::resource("monaco", {alt::source("srtm", data_file("dem/N43E007.hgt"))});
        monaco.keywords = {"Altitude", "SRTM"};
        altitude::BuildConfig cfg;
        cfg.resources = {monaco, mix};
        altitude::Builder(cfg).build(dir / "altitude");
        std::ofstream(dir / "manifest.toml") << "name = \"test\"\nformat_version = 1\ncomponents = [\"altitude\"]\n";
        engine = bundle::Engine::open(dir.path());
        server::add_altitude_routes(router);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

server::Response get(const std::string& path, server::Fields query) {
    server::Request req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    return fixture().router.handle(req, *fixture().engine);
}

server::Response post(const std::string& path, std::string body, std::string content_type = "application/json") {
    server::Request req;
    req.method = "POST";
    req.path = path;
    req.body = std::move(body);
    if (!content_type.empty()) req.headers.emplace_back("content-type", std::move(content_type));
    return fixture().router.handle(req, *fixture().engine);
}

std::set<std::string> keys(const json& o) {
    std::set<std::string> k;
    for (const auto& [key, v] : o.items()) k.insert(key);
    return k;
}

/// A 400 in the altimetry error style whose description mentions `needle`.
void check_bad_request(const server::Response& r, const std::string& needle) {
    INFO(r.body);
    CHECK(r.status == 400);
    const auto j = json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    REQUIRE(j.contains("error"));
    CHECK(keys(j["error"]) == std::set<std::string>{"code", "description"});
    CHECK(j["error"]["description"].get<std::string>().find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("elevation.json answers the Géoplateforme shape", "[altitude][api]") {
    const std::vector<LonLat> pts{{7.42, 43.73}, {7.4312345, 43.7654321}, {7.5, 45.5}};
    const auto ref = alt::numpy_reference(data_file("dem/N43E007.hgt"), pts, fixture().dir.path());
    const auto r = get(base + "elevation.json",
                       {{"lon", "7.42|7.4312345|7.5"}, {"lat", "43.73|43.7654321|45.5"}, {"resource", "monaco"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.content_type.find("application/json") == 0);
    const auto j = json::parse(r.body);
    CHECK(keys(j) == std::set<std::string>{"elevations"});
    REQUIRE(j["elevations"].size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& e = j["elevations"][i];
        CHECK(keys(e) == std::set<std::string>{"lon", "lat", "z", "acc"});
        CHECK(e["lon"].get<double>() == pts[i].lon);
        CHECK(e["lat"].get<double>() == pts[i].lat);
        CHECK(e["acc"] == "Variable suivant la source de mesure");
        const double z = e["z"].get<double>();
        CHECK(std::fabs(z * 100 - std::round(z * 100)) < 1e-6);  // 2 decimals
        if (std::isnan(ref.bilinear[i])) CHECK(z == -99999.0);
        else CHECK(z == Approx(ref.bilinear[i]).margin(0.005 + 1e-9));
    }
    CHECK(j["elevations"][2]["z"] == -99999);
}

TEST_CASE("zonly, measures, indent and xml", "[altitude][api]") {
    const server::Fields q{{"lon", "7.42|7.43"}, {"lat", "43.73|43.74"}, {"resource", "mix"}};
    const auto plain = json::parse(get(base + "elevation.json", q).body);

    SECTION("zonly") {
        auto qq = q;
        qq.emplace_back("zonly", "true");
        const auto j = json::parse(get(base + "elevation.json", qq).body);
        REQUIRE(j["elevations"].size() == 2);
        CHECK(j["elevations"][0].is_number());
        CHECK(j["elevations"][0] == plain["elevations"][0]["z"]);
        CHECK(j["elevations"][1] == plain["elevations"][1]["z"]);
    }
    SECTION("measures") {
        auto qq = q;
        qq.emplace_back("measures", "true");
        const auto j = json::parse(get(base + "elevation.json", qq).body);
        const auto& e = j["elevations"][0];
        CHECK(keys(e) == std::set<std::string>{"lon", "lat", "z", "acc", "measures"});
        REQUIRE(e["measures"].size() == 2);
        for (const auto& m : e["measures"])
            CHECK(keys(m) == std::set<std::string>{"z", "source_name", "source_measure", "acc", "title"});
        // Highest priority first: the 1 m DTM (Toulouse) does not cover Monaco, SRTM does.
        CHECK(e["measures"][0]["source_name"] == "rgealti");
        CHECK(e["measures"][0]["z"] == -99999);
        CHECK(e["measures"][0]["acc"] == "0.2 m");
        CHECK(e["measures"][1]["source_name"] == "srtm");
        CHECK(e["measures"][1]["z"] == e["z"]);
        CHECK(e["acc"] == "Variable suivant la source de mesure");  // accuracy of the source used
    }
    SECTION("indent") {
        auto qq = q;
        qq.emplace_back("indent", "true");
        const auto r = get(base + "elevation.json", qq);
        CHECK(r.body.find('\n') != std::string::npos);
        CHECK(json::parse(r.body) == plain);
        qq.back().second = "yes";
        check_bad_request(get(base + "elevation.json", qq), "indent");
    }
    SECTION("xml") {
        const auto r = get(base + "elevation.xml", q);
        INFO(r.body);
        REQUIRE(r.status == 200);
        CHECK(r.content_type.find("xml") != std::string::npos);
        CHECK(r.body.rfind("<?xml", 0) == 0);
        const std::string z0 = plain["elevations"][0]["z"].dump();
        CHECK(r.body.find("<elevations><elevation><lon>7.42</lon><lat>43.73</lat><z>" + z0 +
                          "</z><acc>Variable suivant la source de mesure</acc></elevation>") != std::string::npos);
        std::size_t count = 0;
        for (std::size_t p = r.body.find("<elevation>"); p != std::string::npos; p = r.body.find("<elevation>", p + 1)) ++count;
        CHECK(count == 2);
        auto qq = q;
        qq.emplace_back("zonly", "true");
        CHECK(get(base + "elevation.xml", qq).body.find("<elevations><z>" + z0 + "</z>") != std::string::npos);
    }
}

TEST_CASE("delimiters and POST bodies give the same answer as GET", "[altitude][api]") {
    const auto expect = json::parse(get(base + "elevation.json", {{"lon", "7.42|7.43"}, {"lat", "43.73|43.74"}, {"resource", "monaco"}}).body);
    REQUIRE(expect["elevations"].size() == 2);
    for (const std::string d : {";", ","}) {
        const auto r = get(base + "elevation.json", {{"lon", "7.42" + d + "7.43"}, {"lat", "43.73" + d + "43.74"},
                                                     {"resource", "monaco"}, {"delimiter", d}});
        CHECK(json::parse(r.body) == expect);
    }
    check_bad_request(get(base + "elevation.json", {{"lon", "7.42x7.43"}, {"lat", "43.73x43.74"}, {"resource", "monaco"}, {"delimiter", "x"}}),
                      "delimiter");
    // Without the delimiter parameter, ';' is not a separator.
    check_bad_request(get(base + "elevation.json", {{"lon", "7.42;7.43"}, {"lat", "43.73;43.74"}, {"resource", "monaco"}}), "lon");

    const auto p = post(base + "elevation.json",
                        R"({"lon":"7.42|7.43","lat":"43.73|43.74","resource":"monaco","indent":"false","zonly":"false"})");
    INFO(p.body);
    CHECK(p.status == 200);
    CHECK(json::parse(p.body) == expect);
    CHECK(post(base + "elevation.json", R"({"lon":"7.42|7.43","lat":"43.73|43.74","resource":"monaco"})",
               "application/json; charset=utf-8").status == 200);
    check_bad_request(post(base + "elevation.json", R"({"lon":"7.42","lat":"43.73","resource":"monaco"})", "text/plain"),
                      "Content-Type");
    check_bad_request(post(base + "elevation.json", R"({"lon":"7.42","lat":"43.73","resource":"monaco"})", ""), "Content-Type");
    check_bad_request(post(base + "elevation.json", "{not json"), "JSON");
    check_bad_request(post(base + "elevation.json", R"(["lon"])"), "JSON");
    check_bad_request(post(base + "elevation.json", R"({"lon":["7.42"],"lat":"43.73","resource":"monaco"})"), "lon");
}

TEST_CASE("request errors are 400 bodies in the altimetry style", "[altitude][api]") {
    const std::string path = base + "elevation.json";
    check_bad_request(get(path, {{"lon", "7.42"}, {"lat", "43.73"}}), "resource");
    check_bad_request(get(path, {{"resource", "monaco"}}), "'lon', 'lat'");
    check_bad_request(get(path, {{"lon", "7.42|7.43"}, {"lat", "43.73"}, {"resource", "monaco"}}), "same number");
    check_bad_request(get(path, {{"lon", "7.42"}, {"lat", "43.73"}, {"resource", "nope"}}), "nope");
    for (const std::string bad : {"nan", "NaN", "inf", "abc", "1e999", "7.4.2", "", " ", "7.42|", "0x10", "181", "-180.5", "7,42"}) {
        INFO("lon = '" << bad << "'");
        const auto r = get(path, {{"lon", bad}, {"lat", "43.73"}, {"resource", "monaco"}});
        CHECK(r.status == 400);
        CHECK(json::parse(r.body, nullptr, false).contains("error"));
    }
    check_bad_request(get(path, {{"lon", "7.42"}, {"lat", "90.5"}, {"resource", "monaco"}}), "lat");

    SECTION("at most 5000 points") {
        std::string lon, lat;
        for (int i = 0; i < 5000; ++i) {
            lon += (i ? "|" : "") + fmt::format("{:.5f}", 7.0 + i * 1e-4);
            lat += (i ? "|" : "") + std::string("43.7");
        }
        const auto ok = get(path, {{"lon", lon}, {"lat", lat}, {"resource", "monaco"}, {"zonly", "true"}});
        REQUIRE(ok.status == 200);
        CHECK(json::parse(ok.body)["elevations"].size() == 5000);
        check_bad_request(get(path, {{"lon", lon + "|7.1"}, {"lat", lat + "|43.7"}, {"resource", "monaco"}}), "5000");
    }
    SECTION("unknown resource details are 404") {
        const auto r = get("/altimetrie/resources/nope", {});
        CHECK(r.status == 404);
        CHECK(json::parse(r.body)["error"].contains("description"));
    }
}

TEST_CASE("elevationLine samples the line and reports height differences", "[altitude][api]") {
    const std::string path = base + "elevationLine.json";
    const server::Fields q{{"lon", "7.42|7.43|7.50"}, {"lat", "43.73|43.77|43.78"}, {"resource", "monaco"}};
    auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
        auto qq = q;
        for (auto& e : extra) qq.push_back(std::move(e));
        return qq;
    };
    const auto r = get(path, with({{"sampling", "50"}}));
    INFO(r.body);
    REQUIRE(r.status == 200);
    const auto j = json::parse(r.body);
    CHECK(keys(j) == std::set<std::string>{"elevations", "height_differences"});
    REQUIRE(j["elevations"].size() == 50);
    CHECK(keys(j["elevations"][0]) == std::set<std::string>{"lon", "lat", "z", "acc"});
    CHECK(keys(j["height_differences"]) == std::set<std::string>{"positive", "negative"});
    double pos = 0, neg = 0;
    for (std::size_t i = 1; i < 50; ++i) {
        const double d = j["elevations"][i]["z"].get<double>() - j["elevations"][i - 1]["z"].get<double>();
        (d > 0 ? pos : neg) += std::fabs(d);
    }
    CHECK(j["height_differences"]["positive"].get<double>() == Approx(pos).margin(0.5));
    CHECK(j["height_differences"]["negative"].get<double>() == Approx(neg).margin(0.5));
    CHECK(pos > 300);
    // Samples follow the numpy reference.
    std::vector<LonLat> pts;
    for (const auto& e : j["elevations"]) pts.push_back({e["lon"].get<double>(), e["lat"].get<double>()});
    const auto ref = alt::numpy_reference(data_file("dem/N43E007.hgt"), pts, fixture().dir.path());
    for (std::size_t i = 0; i < pts.size(); ++i)
        CHECK(j["elevations"][i]["z"].get<double>() == Approx(ref.bilinear[i]).margin(0.01));

    CHECK(json::parse(get(path, q).body)["elevations"].size() == 3);  // default sampling = input points
    CHECK(json::parse(get(path, with({{"sampling", "4"}, {"profile_mode", "accurate"}})).body)["elevations"].size() == 8);
    CHECK(json::parse(get(path, with({{"sampling", "4"}, {"profile_mode", "simple"}})).body)["elevations"].size() == 4);
    check_bad_request(get(path, with({{"sampling", "1"}})), "sampling");
    check_bad_request(get(path, with({{"sampling", "5001"}})), "sampling");
    check_bad_request(get(path, with({{"sampling", "ten"}})), "sampling");
    check_bad_request(get(path, with({{"profile_mode", "fast"}})), "profile_mode");
    check_bad_request(get(path, {{"lon", "7.42"}, {"lat", "43.73"}, {"resource", "monaco"}}), "2 points");

    const auto x = get(base + "elevationLine.xml", with({{"sampling", "5"}}));
    CHECK(x.status == 200);
    CHECK(x.body.find("<height_differences><positive>") != std::string::npos);
    const auto p = post(path, R"({"lon":"7.42|7.43|7.50","lat":"43.73|43.77|43.78","resource":"monaco","sampling":"50"})");
    CHECK(json::parse(p.body) == j);
}

TEST_CASE("resource listing and details", "[altitude][api]") {
    const auto all = json::parse(get("/altimetrie/resources", {}).body);
    REQUIRE(all["resources"].size() == 2);
    CHECK(all["content"] == "2 resources");
    CHECK(all["resources"][0]["_id"] == "monaco");
    CHECK(keys(all["resources"][0]["bbox"]) == std::set<std::string>{"west", "south", "east", "north"});
    CHECK(all["resources"][0]["bbox"]["west"].get<double>() == Approx(6.99958).margin(1e-4));
    const auto both = json::parse(get("/altimetrie/resources", {{"keywords", "Altitude"}, {"keywords", "Test"}}).body);
    REQUIRE(both["resources"].size() == 1);
    CHECK(both["resources"][0]["_id"] == "mix");
    CHECK(json::parse(get("/altimetrie/resources", {{"keywords", "Nope"}}).body)["resources"].empty());
    const auto one = json::parse(get("/altimetrie/resources/mix", {}).body);
    CHECK(one["_id"] == "mix");
    REQUIRE(one["sources"].size() == 2);
    CHECK(one["sources"][0]["name"] == "rgealti");
    CHECK(one["sources"][0]["crs"] == "EPSG:2154");
    CHECK(one["sources"][1]["crs"] == "EPSG:4326");
}

TEST_CASE("garbage requests never crash", "[altitude][api]") {
    std::mt19937 rng(123);
    const std::string alphabet = "0123456789.-+eE|;,nNaAiIfF x\xff\"\\{}[]:";
    auto garbage = [&] {
        std::string s;
        const int n = static_cast<int>(rng() % 24);
        for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
        return s;
    };
    const char* names[] = {"lon", "lat", "resource", "delimiter", "indent", "measures", "zonly", "sampling", "profile_mode"};
    for (int i = 0; i < 600; ++i) {
        server::Fields q{{"lon", "7.42|7.43"}, {"lat", "43.73|43.74"}, {"resource", "monaco"}};
        for (int k = 0; k < 3; ++k) q.emplace_back(names[rng() % 9], garbage());
        std::shuffle(q.begin(), q.end(), rng);
        const std::string path = base + (i % 2 ? "elevation.json" : "elevationLine.json");
        const auto r = i % 3 == 0 ? post(path, json(json::object()).dump() + garbage()) : get(path, q);
        INFO(r.body);
        CHECK((r.status == 200 || r.status == 400));
        CHECK_FALSE(json::parse(r.body, nullptr, false).is_discarded());
    }
}

TEST_CASE("every altimetry route documents its parameters in OpenAPI", "[altitude][api]") {
    const auto doc = json::parse(fixture().router.openapi_json("geoplex", "test"));
    REQUIRE(doc.contains("paths"));
    for (const std::string route : {"elevation.json", "elevation.xml", "elevationLine.json", "elevationLine.xml"}) {
        INFO(route);
        const auto& item = doc["paths"][base + route];
        REQUIRE(item.contains("get"));
        REQUIRE(item.contains("post"));
        std::set<std::string> names;
        for (const auto& p : item["get"]["parameters"]) names.insert(p["name"].get<std::string>());
        std::set<std::string> expect{"lon", "lat", "resource", "delimiter", "indent", "measures", "zonly"};
        if (route.rfind("elevationLine", 0) == 0) expect.insert({"sampling", "profile_mode"});
        CHECK(names == expect);
    }
    CHECK(doc["paths"].contains("/altimetrie/resources"));
    CHECK(doc["paths"]["/altimetrie/resources/{id}"]["get"]["parameters"][0]["name"] == "id");
}
