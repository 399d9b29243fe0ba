#pragma once
// OGC services over the bundle's tile layers (the same raster and vector layers, read from their
// sources): WMS 1.3.0, WFS 2.0.0 and OGC API Features (Parts 1 and 2), as plain handlers.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "geoplex/ogc/ogc.hpp"
#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"

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
};

/// Adds, when the engine has a tiles component:
///   GET /wms, /wms-r, /wms-r/wms (raster layers), /wms-v/ows, /wms-v/wms (vector layers)
///       SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities|GetMap|GetFeatureInfo  (ServiceExceptionReport XML)
///   GET /wfs, /wfs/ows  SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities|DescribeFeatureType|GetFeature
///       (OWS ExceptionReport XML; GetFeature streamed)
///   GET /ogcapi, /ogcapi/conformance, /ogcapi/api, /ogcapi/collections, /ogcapi/collections/{id},
///       /ogcapi/collections/{id}/items (streamed), /ogcapi/collections/{id}/items/{fid}
void add_ogc_routes(Router& router, const OgcApiOptions& options = {});

}  // namespace geoplex::server
