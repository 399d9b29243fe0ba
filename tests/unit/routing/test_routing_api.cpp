// Handler tests of the Road2-compatible routing API (/navigation/…) through Router::handle, on
// a bundle whose routing folder is built from a hand-drawn map.

#include <catch2/catch.hpp>
#include <fstream>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/crs.hpp"
#include "geoplex/core/geojson.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/routing_api.hpp"
#include "unit/routing/ascii_map.hpp"

using namespace geoplex;
using nlohmann::json;
using routing::test::AsciiMap;

namespace {

struct Fixture {
    geoplex::test::TempDir dir{"geoplex-routing-api"};
    AsciiMap map{R"(
a-b-c
|   |
d---e
)"};
    std::optional<bundle::Engine> engine;
    server::Router router;
    Fixture() {
        map.way("abc", {{"highway", "primary"}, {"tunnel", "yes"}, {"name", "Rue du Tunnel"}});
        map.way("adec", {{"highway", "residential"}, {"name", "Boulevard"}});
        // One precomputed constraint set, listed by getcapabilities; routes banning tunnels use it.
        routing::ConstraintSet no_tunnel{"no_tunnel", {routing::Constraint{routing::ConstraintType::banned, "wayType",
                                                                            routing::ConstraintOperator::eq, "tunnel", {}}}};
        (void)map.build(dir, nullptr, {no_tunnel});
        std::ofstream(dir / "manifest.toml") << "name = \"test\"\nformat_version = 1\ncomponents = [\"routing\"]\n";
        engine = bundle::Engine::open(dir.path());
        server::add_routing_routes(router);
    }
    std::string pt(char c) const { return fmt::format("{:.7f},{:.7f}", map.at(c).lon, map.at(c).lat); }
};

Fixture& fx() {
    static Fixture f;
    return f;
}

server::Response get(const std::string& path, server::Fields query) {
    server::Request req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    return fx().router.handle(req, *fx().engine);
}

server::Response post(const std::string& path, const json& body, const char* ct = "application/json") {
    server::Request req;
    req.method = "POST";
    req.path = path;
    if (ct != nullptr) req.headers.emplace_back("content-type", ct);
    req.body = body.dump();
    return fx().router.handle(req, *fx().engine);
}

std::string message(const server::Response& r) { return json::parse(r.body)["error"]["message"].get<std::string>(); }

std::vector<LonLat> coords(const json& geometry) {
    std::vector<LonLat> out;
    for (const auto& c : geometry["coordinates"]) out.push_back({c[0].get<double>(), c[1].get<double>()});
    return out;
}

}  // namespace

TEST_CASE("GET /navigation/itineraire answers Road2's fields", "[routing][api]") {
    const auto r = get("/navigation/itineraire", {{"resource", "test"}, {"start", fx().pt('a')}, {"end", fx().pt('c')}});
    REQUIRE(r.status == 200);
    const auto j = json::parse(r.body);
    std::vector<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.push_back(k);
    // nlohmann::json sorts keys; check presence, then the order from the raw body.
    for (const char* k : {"resource", "resourceVersion", "start", "end", "profile", "optimization", "geometry", "crs",
                          "distanceUnit", "timeUnit", "bbox", "distance", "duration", "constraints", "portions"})
        CHECK(j.contains(k));
    CHECK(r.body.find("\"resource\"") < r.body.find("\"portions\""));
    CHECK(j["profile"] == "car");
    CHECK(j["optimization"] == "fastest");
    CHECK(j["crs"] == "EPSG:4326");
    CHECK(j["distanceUnit"] == "meter");
    CHECK(j["timeUnit"] == "minute");
    CHECK(j["start"] == fx().pt('a'));
    CHECK(j["geometry"]["type"] == "LineString");
    CHECK(fx().map.letters(coords(j["geometry"])) == "abc");
    CHECK(j["constraints"].empty());
    REQUIRE(j["portions"].size() == 1);
    const auto& portion = j["portions"][0];
    CHECK(portion["bbox"] == j["bbox"]);
    REQUIRE(portion["steps"].size() == 2);
    CHECK(portion["steps"][0]["instruction"]["type"] == "depart");
    CHECK(portion["steps"][1]["instruction"]["type"] == "arrive");
    CHECK_FALSE(portion["steps"][0].contains("attributes"));
    const double crow = core::geodesic_distance(fx().map.at('a'), fx().map.at('c'));
    CHECK(j["distance"].get<double>() == Approx(crow).margin(0.01));
    // primary: 65 km/h; minutes
    CHECK(j["duration"].get<double>() == Approx(crow / (65 / 3.6) / 60).margin(0.002));
}

