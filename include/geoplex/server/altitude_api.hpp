#pragma once
// The Géoplateforme-compatible altimetry API ("alticodage"), as plain handlers.

#include <cstddef>

#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"

namespace geoplex::server {

struct AltitudeApiOptions {
    /// Maximum number of points in one elevation/elevationLine request (and of `sampling`).
    std::size_t max_points = 5000;
};

/// Adds every altimetry route (elevation.json|xml, elevationLine.json|xml, GET and POST,
/// /altimetrie/resources and /altimetrie/resources/{id}) to `router`.
void add_altitude_routes(Router& router, const AltitudeApiOptions& options = {});

}  // namespace geoplex::server
