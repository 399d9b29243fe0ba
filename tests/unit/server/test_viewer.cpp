// The web viewer's routes: files served from memory at "/" and /viewer/{file}, ETag revalidation,
// /viewer/config.json, the endpoint list moving to /services, and no viewer when its folder is
// missing or it is disabled. (The page itself is tested in a real browser: tests/viewer.)

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "geoplex/server/server.hpp"
#include "server_test_support.hpp"

using namespace geoplex;
using namespace geoplex::server;
using json = nlohmann::json;

namespace {

Response get(const Router& router, std::string path, Fields headers = {}) {
    Request req;
    req.method = "GET";
    req.path = std::move(path);
    req.headers = std::move(headers);
    return router.handle(req, test::shared_engine());
}

const std::string* header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return &v;
    return nullptr;
}

struct ViewerDir {
    test::TempDir dir{"geoplex-viewer-test"};
    ViewerDir() {
        std::ofstream(dir / "index.html") << "<!doctype html><title>viewer page</title>";
        std::ofstream(dir / "app.js") << "console.log('app');";
        std::ofstream(dir / "app.css") << "body{margin:0}";
    }
    [[nodiscard]] ServerConfig config() const {
        ServerConfig c;
        c.viewer.dir = dir.path();
        return c;
    }
};

}  // namespace

TEST_CASE("the viewer takes / and the endpoint list moves to /services", "[server][viewer]") {
    const ViewerDir v;
    const auto router = make_default_router(v.config(), test::shared_engine());
    const auto page = get(router, "/");
    CHECK(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body == "<!doctype html><title>viewer page</title>");
    const auto list = get(router, "/services");
    CHECK(list.status == 200);
    for (const auto& route : router.routes()) CHECK_THAT(list.body, Catch::Contains(route.pattern));
    const auto doc = json::parse(get(router, "/openapi.json").body);
    CHECK(doc["paths"].contains("/viewer/config.json"));
    CHECK(doc["paths"].contains("/viewer/{file}"));
    CHECK(doc["paths"].contains("/services"));
}

TEST_CASE("viewer files: content types, ETag and 304, unknown names and escapes are 404", "[server][viewer]") {
    const ViewerDir v;
    const auto router = make_default_router(v.config(), test::shared_engine());
    const auto js = get(router, "/viewer/app.js");
    CHECK(js.status == 200);
    CHECK(js.content_type == "text/javascript; charset=utf-8");
    CHECK(js.body == "console.log('app');");
    CHECK(get(router, "/viewer/app.css").content_type == "text/css; charset=utf-8");
    const auto* etag = header(js, "ETag");
    REQUIRE(etag != nullptr);
    CHECK(get(router, "/viewer/app.js", {{"if-none-match", *etag}}).status == 304);
    CHECK(get(router, "/viewer/app.js", {{"if-none-match", "\"other\""}}).status == 200);
    CHECK(*header(get(router, "/viewer/app.css"), "ETag") != *etag);
    for (const char* bad : {"/viewer/missing.js", "/viewer/..", "/viewer/%2e%2e%2fmanifest.toml", "/viewer/../manifest.toml"}) {
        INFO(bad);
        const auto r = get(router, bad);
        CHECK(r.status == 404);
        CHECK(json::parse(r.body).contains("error"));
    }
}

TEST_CASE("config.json describes what the bundle offers", "[server][viewer]") {
    const ViewerDir v;
    const auto router = make_default_router(v.config(), test::shared_engine());
    const auto r = get(router, "/viewer/config.json");
    REQUIRE(r.status == 200);
    const auto c = json::parse(r.body);
    CHECK(c["bundle"] == "test");
    CHECK(c["components"] == json::array());
    CHECK(c["layers"] == json::array());
    CHECK(c["services"] == json::object());  // the empty bundle offers nothing
    CHECK_FALSE(c.contains("bounds"));
}

TEST_CASE("no viewer: disabled, or a folder without index.html", "[server][viewer]") {
    const ViewerDir v;
    ServerConfig off = v.config();
    off.viewer.enabled = false;
    const test::TempDir empty("geoplex-viewer-empty");
    ServerConfig missing;
    missing.viewer.dir = empty.path();
    for (const auto& config : {off, missing}) {
        const auto router = make_default_router(config, test::shared_engine());
        const auto page = get(router, "/");
        CHECK(page.status == 200);
        CHECK_THAT(page.body, Catch::Contains("/openapi.json"));  // the endpoint list
        CHECK(get(router, "/viewer/config.json").status == 404);
    }
}

TEST_CASE("GEOPLEX_VIEWER_DIR names the viewer folder", "[server][viewer]") {
    const ViewerDir v;
    ::setenv("GEOPLEX_VIEWER_DIR", v.dir.path().c_str(), 1);
    CHECK(default_viewer_dir() == v.dir.path());
    const test::TempDir empty("geoplex-viewer-none");
    ::setenv("GEOPLEX_VIEWER_DIR", empty.path().c_str(), 1);
    CHECK(default_viewer_dir().empty());
    ::unsetenv("GEOPLEX_VIEWER_DIR");
}
