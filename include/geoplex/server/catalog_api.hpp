#pragma once
// The publishing REST API under /api/… (reference §6.1–6.3: users/me, communities, datastores,
// uploads, checks, processings/executions, stored_data, configurations, offerings, permissions,
// users/me/keys and their accesses) over a catalog::Catalog, and the provider that makes the
// tile routes serve the catalog's published layers (openly, or under /private/… with a key).
//
// Writes and reads need "Authorization: Bearer <token>" (tokens of users created through
// POST /api/users, or the bootstrap administrator token of the [catalog] section / the
// GEOPLEX_CATALOG_ADMIN_TOKEN environment variable). docs/http-api.md lists every route.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/tiles_api.hpp"

namespace geoplex::catalog {
class Catalog;
enum class ConfigurationType;
struct PresentedKey;
}  // namespace geoplex::catalog

namespace geoplex::server {

/// The [catalog] section of the server configuration file (docs/server.md):
///   [catalog]
///   data_dir = "/srv/geoplex-catalog"          # enables the catalog; uploads and stored data live here
///   store = "sqlite:/srv/geoplex-catalog/catalog.sqlite"   # default: <data_dir>/catalog.sqlite
///   admin_token = "…"                           # or env GEOPLEX_CATALOG_ADMIN_TOKEN
///   upload_quota = 500000000000                 # bytes per datastore
///   endpoint_quota = 10                         # offerings per endpoint per datastore
///   [catalog.tiers]  default = 500000000000  pro = 5000000000000   # storage bytes by tier
struct CatalogSettings {
    bool enabled = false;             ///< true when the section names a data_dir
    std::string data_dir;
    std::string store;                ///< "" = sqlite:<data_dir>/catalog.sqlite
    std::string admin_token;          ///< "" = GEOPLEX_CATALOG_ADMIN_TOKEN, if set
    std::map<std::string, std::int64_t> tiers{{"default", 500'000'000'000}};
    std::int64_t upload_quota = 500'000'000'000;
    std::int64_t endpoint_quota = 10;
};

/// Opens the catalog a configuration describes (store created and migrated when needed).
[[nodiscard]] std::shared_ptr<catalog::Catalog> open_catalog(const CatalogSettings& settings);

/// Adds every /api/… route (with its OpenAPI fragment) over `catalog`, and the layer search
/// routes /recherche/… and /private/recherche/… over its published offerings (search_api.hpp).
void add_catalog_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog);

/// The tile layers the catalog publishes: open offerings in the public family, restricted ones
/// under /private with the key checks (401 no/unknown key, 403 no access, expired permission,
/// unavailable offering or a key restriction refusing the request). Set it as
/// TilesApiOptions::layers.
[[nodiscard]] std::shared_ptr<const LayerProvider> catalog_layer_provider(std::shared_ptr<catalog::Catalog> catalog);
/// The same over the published offerings of one other type: WMS-RASTER and WMS-VECTOR (set as
/// OgcApiOptions::wms_raster_layers / wms_vector_layers), WFS (OgcApiOptions::wfs_layers), DOWNLOAD
/// (DownloadApiOptions::layers). Each tileset holds one layer: the offering's stored data.
[[nodiscard]] std::shared_ptr<const LayerProvider> catalog_layer_provider(std::shared_ptr<catalog::Catalog> catalog,
                                                                          catalog::ConfigurationType type);

/// The consumer credentials a request carries: apikey / api_key / apiKey query parameter or
/// X-Key header (HASH), Authorization: Basic (BASIC), other headers (HEADER keys); plus the
/// client address, Referer and User-Agent for the key's restrictions.
[[nodiscard]] catalog::PresentedKey presented_key(const Request& request);

}  // namespace geoplex::server
