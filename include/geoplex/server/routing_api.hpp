#pragma once
// The Géoplateforme-compatible routing API (Road2 "simple" 1.0.0 under /navigation), as plain
// handlers over routing::Query:
//
//   GET|POST /navigation/itineraire       route (Road2 parameters, response and error bodies)
//   GET|POST /navigation/nearest          nearest road points
//   GET|POST /navigation/getcapabilities  capabilities (any method, as Road2's router.all)
//   GET|POST /navigation/matrix           geoplex extension: many-to-many durations/distances
//
// See docs/routing.md for every parameter, unit and error message.

#include <cstddef>
#include <string>

#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"

namespace geoplex::server {

struct RoutingApiOptions {
    /// Most intermediates accepted by /itineraire (Road2: 10).
    std::size_t max_intermediates = 10;
    /// Most constraints in one request (Road2: 3).
    std::size_t max_constraints = 3;
    /// A point farther than this from any road is "No path found".
    double snap_radius_m = 1000.0;
    /// Most sources × targets of one /matrix request.
    std::size_t max_matrix_cells = 10'000;
    /// Most points returned by /nearest (nbPoints).
    std::size_t max_nearest = 100;
    /// Default timeUnit of /itineraire (Road2 sample configuration: minute).
    std::string default_time_unit = "minute";
};

/// Adds the routing routes to `router`. Handlers use engine.routing(); a bundle without
/// routing answers 404.
void add_routing_routes(Router& router, const RoutingApiOptions& options = {});

}  // namespace geoplex::server
