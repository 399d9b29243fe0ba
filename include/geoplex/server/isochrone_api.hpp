#pragma once
// The Géoplateforme-compatible isochrone API (Road2 "simple" 1.0.0 `isochrone` operation under
// /navigation), as a plain handler over isochrone::Isochrones:
//
//   GET|POST /navigation/isochrone   isochrone (costType=time) or isodistance (costType=distance)
//
// Listed in /navigation/getcapabilities. See docs/isochrone.md for every parameter and error.

#include <cstddef>
#include <string>

#include "geoplex/server/router.hpp"

namespace geoplex::server {

struct IsochroneApiOptions {
    /// Most constraints in one request (Road2: 3).
    std::size_t max_constraints = 3;
    /// A point farther than this from any allowed road gets 404 "No path found".
    double snap_radius_m = 1000.0;
    /// Largest costValue accepted (getcapabilities min/max): seconds and metres.
    double max_time_s = 4 * 3600.0;
    double max_distance_m = 300'000.0;
    /// Most contours per request (costValue values joined with '|', a geoplex extension).
    std::size_t max_contours = 10;
    /// Default timeUnit (Road2's pgr sample configuration: second).
    std::string default_time_unit = "second";
};

/// Adds GET|POST /navigation/isochrone to `router`. A bundle without routing answers 404.
void add_isochrone_routes(Router& router, const IsochroneApiOptions& options = {});

}  // namespace geoplex::server
