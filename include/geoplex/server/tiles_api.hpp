#pragma once
// Tile services as plain handlers: WMTS 1.0.0 (KVP), TMS 1.0.0 with rows from the top (the
// Géoplateforme's convention), XYZ aliases, TileJSON and MapLibre styles.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/tiles/tiles.hpp"

namespace geoplex::server {

/// Tile layers added at run time beside the bundle's: the catalog's published offerings
/// (server/catalog_api.hpp makes one). Consulted on every request; must be thread-safe.
class LayerProvider {
public:
    virtual ~LayerProvider() = default;
    /// Tilesets whose layers `request` may see (GetCapabilities, the TMS list). `restricted`
    /// selects the /private/… family; there it throws HttpError(401) for a request with no usable key.
    [[nodiscard]] virtual std::vector<tiles::Tileset> visible(const Request& request, bool restricted) const = 0;
    /// The tileset serving `layer` to `request`, nullopt when no such layer is published. Throws
    /// HttpError(401/403) when the request may not use it.
    [[nodiscard]] virtual std::optional<tiles::Tileset> resolve(const Request& request, std::string_view layer,
                                                                bool restricted) const = 0;
};

struct TilesApiOptions {
    /// Public URL prefix used in GetCapabilities, TileJSON and styles ("https://tiles.example.org");
    /// empty = built from the request's Host (and X-Forwarded-Proto) headers.
    std::string base_url;
    /// Cache-Control of tiles (immutable bundle: long-lived).
    std::string tile_cache_control = "public, max-age=86400";
    /// Cache-Control of capabilities, TileJSON and styles.
    std::string metadata_cache_control = "public, max-age=300";
    /// Published layers served beside the bundle's (null = only the bundle's). When set, the
    /// routes are also added under /private (/private/wmts, /private/tms/1.0.0/…), where only the
    /// provider's restricted layers are served.
    std::shared_ptr<const LayerProvider> layers;
};

/// Adds, for the engine's tiles component:
///   GET /wmts?SERVICE=WMTS&REQUEST=GetCapabilities|GetTile&…      (WMTS 1.0.0 KVP, OWS exceptions)
///   GET /tms/1.0.0                                               (TileMapService XML)
///   GET /tms/1.0.0/{layer}/metadata.json                         (TileJSON 3.0.0)
///   GET /tms/1.0.0/{layer}/style.json                            (MapLibre style v8)
///   GET /tms/1.0.0/{layer}/{z}/{x}/{y}.{png|jpeg|webp|pbf}        (y from the top)
///   GET /tiles/{layer}.json, /tiles/{layer}/style.json, /tiles/{layer}/{z}/{x}/{y}.{ext}  (XYZ aliases)
/// Tiles carry ETag and Cache-Control and answer 304 to a matching If-None-Match; an empty tile
/// is 204, a tile outside the set, the zoom range or the layer's extent is 404 (WMTS: 400
/// TileOutOfRange). Vector tiles are sent gzip-compressed (Content-Encoding: gzip) when the client
/// accepts gzip, as MapLibre does. With options.layers, the same WMTS and TMS routes exist under
/// /private for restricted layers (401 without a key, 403 without an access).
void add_tiles_routes(Router& router, const TilesApiOptions& options = {});

}  // namespace geoplex::server
