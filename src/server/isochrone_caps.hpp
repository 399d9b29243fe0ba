#pragma once
// /navigation/getcapabilities pieces shared by routing_api.cpp and isochrone_api.cpp: the
// isochrone operation's entries and the Road2 parameter entry.

#include <nlohmann/json.hpp>

#include "geoplex/routing/routing.hpp"

namespace geoplex::server {

/// One `parameters[]` entry of a getcapabilities operation, in Road2's shape (shared by the
/// route, nearest, matrix and isochrone operations).
[[nodiscard]] nlohmann::ordered_json getcap_parameter(const char* name, bool required, const char* type,
                                                      const char* description);
/// The `operations[]` entry of the isochrone operation (url hard-coded "/isochrone?" as Road2).
[[nodiscard]] nlohmann::ordered_json isochrone_operation();
/// A resource's `availableParameters` of the isochrone operation.
[[nodiscard]] nlohmann::ordered_json isochrone_parameters(const routing::ResourceInfo& r,
                                                          const nlohmann::ordered_json& point_values);

}  // namespace geoplex::server
