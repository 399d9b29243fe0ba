// The web viewer's routes: static files held in memory and /viewer/config.json.

#include "geoplex/server/viewer.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <span>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/file_format.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/tiles/tile_matrix_set.hpp"
#include "geoplex/tiles/tiles.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr std::string_view viewer_openapi = R"({
  "summary": "Web map viewer (MapLibre GL JS): layers, search, routes, isochrones, elevation profiles",
  "tags": ["viewer"],
  "responses": {"200": {"description": "HTML page", "content": {"text/html": {}}}}
})";

constexpr std::string_view asset_openapi = R"({
  "summary": "A static file of the web viewer: JavaScript, CSS, licence",
  "tags": ["viewer"],
  "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
  "responses": {"200": {"description": "The file"}, "404": {"description": "No such file"}}
})";

constexpr std::string_view config_openapi = R"({
  "summary": "What the bundle offers to the web viewer: layers, services, resources, initial view",
  "tags": ["viewer"],
  "responses": {"200": {"description": "Viewer configuration", "content": {"application/json": {}}}}
})";

struct Asset {
    std::string body;
    std::string content_type;
    std::string etag;
};

std::string_view content_type_of(const fs::path& p) {
    const std::string ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    return "text/plain; charset=utf-8";
}

std::string read_whole(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every regular file directly in `dir` (no sub-folders: the viewer is flat).
std::map<std::string, Asset, std::less<>> load_assets(const fs::path& dir) {
    std::map<std::string, Asset, std::less<>> assets;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file()) continue;
        Asset a;
        a.body = read_whole(entry.path());
        a.content_type = std::string(content_type_of(entry.path()));
        a.etag = fmt::format("\"{:08x}-{:x}\"", core::crc32(std::as_bytes(std::span(a.body.data(), a.body.size()))), a.body.size());
        assets.emplace(entry.path().filename().string(), std::move(a));
    }
    return assets;
}

Response serve_asset(const Request& req, const Asset& a) {
    if (const auto* inm = req.header("if-none-match"); inm != nullptr && *inm == a.etag) {
        Response r = Response::text({}, a.content_type, 304);
        r.headers.emplace_back("ETag", a.etag);
        return r;
    }
    Response r = Response::text(a.body, a.content_type);
    r.headers.emplace_back("ETag", a.etag);
    r.headers.emplace_back("Cache-Control", "no-cache");  // revalidate: cheap 304s, never stale after an upgrade
    return r;
}

json bbox_json(const BBox& b) { return json::array({b.min_x, b.min_y, b.max_x, b.max_y}); }

bool has_route(const Router& router, std::string_view pattern) {
    for (const auto& r : router.routes())
        if (r.pattern == pattern) return true;
    return false;
}

std::string_view optimization_name(routing::Optimization o) {
    return o == routing::Optimization::fastest ? "fastest" : "shortest";
}