TEST_CASE("units, geometry formats and bbox switches", "[routing][api]") {
    const server::Fields base{{"resource", "test"}, {"start", fx().pt('a')}, {"end", fx().pt('e')}};
    auto with = [&](server::Fields extra) {
        server::Fields q = base;
        q.insert(q.end(), extra.begin(), extra.end());
        const auto r = get("/navigation/itineraire", q);
        REQUIRE(r.status == 200);
        return json::parse(r.body);
    };
    const auto m = with({{"timeUnit", "second"}});
    const auto km = with({{"distanceUnit", "kilometer"}, {"timeUnit", "hour"}});
    // metres carry 3 decimals, kilometres 7: compare at the metre resolution
    CHECK(km["distance"].get<double>() == Approx(m["distance"].get<double>() / 1000).margin(2e-6));
    CHECK(km["duration"].get<double>() == Approx(m["duration"].get<double>() / 3600).epsilon(1e-4));
    const auto std_time = with({{"timeUnit", "standard"}});
    const auto secs = static_cast<long>(std::lround(m["duration"].get<double>()));
    CHECK(std_time["duration"] == fmt::format("{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60));
    const auto poly = with({{"geometryFormat", "polyline"}, {"getBbox", "false"}, {"getSteps", "false"}});
    CHECK_FALSE(poly.contains("bbox"));
    CHECK(poly["portions"][0]["steps"].empty());
    const auto decoded = core::decode_polyline(poly["geometry"].get<std::string>());
    const auto geo = coords(m["geometry"]);
    REQUIRE(decoded.size() == geo.size());
    for (std::size_t i = 0; i < geo.size(); ++i) {
        CHECK(decoded[i].lon == Approx(geo[i].lon).margin(1e-5));
        CHECK(decoded[i].lat == Approx(geo[i].lat).margin(1e-5));
    }
    const auto wkt = with({{"geometryFormat", "wkt"}});
    CHECK(wkt["geometry"].get<std::string>().rfind("LINESTRING", 0) == 0);
    const auto named = with({{"waysAttributes", "name"}});
    // a → e: through the primary road (65 km/h) rather than the residential one
    CHECK(named["portions"][0]["steps"][0]["attributes"]["name"]["name"] == "Rue du Tunnel");
}

TEST_CASE("constraints: banned tunnel, echoed with `type`", "[routing][api]") {
    const std::string c = R"({"constraintType":"banned","key":"wayType","operator":"=","value":"tunnel"})";
    const auto r = get("/navigation/itineraire", {{"resource", "test"}, {"start", fx().pt('a')}, {"end", fx().pt('c')},
                                                  {"constraints", c}});
    REQUIRE(r.status == 200);
    const auto j = json::parse(r.body);
    CHECK(fx().map.letters(coords(j["geometry"])) == "adec");
    REQUIRE(j["constraints"].size() == 1);
    CHECK(j["constraints"][0] == json{{"type", "banned"}, {"key", "wayType"}, {"operator", "="}, {"value", "tunnel"}});
    const auto bad = get("/navigation/itineraire", {{"resource", "test"}, {"start", fx().pt('a')}, {"end", fx().pt('c')},
                                                    {"constraints", R"({"constraintType":"banned","key":"wayType","operator":"=","value":"viaduc"})"}});
    CHECK(bad.status == 400);
    CHECK(message(bad) == " Parameter 'constraints' is invalid ");
    const auto four = get("/navigation/itineraire", {{"resource", "test"}, {"start", fx().pt('a')}, {"end", fx().pt('c')},
                                                     {"constraints", c + "|" + c + "|" + c + "|" + c}});
    CHECK(message(four) == " Parameter 'constraints' is invalid ");
}

TEST_CASE("POST with arrays and intermediates gives one portion per leg", "[routing][api]") {
    const json body = {{"resource", "test"},
                       {"start", fx().pt('a')},
                       {"end", fx().pt('d')},
                       {"intermediates", {fx().pt('c')}},
                       {"constraints", {{{"constraintType", "banned"}, {"key", "waytype"}, {"operator", "="}, {"value", "autoroute"}}}}};
    const auto r = post("/navigation/itineraire", body);
    REQUIRE(r.status == 200);
    const auto j = json::parse(r.body);
    REQUIRE(j["portions"].size() == 2);
    CHECK(j["portions"][0]["end"] == fx().pt('c'));
    CHECK(j["portions"][1]["start"] == fx().pt('c'));
    CHECK(j["portions"][0]["distance"].get<double>() + j["portions"][1]["distance"].get<double>() ==
          Approx(j["distance"].get<double>()).margin(0.01));
    CHECK(post("/navigation/itineraire", body, nullptr).status == 400);
    CHECK(message(post("/navigation/itineraire", body, "text/plain")) == " Wrong Content-Type ");
}

TEST_CASE("Lambert-93 in and out", "[routing][api]") {
    const core::CrsTransform to_l93("EPSG:4326", "EPSG:2154");
    auto l93 = [&](char c) {
        const XY p = to_l93.transform(XY{fx().map.at(c).lon, fx().map.at(c).lat});
        return fmt::format("{:.3f},{:.3f}", p.x, p.y);
    };
    const auto r = get("/navigation/itineraire",
                       {{"resource", "test"}, {"start", l93('a')}, {"end", l93('c')}, {"crs", "EPSG:2154"}});
    REQUIRE(r.status == 200);
    const auto j = json::parse(r.body);
    CHECK(j["crs"] == "EPSG:2154");
    const auto& first = j["geometry"]["coordinates"][0];
    const XY a = to_l93.transform(XY{fx().map.at('a').lon, fx().map.at('a').lat});
    CHECK(first[0].get<double>() == Approx(a.x).margin(0.02));
    CHECK(first[1].get<double>() == Approx(a.y).margin(0.02));
    CHECK(message(get("/navigation/itineraire", {{"resource", "test"}, {"start", l93('a')}, {"end", l93('c')},
                                                  {"crs", "EPSG:3857"}})) == " Parameter 'crs' is invalid ");
}

TEST_CASE("bad input gets Road2's 400 messages, never a crash", "[routing][api]") {
    auto msg = [](server::Fields q) {
        const auto r = get("/navigation/itineraire", std::move(q));
        CHECK(r.status >= 400);
        return message(r);
    };
    const std::string a = fx().pt('a'), c = fx().pt('c');
    CHECK(msg({{"start", a}, {"end", c}}) == " Parameter 'resource' not found ");
    CHECK(msg({{"resource", "nope"}, {"start", a}, {"end", c}}) ==
          " Parameter 'resource' is invalid: it does not exist on this service ");
    CHECK(msg({{"resource", "test"}, {"end", c}}) == " Parameter 'start' not found ");
    CHECK(msg({{"resource", "test"}, {"start", "2.0;45.0"}, {"end", c}}) ==
          " Parameter 'start' is invalid. Wrong format or out of the bbox. ");
    CHECK(msg({{"resource", "test"}, {"start", "120.5,10"}, {"end", c}}) ==
          " Parameter 'start' is invalid. Wrong format or out of the bbox. ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", "1e3,45"}}) ==
          " Parameter 'end' is invalid. Wrong format or out of the bbox. ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"profile", "bicycle"}}) == " Parameter 'profile' is invalid ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"optimization", "quickest"}}) ==
          " Parameter 'optimization' is invalid ");
    std::string eleven;
    for (int i = 0; i < 11; ++i) eleven += (i ? "|" : "") + a;
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"intermediates", eleven}}) ==
          " Parameter 'intermediates' is invalid. Wrong format or out of the bbox. ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"getSteps", "yes"}}) == " Parameter 'getSteps' is invalid ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"timeUnit", "day"}}) == " Parameter 'timeUnit' is invalid ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"geometryFormat", "kml"}}) ==
          " Parameter 'geometryFormat' is invalid ");
    CHECK(msg({{"resource", "test"}, {"start", a}, {"end", c}, {"waysAttributes", "nature"}}) ==
          " Parameter 'waysAttributes' is invalid ");
    // Inside the network's bbox but farther than the snapping radius (10 m here) from any road:
    // the middle of the square is ~22 m from every side.
    server::Router strict;
    server::RoutingApiOptions options;
    options.snap_radius_m = 10;
    server::add_routing_routes(strict, options);
    server::Request req;
    req.method = "GET";
    req.path = "/navigation/itineraire";
    req.query = {{"resource", "test"}, {"start", fmt::format("{:.7f},{:.7f}", fx().map.at('a').lon + 0.0004, fx().map.at('a').lat - 0.0002)},
                 {"end", c}};
    const auto miss = strict.handle(req, *fx().engine);
    CHECK(miss.status == 404);
    CHECK_THAT(message(miss), Catch::StartsWith(" No path found"));
}

