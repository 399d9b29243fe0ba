// Handler tests of the Road2-compatible isochrone API (GET|POST /navigation/isochrone) through
// Router::handle, on a bundle built from a hand-drawn map: parameter names, response fields,
// units, CRS, geometry formats, constraints, getcapabilities, Road2's error bodies.

#include <catch2/catch.hpp>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/crs.hpp"
#include "geoplex/server/isochrone_api.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/routing_api.hpp"
#include "unit/routing/ascii_map.hpp"

using namespace geoplex;
using nlohmann::json;
using routing::test::AsciiMap;

namespace {

struct Fixture {
    geoplex::test::TempDir dir{"geoplex-isochrone-api"};
    AsciiMap map{R"(
a-------b-------c-------d-------e
        |
        |
        |
        |
        |
        f
)"};
    std::optional<bundle::Engine> engine;
    server::Router router;
    Fixture() {
        map.way("abcde", {{"highway", "residential"}, {"name", "Grande Rue"}});
        map.way("bf", {{"highway", "residential"}, {"tunnel", "yes"}});
        (void)map.build(dir);
        std::ofstream(dir / "manifest.toml") << "name = \"test\"\nformat_version = 1\ncomponents = [\"routing\"]\n";
        engine = bundle::Engine::open(dir.path());
        server::add_routing_routes(router);
        server::add_isochrone_routes(router);
    }
    std::string pt(char c) const { return fmt::format("{:.7f},{:.7f}", map.at(c).lon, map.at(c).lat); }
};

Fixture& fx() {
    static Fixture f;
    return f;
}

server::Response get(server::Fields query, const std::string& path = "/navigation/isochrone") {
    server::Request req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    return fx().router.handle(req, *fx().engine);
}

server::Response post(const json& body, const char* ct = "application/json") {
    server::Request req;
    req.method = "POST";
    req.path = "/navigation/isochrone";
    if (ct != nullptr) req.headers.emplace_back("content-type", ct);
    req.body = body.dump();
    return fx().router.handle(req, *fx().engine);
}

std::string message(const server::Response& r) { return json::parse(r.body)["error"]["message"].get<std::string>(); }

BBox bbox_of(const json& geometry) {
    BBox b;
    const bool multi = geometry["type"] == "MultiPolygon";
    const auto& polys = multi ? geometry["coordinates"] : json::array({geometry["coordinates"]});
    for (const auto& poly : polys)
        for (const auto& ring : poly)
            for (const auto& c : ring) b.extend(c[0].get<double>(), c[1].get<double>());
    return b;
}

server::Fields base(std::string cost_type, std::string value) {
    return {{"resource", "test"}, {"point", fx().pt('a')}, {"costType", std::move(cost_type)}, {"costValue", std::move(value)}};
}

}  // namespace

TEST_CASE("GET /navigation/isochrone answers Road2's fields", "[isochrone][api]") {
    const auto r = get(base("time", "20"));
    REQUIRE(r.status == 200);
    const auto j = nlohmann::ordered_json::parse(r.body);  // keeps the response's field order
    std::vector<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"point", "resource", "resourceVersion", "costType", "costValue", "timeUnit",
                                           "profile", "direction", "crs", "geometry", "optimization", "constraints"});
    CHECK(j["point"] == fx().pt('a'));
    CHECK(j["resource"] == "test");
    CHECK(j["costType"] == "time");
    CHECK(j["costValue"].get<double>() == 20.0);
    CHECK(j["timeUnit"] == "second");  // Road2's pgr sample default
    CHECK(j["profile"] == "car");
    CHECK(j["direction"] == "departure");
    CHECK(j["crs"] == "EPSG:4326");
    CHECK(j["optimization"] == "fastest");
    CHECK(j["constraints"].empty());
    CHECK(j["geometry"]["type"] == "Polygon");
    const BBox b = bbox_of(json::parse(j["geometry"].dump()));
    CHECK(b.contains(fx().map.at('a')));
    CHECK(b.max_x < fx().map.at('e').lon);  // 20 s by car does not reach 500 m away
}

