// libFuzzer target for every service's own request parsing, in its real context: the inputs go
// through the server's default router over a synthetic village bundle (altitude, routing,
// isochrones, geocoder, raster and vector tiles, WMS/WFS/OGC API Features) with a catalog, so
// each handler's parameter parsing (coordinates, constraints, Road2 and geocoder parameters,
// WMTS and WMS/WFS KVP, FES filters, OGC API query parameters, JSON bodies, multipart CSV
// bodies, catalog JSON bodies) meets hostile input.
//
// Input: the first byte selects an endpoint from `endpoints` below; the rest is appended to its
// target prefix. For endpoints that take a body, the first '\n' separates the target suffix
// from the body. Oracle, on top of ASan/UBSan and libFuzzer's timeout:
//   - a status of 500 is a bug (bad input must get a 4xx that says what is wrong);
//   - a JSON response (content type application/json) must parse as JSON;
//   - a streamed body must finish.
//
// The bundle is generated once per work directory (GEOPLEX_FUZZ_WORK, default ./fuzz-work):
// `geoplex synth` village (seed 7) then `geoplex build`, exactly as the examples do.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/server.hpp"
#include "geoplex/synth/synth.hpp"

namespace fs = std::filesystem;
using namespace geoplex;
using namespace geoplex::server;

namespace {

constexpr std::string_view admin_token = "fuzz-admin-token";

struct Endpoint {
    std::string_view method;
    std::string_view prefix;        ///< the input is appended to it
    std::string_view content_type;  ///< "" = no body
};

// Query-string endpoints take "key=value&…" after the prefix; path endpoints take path segments.
constexpr Endpoint endpoints[] = {
    {"GET", "/navigation/itineraire?", ""},
    {"POST", "/navigation/itineraire?", "application/json"},
    {"GET", "/navigation/isochrone?", ""},
    {"POST", "/navigation/isochrone?", "application/json"},
    {"GET", "/navigation/matrix?", ""},
    {"GET", "/navigation/nearest?", ""},
    {"GET", "/geocodage/search?", ""},
    {"GET", "/geocodage/reverse?", ""},
    {"GET", "/geocodage/completion?", ""},
    {"POST", "/geocodage/search/csv?", "multipart/form-data; boundary=XyZ"},
    {"POST", "/geocodage/reverse/csv?", "text/csv"},
    {"GET", "/altimetrie/1.0/calcul/alti/rest/elevation.json?", ""},
    {"GET", "/altimetrie/1.0/calcul/alti/rest/elevationLine.json?", ""},
    {"POST", "/altimetrie/1.0/calcul/alti/rest/elevation.json?", "application/json"},
    {"GET", "/wmts?", ""},
    {"GET", "/tms/1.0.0/", ""},
    {"GET", "/wms-r?", ""},
    {"GET", "/wms-v/ows?", ""},
    {"GET", "/wfs/ows?", ""},
    {"GET", "/ogcapi/collections/", ""},
    {"GET", "/api/", ""},
    {"POST", "/api/", "application/json"},
    {"GET", "/", ""},
    {"POST", "/recherche/api/indexes/geoplateforme?", "application/json"},
    {"POST", "/wfs/ows?", "application/xml"},
    {"GET", "/recherche/api/indexes/geoplateforme/", ""},
};
constexpr std::size_t endpoint_count = sizeof(endpoints) / sizeof(endpoints[0]);

struct World {
    bundle::Engine engine;
    Router router;
};

World* world = nullptr;

fs::path work_dir() {
    const char* env = std::getenv("GEOPLEX_FUZZ_WORK");
    return fs::absolute(env != nullptr && *env != '\0' ? fs::path(env) : fs::path("fuzz-work"));
}

bundle::Engine open_village(const fs::path& dir) {
    const fs::path bundle_dir = dir / "bundle";
    if (!fs::exists(bundle_dir / "manifest.toml")) {
        auto config = synth::Config::from_size("village");
        config.seed = 7;
        synth::generate(config, dir / "territory", {});
        bundle::build(dir / "territory" / "bundle.toml", bundle_dir, {});
    }
    return bundle::Engine::open(bundle_dir);
}

World* make_world() {
    const fs::path dir = work_dir();
    fs::create_directories(dir);
    auto engine = open_village(dir);

    CatalogSettings catalog;
    catalog.enabled = true;
    catalog.data_dir = (dir / "catalog").string();
    catalog.admin_token = std::string(admin_token);
    const auto published = open_catalog(catalog);

    ServerConfig config;
    config.viewer.enabled = false;
    config.tiles.layers = catalog_layer_provider(published);
    config.more_routes = [published](Router& r) { add_catalog_routes(r, published); };
    auto router = make_default_router(config, engine);
    return new World{std::move(engine), std::move(router)};
}

[[noreturn]] void fail(const char* what, const Request& request, const Response& response, std::string_view body) {
    std::fprintf(stderr, "fuzz_services: %s\n  %s %s (%zu query fields)\n  status %d, %s\n  body: %.*s\n", what,
                 request.method.c_str(), request.path.c_str(), request.query.size(), response.status,
                 response.content_type.c_str(), static_cast<int>(std::min<std::size_t>(body.size(), 2000)), body.data());
    for (const auto& [k, v] : request.query) std::fprintf(stderr, "  query %s=%s\n", k.c_str(), v.c_str());
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    try {
        world = make_world();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_services: cannot prepare the village bundle: %s\n", e.what());
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const Endpoint& endpoint = endpoints[data[0] % endpoint_count];
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

    std::string_view body;
    if (!endpoint.content_type.empty()) {
        const auto nl = rest.find('\n');
        if (nl != std::string_view::npos) {
            body = rest.substr(nl + 1);
            rest = rest.substr(0, nl);
        }
    }
    RequestTarget target;
    try {
        target = parse_target(std::string(endpoint.prefix) + std::string(rest));
    } catch (const HttpError&) {
        return 0;  // the transport answers 400 before any handler runs
    }

    Request request;
    request.method = std::string(endpoint.method);
    request.path = std::move(target.path);
    request.query = std::move(target.query);
    request.body = std::string(body);
    request.remote_address = "127.0.0.1";
    if (!endpoint.content_type.empty()) request.headers.emplace_back("content-type", std::string(endpoint.content_type));
    // Half of the catalog requests are authenticated as the administrator.
    if (request.path.starts_with("/api/") && (size & 1U) != 0U)
        request.headers.emplace_back("authorization", "Bearer " + std::string(admin_token));

    Response response = world->router.handle(request, world->engine);
    const std::string out = collect_body(response);
    // 501 is OWS OperationNotSupported (e.g. WMTS GetFeatureInfo on a layer without values).
    if (response.status == 500) fail("server error on bad input", request, response, out);
    if (response.status < 100 || response.status > 599) fail("invalid status", request, response, out);
    if (response.content_type.starts_with("application/json") && request.method != "HEAD" &&
        !nlohmann::json::accept(out))
        fail("the JSON response does not parse", request, response, out);
    return 0;
}
