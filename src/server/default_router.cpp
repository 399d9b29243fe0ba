// Everything of `geoplex serve` that is not transport: config validation, the default routes,
// the access-log line. (Beast lives in server.cpp only.)

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/server/isochrone_api.hpp"
#include "geoplex/server/search_api.hpp"
#include "geoplex/server/server.hpp"
#include "geoplex/version.hpp"


namespace geoplex::server {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view health_openapi = R"({
  "summary": "Liveness and bundle description",
  "tags": ["server"],
  "responses": {"200": {"description": "The server is up", "content": {"application/json": {"schema": {
    "type": "object",
    "properties": {
      "status": {"type": "string", "enum": ["ok"]},
      "bundle": {"type": "string"},
      "components": {"type": "array", "items": {"type": "string"}},
      "version": {"type": "string"}}}}}}}
})";

constexpr std::string_view openapi_openapi = R"({
  "summary": "This OpenAPI 3.0 description",
  "tags": ["server"],
  "responses": {"200": {"description": "OpenAPI document", "content": {"application/json": {}}}}
})";

constexpr std::string_view index_openapi = R"({
  "summary": "Landing page: the bundle, its services and example requests, as HTML",
  "tags": ["server"],
  "responses": {"200": {"description": "HTML page", "content": {"text/html": {}}}}
})";

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// The landing page lists every route of the router and, per component, a request to try.
std::string landing_page(const Router& router, const bundle::Engine& engine) {
    std::string html = fmt::format(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>geoplex — {0}</title>"
        "<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}"
        "code{{background:#f3f3f3;padding:0 .2em}}td{{padding:.1rem .6rem}}</style></head><body>"
        "<h1>geoplex {1}</h1><p>Bundle <b>{0}</b> — components: {2}.</p>"
        "<p><a href=\"/health\">/health</a> · <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3 description "
        "of every endpoint)</p>",
        html_escape(engine.manifest().name), html_escape(version()),
        html_escape(engine.manifest().components.empty() ? std::string("none")
                                                          : fmt::format("{}", fmt::join(engine.manifest().components, ", "))));
    if (engine.has_altitude() && !engine.altitude().resources().empty()) {
        const auto& r = engine.altitude().resources().front();
        const double lon = r.extent.empty() ? 0.0 : (r.extent.min_x + r.extent.max_x) / 2;
        const double lat = r.extent.empty() ? 0.0 : (r.extent.min_y + r.extent.max_y) / 2;
        const std::string point = fmt::format(
            "/altimetrie/1.0/calcul/alti/rest/elevation.json?lon={:.5f}&lat={:.5f}&resource={}", lon, lat, r.id);
        const std::string line = fmt::format(
            "/altimetrie/1.0/calcul/alti/rest/elevationLine.json?lon={:.5f}|{:.5f}&lat={:.5f}|{:.5f}&resource={}"
            "&sampling=20",
            r.extent.min_x + (r.extent.max_x - r.extent.min_x) * 0.25, r.extent.min_x + (r.extent.max_x - r.extent.min_x) * 0.75,
            lat, lat, r.id);
        html += fmt::format("<h2>Try</h2><ul><li><a href=\"{0}\">{0}</a></li><li><a href=\"{1}\">{1}</a></li>"
                            "<li><a href=\"/altimetrie/resources\">/altimetrie/resources</a></li></ul>",
                            html_escape(point), html_escape(line));
    }
    html += "<h2>Endpoints</h2><table>";
    for (const auto& route : router.routes())
        html += fmt::format("<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                            html_escape(fmt::format("{}", fmt::join(route.methods, "|"))), html_escape(route.pattern));
    html += "</table><p>Docs: <code>docs/http-api.md</code> in the geoplex source tree.</p></body></html>";
    return html;
}

}  // namespace

std::string_view version() noexcept { return geoplex::version; }