TEST_CASE("isochrone units: minutes and hours, metres and kilometres give the same contour", "[isochrone][api]") {
    const auto s = json::parse(get(base("time", "30")).body);
    auto q = base("time", "0.5");
    q.emplace_back("timeUnit", "minute");
    const auto m = json::parse(get(q).body);
    CHECK(m["timeUnit"] == "minute");
    CHECK(m["costValue"].get<double>() == 0.5);
    CHECK(m["geometry"] == s["geometry"]);
    const auto d = json::parse(get(base("distance", "200")).body);
    auto qk = base("distance", "0.2");
    qk.emplace_back("distanceUnit", "kilometer");
    const auto k = json::parse(get(qk).body);
    CHECK(d["distanceUnit"] == "meter");
    CHECK_FALSE(d.contains("timeUnit"));
    CHECK(d["optimization"] == "shortest");
    CHECK(k["distanceUnit"] == "kilometer");
    CHECK(k["geometry"] == d["geometry"]);
    // 200 m along the road from a: b (126 m) inside, c (252 m) and beyond outside (buffer 50 m)
    const BBox b = bbox_of(d["geometry"]);
    CHECK(b.contains(fx().map.at('b')));
    CHECK(b.max_x < fx().map.at('c').lon);
}

TEST_CASE("isochrone constraints, directions, formats, CRS and several contours", "[isochrone][api]") {
    auto q = base("distance", "400");
    const auto open = json::parse(get(q).body);
    CHECK(bbox_of(open["geometry"]).min_y <= fx().map.at('f').lat);  // through the tunnel to f
    q.emplace_back("constraints", R"({"constraintType":"banned","key":"wayType","operator":"=","value":"tunnel"})");
    const auto r = get(q);
    REQUIRE(r.status == 200);
    const auto banned = json::parse(r.body);
    CHECK(bbox_of(banned["geometry"]).min_y > fx().map.at('f').lat + 0.0005);
    CHECK(banned["constraints"] == json::parse(R"([{"type":"banned","key":"wayType","operator":"=","value":"tunnel"}])"));

    auto qa = base("time", "20");
    qa.emplace_back("direction", "arrival");
    CHECK(json::parse(get(qa).body)["direction"] == "arrival");

    auto qw = base("time", "20");
    qw.emplace_back("geometryFormat", "wkt");
    CHECK(json::parse(get(qw).body)["geometry"].get<std::string>().rfind("POLYGON", 0) == 0);
    auto qp = base("time", "20");
    qp.emplace_back("geometryFormat", "polyline");
    CHECK(json::parse(get(qp).body)["geometry"].is_string());

    const XY a93 = core::CrsTransform("EPSG:4326", "EPSG:2154").transform(XY{fx().map.at('a').lon, fx().map.at('a').lat});
    const auto l93 = get({{"resource", "test"}, {"point", fmt::format("{:.2f},{:.2f}", a93.x, a93.y)},
                          {"costType", "time"}, {"costValue", "20"}, {"crs", "EPSG:2154"}});
    REQUIRE(l93.status == 200);
    const auto jl = json::parse(l93.body);
    CHECK(jl["crs"] == "EPSG:2154");
    const BBox bl = bbox_of(jl["geometry"]);
    CHECK(bl.contains(a93.x, a93.y));

    const auto multi = json::parse(get(base("time", "10|40")).body);
    REQUIRE(multi["contours"].size() == 2);
    CHECK(multi["contours"][0]["costValue"].get<double>() == 10.0);
    CHECK(bbox_of(multi["contours"][0]["geometry"]).max_x < bbox_of(multi["contours"][1]["geometry"]).max_x);

    const auto p = post({{"resource", "test"}, {"point", fx().pt('a')}, {"costType", "time"}, {"costValue", 20},
                         {"constraints", json::array({{{"constraintType", "banned"}, {"key", "waytype"},
                                                       {"operator", "="}, {"value", "tunnel"}}})}});
    REQUIRE(p.status == 200);
    CHECK(json::parse(p.body)["costValue"].get<double>() == 20.0);
}

