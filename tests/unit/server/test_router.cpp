// Router: matching, captures, specificity, 404/405, exception translation, OpenAPI.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/server.hpp"
#include "server_test_support.hpp"

using namespace geoplex;
using namespace geoplex::server;
using nlohmann::json;

namespace {

Handler echo(std::string name) {
    return [name](const Request& r, const bundle::Engine&) {
        json j;
        j["route"] = name;
        j["method"] = r.method;
        for (const auto& [k, v] : r.path_params) j["params"][k] = v;
        return Response::json(j.dump());
    };
}

Router::Route route(std::vector<std::string> methods, std::string pattern, Handler h, ErrorStyle style = ErrorStyle::plain,
                    std::string openapi = {}) {
    return Router::Route{std::move(methods), std::move(pattern), std::move(h), style, std::move(openapi)};
}

Response call(const Router& router, std::string method, std::string path) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    return router.handle(r, test::shared_engine());
}

json call_json(const Router& router, std::string method, std::string path) {
    return json::parse(call(router, std::move(method), std::move(path)).body);
}

std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) return v;
    }
    return {};
}

Router sample() {
    Router router;
    router.add(route({"GET"}, "/health", echo("health")));
    router.add(route({"GET", "POST"}, "/navigation/itineraire", echo("route"), ErrorStyle::road2));
    router.add(route({"GET"}, "/geocodage/search", echo("search"), ErrorStyle::geocoder));
    router.add(route({"GET"}, "/geocodage/completion", echo("completion"), ErrorStyle::completion));
    router.add(route({"GET"}, "/altimetrie/resources/{id}", echo("resource"), ErrorStyle::altimetry));
    router.add(route({"GET"}, "/altimetrie/resources/special", echo("special"), ErrorStyle::altimetry));
    router.add(route({"GET"}, "/tms/1.0.0/{layer}/{z}/{x}/{file}", echo("tile")));
    router.add(route({"GET"}, "/", echo("root")));
    return router;
}

}  // namespace

TEST_CASE("literal and captured segments", "[server][router]") {
    const Router router = sample();
    CHECK(call_json(router, "GET", "/health")["route"] == "health");
    CHECK(call_json(router, "GET", "/")["route"] == "root");

    const auto tile = call_json(router, "GET", "/tms/1.0.0/PLAN.IGN/12/2075/1409.pbf");
    CHECK(tile["route"] == "tile");
    CHECK(tile["params"]["layer"] == "PLAN.IGN");
    CHECK(tile["params"]["z"] == "12");
    CHECK(tile["params"]["x"] == "2075");
    CHECK(tile["params"]["file"] == "1409.pbf");

    const auto res = call_json(router, "GET", "/altimetrie/resources/ign_rge_alti_wld");
    CHECK(res["route"] == "resource");
    CHECK(res["params"]["id"] == "ign_rge_alti_wld");

    SECTION("a literal beats a capture, whatever the order of add()") {
        CHECK(call_json(router, "GET", "/altimetrie/resources/special")["route"] == "special");
    }
    SECTION("literals are case-insensitive, captures keep their case") {
        CHECK(call_json(router, "GET", "/Navigation/Itineraire")["route"] == "route");
        CHECK(call_json(router, "GET", "/ALTIMETRIE/resources/AbC")["params"]["id"] == "AbC");
    }
    SECTION("one trailing slash is ignored") {
        CHECK(call_json(router, "GET", "/geocodage/completion/")["route"] == "completion");
        CHECK(call(router, "GET", "/geocodage/completion//").status == 404);
    }
    SECTION("captures need a non-empty segment and the right depth") {
        CHECK(call(router, "GET", "/altimetrie/resources/").status == 404);
        CHECK(call(router, "GET", "/tms/1.0.0/PLAN.IGN/12/2075").status == 404);
        CHECK(call(router, "GET", "/tms/1.0.0/PLAN.IGN/12/2075/1/2").status == 404);
        CHECK(call(router, "GET", "/tms/1.0.0//12/2075/1409.pbf").status == 404);
    }
}

