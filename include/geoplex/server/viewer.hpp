#pragma once
// The web map of `geoplex serve`: static files (MapLibre GL JS from npm, copied into the build
// tree at build time, and the viewer's own HTML/JS/CSS) plus /viewer/config.json, which tells
// the page what the bundle offers (layers, geocoder, routing resources and profiles,
// isochrones, altitude resources). No CDN and no download at run time.

#include <filesystem>

#include "geoplex/server/router.hpp"

namespace geoplex::server {

struct ViewerOptions {
    /// Serve the viewer at "/" (the endpoint list moves to "/services"); false = the endpoint list
    /// stays at "/".
    bool enabled = true;
    /// Folder holding index.html, app.js, app.css, maplibre-gl.js, maplibre-gl.css. Empty =
    /// default_viewer_dir().
    std::filesystem::path dir;
};

/// $GEOPLEX_VIEWER_DIR if set, else `<folder of the running executable>/../share/geoplex/viewer`
/// (the build tree and the install tree both have it there). Empty when neither holds index.html.
[[nodiscard]] std::filesystem::path default_viewer_dir();

/// Adds GET "/" (index.html), "/viewer/{file}" and "/viewer/config.json" when the viewer's files
/// are found (read once, into memory: requests never touch the file system, so no path can
/// escape the folder). Returns false, adding nothing, when the folder lacks index.html or
/// options.enabled is false. Call it after every service route is added: config.json describes
/// the routes present.
bool add_viewer_routes(Router& router, const bundle::Engine& engine, const ViewerOptions& options);

}  // namespace geoplex::server
