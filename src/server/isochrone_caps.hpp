#pragma once
// The isochrone operation's entries in /navigation/getcapabilities (written by routing_api.cpp).

#include <nlohmann/json.hpp>

#include "geoplex/routing/routing.hpp"

namespace geoplex::server {

/// The `operations[]` entry of the isochrone operation (url hard-coded "/isochrone?" as Road2).
[[nodiscard]] nlohmann::ordered_json isochrone_operation();
/// A resource's `availableParameters` of the isochrone operation.
[[nodiscard]] nlohmann::ordered_json isochrone_parameters(const routing::ResourceInfo& r,
                                                          const nlohmann::ordered_json& point_values);

}  // namespace geoplex::server