TEST_CASE("unknown paths are 404 in the style of the nearest service", "[server][router]") {
    const Router router = sample();
    SECTION("plain") {
        const auto r = call(router, "GET", "/nothing/here");
        CHECK(r.status == 404);
        CHECK(json::parse(r.body)["error"]["code"] == "not_found");
    }
    SECTION("road2: {\"error\":\"Not found\"}") {
        const auto r = call(router, "GET", "/navigation/unknown");
        CHECK(r.status == 404);
        CHECK(json::parse(r.body) == json::parse(R"({"error":"Not found"})"));
    }
    SECTION("geocoder") {
        const auto r = call(router, "GET", "/geocodage/nope");
        CHECK(r.status == 404);
        CHECK(json::parse(r.body)["code"] == 404);
    }
    SECTION("completion's prefix answers a real 404 (geocoder body)") {
        const auto r = call(router, "GET", "/geocodage/completion/more/segments");
        CHECK(r.status == 404);
        CHECK(json::parse(r.body)["code"] == 404);
    }
    SECTION("altimetry") {
        const auto r = call(router, "GET", "/altimetrie/1.0/calcul/nothing");
        CHECK(r.status == 404);
        CHECK(json::parse(r.body)["error"]["code"] == "NOT_FOUND");
    }
}

TEST_CASE("known path, other method: 405 with Allow", "[server][router]") {
    const Router router = sample();
    const auto r = call(router, "DELETE", "/navigation/itineraire");
    CHECK(r.status == 405);
    CHECK(header(r, "Allow") == "GET, HEAD, POST");
    CHECK(json::parse(r.body).contains("error"));

    const auto c = call(router, "POST", "/geocodage/completion");
    CHECK(c.status == 405);  // never the completion style's 200
    CHECK(header(c, "Allow") == "GET, HEAD");

    CHECK(router.allowed_methods("/health") == std::vector<std::string>{"GET", "HEAD"});
    CHECK(router.allowed_methods("/nope").empty());
}

TEST_CASE("HEAD falls back to the GET route, which sees GET", "[server][router]") {
    const Router router = sample();
    const auto j = call_json(router, "HEAD", "/health");
    CHECK(j["route"] == "health");
    CHECK(j["method"] == "GET");
    CHECK(call(router, "HEAD", "/navigation/itineraire").status == 200);
}

TEST_CASE("handler exceptions become the route's error body", "[server][router]") {
    Router router;
    std::string logged;
    router.set_error_log([&](std::string_view m) { logged = m; });
    router.add(route({"GET"}, "/navigation/itineraire",
                     [](const Request&, const bundle::Engine&) -> Response {
                         throw HttpError(400, "Parameter 'start' not found");
                     },
                     ErrorStyle::road2));
    router.add(route({"GET"}, "/geocodage/search",
                     [](const Request&, const bundle::Engine&) -> Response { throw InvalidArgument("q: required"); },
                     ErrorStyle::geocoder));
    router.add(route({"GET"}, "/altimetrie/boom",
                     [](const Request&, const bundle::Engine&) -> Response { throw std::logic_error("secret bug"); },
                     ErrorStyle::altimetry));
    router.add(route({"GET"}, "/geocodage/completion",
                     [](const Request&, const bundle::Engine&) -> Response { throw Error(errc::not_found, "nothing"); },
                     ErrorStyle::completion));

    auto r = call(router, "GET", "/navigation/itineraire");
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["error"]["message"] == " Parameter 'start' not found ");

    r = call(router, "GET", "/geocodage/search");
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["detail"] == json::array({"q: required"}));

    r = call(router, "GET", "/altimetrie/boom");
    CHECK(r.status == 500);
    CHECK(r.body.find("secret") == std::string::npos);
    CHECK(logged == "secret bug");

    r = call(router, "GET", "/geocodage/completion");
    CHECK(r.status == 200);
    CHECK(json::parse(r.body)["status"] == "Error");
}

