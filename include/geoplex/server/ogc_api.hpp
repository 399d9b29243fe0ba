#pragma once
// OGC services over the bundle's tile layers (the same raster and vector layers, read from their
// sources): WMS 1.3.0, WFS 2.0.0 and OGC API Features (Parts 1 and 2), as plain handlers.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "geoplex/ogc/ogc.hpp"
#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/tiles_api.hpp"

namespace geoplex::server {

struct OgcApiOptions {
    /// Public URL prefix used in capabilities and links; empty = from the request's Host.
    std::string base_url;
    /// Cache-Control of capabilities and metadata documents.
    std::string metadata_cache_control = "public, max-age=300";
    /// WFS: features per GetFeature when COUNT is absent, and the largest COUNT accepted
    /// (the Géoplateforme's limit is 1000).
    std::size_t wfs_max_count = 1000;
    /// OGC API Features: default and largest `limit`.
    std::size_t oapif_default_limit = 10;
    std::size_t oapif_max_limit = 10000;
    /// Styles, map size limit… of the services.
    ogc::ServicesOptions services;
    /// Layer visibility hook (the catalog's keys and accesses): when set, a layer is listed and
    /// served only when it returns true for the request; it may throw HttpError(401/403).
    /// Unset = every layer of the bundle is public.
    std::function<bool(const Request& request, std::string_view layer)> layer_visible;
    /// Published layers served beside the bundle's (server/catalog_api.hpp makes them from the
    /// catalog's WMS-RASTER, WMS-VECTOR and WFS offerings; null = none). WMS-R serves the raster
    /// provider's, WMS-V the vector provider's, /wms both, WFS and OGC API Features the WFS
    /// provider's. When any is set, the WMS and WFS routes also exist under /private, serving only
    /// the providers' restricted layers (401 without a key, 403 without an access, as OGC
    /// exception documents).
    std::shared_ptr<const LayerProvider> wms_raster_layers;
    std::shared_ptr<const LayerProvider> wms_vector_layers;
    std::shared_ptr<const LayerProvider> wfs_layers;
};

/// Adds, when the engine has a tiles component:
///   GET /wms, /wms-r, /wms-r/wms (raster layers), /wms-v, /wms-v/ows, /wms-v/wms (vector layers)
///       SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities|GetMap|GetFeatureInfo  (ServiceExceptionReport XML)
///   GET /wfs, /wfs/ows  SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities|DescribeFeatureType|GetFeature
///       (OWS ExceptionReport XML; GetFeature streamed)
///   GET /ogcapi, /ogcapi/conformance, /ogcapi/api, /ogcapi/collections, /ogcapi/collections/{id},
///       /ogcapi/collections/{id}/items (streamed), /ogcapi/collections/{id}/items/{fid}
/// and, with a layer provider: /private/wms-r, /private/wms-r/wms, /private/wms-v, /private/wms-v/ows,
///   /private/wms-v/wms, /private/wfs, /private/wfs/ows (restricted published layers, key + access).
/// Routes are added even when the bundle has no tiles component if a provider is set.
void add_ogc_routes(Router& router, const OgcApiOptions& options = {});

}  // namespace geoplex::server