TEST_CASE("nearest, matrix and getcapabilities", "[routing][api]") {
    const auto n = get("/navigation/nearest", {{"resource", "test"}, {"coordinates", fx().pt('b')}, {"nbPoints", "2"}});
    REQUIRE(n.status == 200);
    const auto nj = json::parse(n.body);
    REQUIRE(nj["points"].size() == 2);
    CHECK(nj["points"][0]["distance"].get<double>() == Approx(0).margin(0.01));
    CHECK(nj["points"][0]["geometry"][0].get<double>() == Approx(fx().map.at('b').lon).margin(1e-7));

    const auto m = get("/navigation/matrix", {{"resource", "test"}, {"sources", fx().pt('a') + "|" + fx().pt('c')},
                                              {"targets", fx().pt('a') + "|" + fx().pt('c')}});
    REQUIRE(m.status == 200);
    const auto mj = json::parse(m.body);
    CHECK(mj["durations"][0][0].get<double>() == 0);
    CHECK(mj["durations"][0][1].get<double>() > 0);
    CHECK(mj["distances"][1][0].get<double>() == Approx(core::geodesic_distance(fx().map.at('a'), fx().map.at('c'))).margin(0.2));
    CHECK(message(get("/navigation/matrix", {{"resource", "test"}, {"sources", fx().pt('a')}})) ==
          " Parameter 'targets' not found ");

    server::Request req;
    req.method = "GET";
    req.path = "/navigation/getcapabilities";
    req.headers.emplace_back("host", "example.org");
    const auto cap = fx().router.handle(req, *fx().engine);
    REQUIRE(cap.status == 200);
    const auto cj = json::parse(cap.body);
    CHECK(cj["info"]["url"] == "http://example.org/navigation/");
    CHECK(cj["api"] == json{{"name", "simple"}, {"version", "1.0.0"}});
    CHECK(cj["operations"][0]["id"] == "route");
    CHECK(cj["operations"][0]["url"] == "/route?");
    REQUIRE(cj["resources"].size() == 1);
    CHECK(cj["resources"][0]["id"] == "test");
    // geoplex extension: the precomputed constraint set, once per profile, in Road2's constraint spelling.
    const json ban = {{"constraintType", "banned"}, {"key", "wayType"}, {"operator", "="}, {"value", "tunnel"}};
    const json sets = cj["resources"][0]["geoplexPrecomputedConstraints"];
    REQUIRE(sets.is_array());
    REQUIRE(sets.size() == 2);
    std::set<std::string> profiles;
    for (const auto& s : sets) {
        profiles.insert(s["profile"].get<std::string>());
        CHECK(s["name"] == "no_tunnel");
        CHECK(s["constraints"] == json::array({ban}));
    }
    CHECK(profiles == std::set<std::string>{"car", "pedestrian"});
}