std::string format_access_log(const AccessLogEntry& e) {
    json j;
    j["time"] = e.time;
    j["remote"] = e.remote;
    j["method"] = e.method;
    j["target"] = e.target;
    j["status"] = e.status;
    j["bytes"] = e.bytes;
    j["us"] = e.microseconds;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void ServerConfig::validate() const {
    std::vector<std::string> problems;
    if (address.empty()) problems.emplace_back("address must not be empty");
    if (threads == 0 || threads > 1024) problems.push_back(fmt::format("threads must be in 1..1024 (got {})", threads));
    if (max_header_bytes < 1024) problems.push_back(fmt::format("max_header_bytes must be at least 1024 (got {})", max_header_bytes));
    if (read_timeout.count() <= 0) problems.emplace_back("read_timeout must be positive");
    if (idle_timeout.count() <= 0) problems.emplace_back("idle_timeout must be positive");
    if (write_timeout.count() <= 0) problems.emplace_back("write_timeout must be positive");
    if (shutdown_grace.count() < 0) problems.emplace_back("shutdown_grace must not be negative");
    if (max_connections == 0) problems.emplace_back("max_connections must be positive");
    if (gzip_level < 1 || gzip_level > 9) problems.push_back(fmt::format("gzip_level must be in 1..9 (got {})", gzip_level));
    for (const char c : cors_allow_origin) {
        if (c == '\r' || c == '\n') problems.emplace_back("cors_allow_origin must be one header line");
    }
    if (!metrics_path.empty() && metrics_path.front() != '/')
        problems.push_back(fmt::format("metrics_path must start with '/' (got '{}'); empty turns the route off", metrics_path));
    rate_limits.validate(problems);
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
}

Router make_default_router(const ServerConfig& config, const bundle::Engine& engine,
                           const std::function<void(Router&)>& add_more) {
    Router router;
    router.add(Router::Route{
        {"GET"},
        "/health",
        [](const Request&, const bundle::Engine& e) {
            const auto& m = e.manifest();
            json body;
            body["status"] = "ok";
            body["bundle"] = m.name;
            body["components"] = m.components;
            body["version"] = std::string(version());
            Response r = Response::json(body.dump(-1, ' ', false, json::error_handler_t::replace));
            r.headers.emplace_back("Cache-Control", "no-store");
            return r;
        },
        ErrorStyle::plain,
        std::string(health_openapi)});

    // The document lists every route, itself included: it is generated once all are added.
    auto document = std::make_shared<std::string>();
    router.add(Router::Route{
        {"GET"},
        "/openapi.json",
        [document](const Request&, const bundle::Engine&) { return Response::json(*document); },
        ErrorStyle::plain,
        std::string(openapi_openapi)});

    if (engine.has_altitude()) add_altitude_routes(router, config.altitude);
    if (engine.has_geocoder()) add_geocoder_routes(router, config.geocoder);
    if (engine.has_routing()) {
        add_routing_routes(router, config.routing);
        IsochroneApiOptions iso;
        iso.snap_radius_m = config.routing.snap_radius_m;
        iso.max_constraints = config.routing.max_constraints;
        add_isochrone_routes(router, iso);
    }
    // Published catalog layers (config.tiles.layers) are served even by a bundle without tiles.
    if (engine.has_tiles() || config.tiles.layers) add_tiles_routes(router, config.tiles);
    if (engine.has_tiles() || config.ogc.wms_raster_layers || config.ogc.wms_vector_layers || config.ogc.wfs_layers)
        add_ogc_routes(router, config.ogc);
    if (config.more_routes) config.more_routes(router);
    if (add_more) add_more(router);
    // The layer search answers from the bundle alone unless the catalog's routes added it.
    if (std::none_of(router.routes().begin(), router.routes().end(), [](const Router::Route& r) { return r.pattern == search_route_pattern; }))
        add_search_routes(router, SearchApiOptions{});

    // The web map takes "/" when its files are there; the endpoint list is always at /services.
    const bool viewer = add_viewer_routes(router, engine, config.viewer);
    auto index = std::make_shared<std::string>();
    for (const char* path : {"/services", "/"}) {
        if (viewer && std::string_view(path) == "/") continue;
        router.add(Router::Route{
            {"GET"},
            path,
            [index](const Request&, const bundle::Engine&) { return Response::text(*index, "text/html; charset=utf-8"); },
            ErrorStyle::plain,
            std::string(index_openapi)});
    }
    *index = landing_page(router, engine);
    *document = router.openapi_json(config.openapi_title, version());
    return router;
}

}  // namespace geoplex::server