TEST_CASE("isochrone bad input gets Road2's 400 messages", "[isochrone][api]") {
    auto msg = [](server::Fields q) {
        const auto r = get(std::move(q));
        CHECK(r.status == 400);
        return message(r);
    };
    const std::string a = fx().pt('a');
    CHECK(msg({{"point", a}, {"costType", "time"}, {"costValue", "10"}}) == " Parameter 'resource' not found ");
    CHECK(msg({{"resource", "nope"}, {"point", a}, {"costType", "time"}, {"costValue", "10"}}) ==
          " Parameter 'resource' is invalid: it does not exist on this service ");
    CHECK(msg({{"resource", "test"}, {"costType", "time"}, {"costValue", "10"}}) == " Parameter 'point' not found ");
    CHECK(msg({{"resource", "test"}, {"point", "2;45"}, {"costType", "time"}, {"costValue", "10"}}) ==
          " Parameter 'point' is invalid. Wrong format or out of the bbox. ");
    CHECK(msg({{"resource", "test"}, {"point", a}, {"costValue", "10"}}) == " Parameter 'costType' not found. ");
    CHECK(msg(base("temps", "10")) == " Parameter 'costType' is invalid ");
    CHECK(msg({{"resource", "test"}, {"point", a}, {"costType", "time"}}) == " Parameter 'costValue' not found ");
    CHECK(msg(base("time", "-3")) == " Parameter 'costValue' is invalid ");
    CHECK(msg(base("time", "ten")) == " Parameter 'costValue' is invalid ");
    CHECK(msg(base("time", "1e9")) == " Parameter 'costValue' is invalid ");
    auto with = [](server::Fields q, const char* k, const char* v) {
        q.emplace_back(k, v);
        return q;
    };
    CHECK(msg(with(base("time", "10"), "profile", "bicycle")) == " Parameter 'profile' is invalid ");
    CHECK(msg(with(base("time", "10"), "direction", "départ")) == " Parameter 'direction' is invalid ");
    CHECK(msg(with(base("time", "10"), "constraints",
                   R"({"constraintType":"preferred","key":"wayType","operator":"=","value":"tunnel"})")) ==
          " Parameter 'constraints' is invalid ");
    CHECK(msg(with(base("time", "10"), "geometryFormat", "kml")) == " Parameter 'geometryFormat' is invalid ");
    CHECK(msg(with(base("time", "10"), "timeUnit", "standard")) == " Parameter 'timeUnit' is invalid ");
    CHECK(msg(with(base("distance", "10"), "distanceUnit", "mile")) == " Parameter 'distanceUnit' is invalid ");
    CHECK(msg(with(base("time", "10"), "crs", "EPSG:3857")) == " Parameter 'crs' is invalid ");
    CHECK(message(post({{"resource", "test"}}, "text/plain")) == " Wrong Content-Type ");
}

TEST_CASE("getcapabilities lists the isochrone operation", "[isochrone][api]") {
    const auto r = get({}, "/navigation/getcapabilities");
    REQUIRE(r.status == 200);
    const auto j = json::parse(r.body);
    bool op = false;
    for (const auto& o : j["operations"])
        if (o["id"] == "isochrone") {
            op = true;
            CHECK(o["url"] == "/isochrone?");
            std::vector<std::string> names;
            for (const auto& p : o["parameters"]) names.push_back(p["name"]);
            CHECK(names == std::vector<std::string>{"resource", "point", "costType", "costValue", "profile", "direction",
                                                    "constraints", "geometryFormat", "distanceUnit", "timeUnit", "crs"});
        }
    CHECK(op);
    bool listed = false;
    for (const auto& o : j["resources"][0]["availableOperations"])
        if (o["id"] == "isochrone") {
            listed = true;
            CHECK(o["availableParameters"][2]["values"] == json::array({"time", "distance"}));
        }
    CHECK(listed);
}
