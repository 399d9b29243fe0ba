#pragma once
// The Géoplateforme-compatible geocoding API ("géocodage" and the older autocompletion), as
// plain handlers over geocoder::Query.

#include <cstddef>

#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"

namespace geoplex::server {

struct GeocoderApiOptions {
    /// Largest `limit` of search and reverse (the Géoplateforme allows 20).
    std::size_t max_limit = 20;
    /// Default `limit` of search and reverse.
    std::size_t default_limit = 10;
    /// Largest `maximumResponses` of completion (the Géoplateforme allows 15).
    std::size_t max_completion = 15;
    /// Rows accepted by the batch CSV endpoints (the Géoplateforme documents 200 000).
    std::size_t csv_max_rows = 200000;
};

/// Adds GET /geocodage/search, /geocodage/reverse, /geocodage/completion,
/// /geocodage/getCapabilities, /geocodage/completion/getCapabilities and POST
/// /geocodage/search/csv, /geocodage/reverse/csv to `router` (paths match case-insensitively and
/// with a trailing slash, as the router does for every route).
void add_geocoder_routes(Router& router, const GeocoderApiOptions& options = {});

}  // namespace geoplex::server