TEST_CASE("add() rejects bad routes", "[server][router]") {
    Router router;
    router.add(route({"GET"}, "/a/{id}", echo("a")));
    CHECK_THROWS_AS(router.add(route({"GET"}, "no-slash", echo("x"))), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({}, "/b", echo("x"))), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"get"}, "/b", echo("x"))), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/b/{z}.{ext}", echo("x"))), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/b/{x}/{x}", echo("x"))), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/b//c", echo("x"))), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/b", echo("x"), ErrorStyle::plain, "{not json")), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/b", echo("x"), ErrorStyle::plain, "[1]")), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/b", Handler{})), InvalidArgument);
    CHECK_THROWS_AS(router.add(route({"GET"}, "/A/{other}", echo("dup"))), InvalidArgument);
    CHECK_NOTHROW(router.add(route({"POST"}, "/a/{other}", echo("post"))));
    CHECK(router.routes().size() == 2);
}

TEST_CASE("openapi_json is an OpenAPI 3.0.3 document with every route", "[server][router]") {
    Router router = sample();
    router.add(route({"GET"}, "/documented/{name}", echo("doc"), ErrorStyle::plain,
                     R"({"summary":"Documented","parameters":[{"name":"name","in":"path","required":true,"schema":{"type":"string"}},
                        {"name":"q","in":"query","schema":{"type":"string"}}],
                        "responses":{"200":{"description":"fine"}}})"));
    const auto doc = json::parse(router.openapi_json("geoplex test", "1.2.3"));
    CHECK(doc["openapi"] == "3.0.3");
    CHECK(doc["info"]["title"] == "geoplex test");
    CHECK(doc["info"]["version"] == "1.2.3");
    for (const auto& r : router.routes()) {
        INFO(r.pattern);
        REQUIRE(doc["paths"].contains(r.pattern));
        for (const auto& m : r.methods) {
            std::string lower = m;
            for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto& op = doc["paths"][r.pattern][lower];
            CHECK(op.contains("responses"));
            CHECK(op.contains("summary"));
        }
    }
    // undocumented captures are declared as path parameters
    const auto& tile = doc["paths"]["/tms/1.0.0/{layer}/{z}/{x}/{file}"]["get"];
    REQUIRE(tile["parameters"].size() == 4);
    CHECK(tile["parameters"][0]["in"] == "path");
    CHECK(tile["parameters"][0]["required"] == true);
    // documented ones are not duplicated, and the given text is kept
    const auto& documented = doc["paths"]["/documented/{name}"]["get"];
    CHECK(documented["summary"] == "Documented");
    CHECK(documented["parameters"].size() == 2);
    CHECK(documented["responses"]["200"]["description"] == "fine");
    // both methods of one route share the operation
    CHECK(doc["paths"]["/navigation/itineraire"].contains("get"));
    CHECK(doc["paths"]["/navigation/itineraire"].contains("post"));
}

TEST_CASE("the default router serves a landing page listing every route", "[server][router]") {
    ServerConfig no_viewer;
    no_viewer.viewer.enabled = false;  // else the web map takes "/" (the list is then at /services)
    const auto router = make_default_router(no_viewer, test::shared_engine());
    const auto r = call(router, "GET", "/");
    CHECK(r.status == 200);
    CHECK(r.content_type.rfind("text/html", 0) == 0);
    for (const auto& route : router.routes()) CHECK_THAT(r.body, Catch::Contains(route.pattern));
    CHECK_THAT(r.body, Catch::Contains("/openapi.json"));
    const auto doc = json::parse(call(router, "GET", "/openapi.json").body);
    CHECK(doc["paths"].contains("/"));
}