json viewer_config(const Router& router, const bundle::Engine& engine) {
    json c;
    c["bundle"] = engine.manifest().name;
    c["components"] = engine.manifest().components;
    BBox extent;  // the initial view: the data of every component
    json layers = json::array();
    if (engine.has_tiles()) {
        const auto& ts = engine.tiles();
        for (const auto& l : ts.layers()) {
            const auto* set = ts.find_tile_matrix_set(l.tile_matrix_set);
            const bool mercator = set != nullptr && set->is_web_mercator_quad();
            json j;
            j["id"] = l.id;
            j["title"] = l.title.empty() ? l.id : l.title;
            j["type"] = l.is_vector ? "vector" : "raster";
            j["geometry_type"] = l.geometry_type;
            j["minzoom"] = l.min_zoom;
            j["maxzoom"] = l.max_zoom;
            if (!l.bounds.empty()) j["bounds"] = bbox_json(l.bounds);
            // MapLibre draws Web Mercator tiles only; other sets are listed but not drawable.
            j["web_mercator"] = mercator;
            j["tilejson"] = fmt::format("/tiles/{}.json", l.id);
            j["style"] = fmt::format("/tiles/{}/style.json", l.id);
            layers.push_back(std::move(j));
            extent.extend(l.bounds);
        }
    }
    c["layers"] = std::move(layers);

    json services;
    if (engine.has_geocoder() && has_route(router, "/geocodage/search")) {
        services["geocoder"] = json{{"search", "/geocodage/search"},
                                    {"reverse", "/geocodage/reverse"},
                                    {"completion", has_route(router, "/geocodage/completion") ? json("/geocodage/completion") : json()}};
    }
    if (engine.has_routing() && has_route(router, "/navigation/itineraire")) {
        json resources = json::array();
        for (const auto& r : engine.routing().resources()) {
            json profiles = json::array();
            for (const auto& p : r.profiles) {
                json opts = json::array();
                for (const auto o : p.optimizations) opts.push_back(optimization_name(o));
                profiles.push_back(json{{"name", p.name}, {"optimizations", opts}});
            }
            resources.push_back(json{{"id", r.id}, {"title", r.title}, {"profiles", profiles}, {"bbox", bbox_json(r.bbox)}});
            extent.extend(r.bbox);
        }
        services["routing"] = json{{"itineraire", "/navigation/itineraire"}, {"resources", resources}};
        if (has_route(router, "/navigation/isochrone")) services["isochrone"] = json{{"isochrone", "/navigation/isochrone"}};
    }
    if (engine.has_altitude() && has_route(router, "/altimetrie/1.0/calcul/alti/rest/elevationLine.json")) {
        json resources = json::array();
        for (const auto& r : engine.altitude().resources()) {
            resources.push_back(json{{"id", r.id}, {"extent", bbox_json(r.extent)}});
            extent.extend(r.extent);
        }
        services["altitude"] = json{{"elevation", "/altimetrie/1.0/calcul/alti/rest/elevation.json"},
                                    {"elevationLine", "/altimetrie/1.0/calcul/alti/rest/elevationLine.json"},
                                    {"resources", resources}};
    }
    c["services"] = services.is_null() ? json::object() : services;
    if (!extent.empty()) c["bounds"] = bbox_json(extent);
    return c;
}

fs::path executable_dir() {
    std::array<char, 4096> buf{};
    const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    if (n <= 0) return {};
    return fs::path(std::string(buf.data(), static_cast<std::size_t>(n))).parent_path();
}

}  // namespace

fs::path default_viewer_dir() {
    std::error_code ec;
    if (const char* env = std::getenv("GEOPLEX_VIEWER_DIR"); env != nullptr && *env != '\0') {
        const fs::path p(env);
        return fs::is_regular_file(p / "index.html", ec) ? p : fs::path();
    }
    const fs::path exe = executable_dir();
    if (exe.empty()) return {};
    const fs::path p = exe.parent_path() / "share" / "geoplex" / "viewer";
    return fs::is_regular_file(p / "index.html", ec) ? p : fs::path();
}

bool add_viewer_routes(Router& router, const bundle::Engine& engine, const ViewerOptions& options) {
    if (!options.enabled) return false;
    const fs::path dir = options.dir.empty() ? default_viewer_dir() : options.dir;
    std::error_code ec;
    if (dir.empty() || !fs::is_regular_file(dir / "index.html", ec)) return false;

    auto assets = std::make_shared<const std::map<std::string, Asset, std::less<>>>(load_assets(dir));
    auto config = std::make_shared<const std::string>(viewer_config(router, engine).dump());

    router.add(Router::Route{{"GET"}, "/viewer/config.json",
                             [config](const Request&, const bundle::Engine&) {
                                 Response r = Response::json(*config);
                                 r.headers.emplace_back("Cache-Control", "no-cache");
                                 return r;
                             },
                             ErrorStyle::plain, std::string(config_openapi)});
    router.add(Router::Route{{"GET"}, "/viewer/{file}",
                             [assets](const Request& req, const bundle::Engine&) {
                                 const auto it = assets->find(*req.path_param("file"));
                                 if (it == assets->end())
                                     throw HttpError(404, fmt::format("the viewer has no file '{}'", *req.path_param("file")));
                                 return serve_asset(req, it->second);
                             },
                             ErrorStyle::plain, std::string(asset_openapi)});
    router.add(Router::Route{{"GET"}, "/",
                             [assets](const Request& req, const bundle::Engine&) {
                                 return serve_asset(req, assets->at("index.html"));
                             },
                             ErrorStyle::plain, std::string(viewer_openapi)});
    return true;
}

}  // namespace geoplex::server
