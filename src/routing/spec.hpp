#pragma once
// The [routing] section of a bundle spec (bundle.toml) → routing::BuildConfig.
//
//   [[routing.resources]]
//   id = "bdtopo-osrm"   title = "…"   description = "…"   version = "2020-07-19" (resourceVersion)
//   format = "osm" | "bdtopo"    path = "osm/monaco.osm.pbf"
//   profiles = ["car", "pedestrian", "profiles/bicycle.toml"]   # builtin names or profile files
//   optimizations = ["fastest", "shortest"]
//   crs = ["EPSG:4326", "EPSG:2154"]
//   bdtopo_layer = "troncon_de_route"   bdtopo_restrictions_layer = "non_communication"

#include <filesystem>

#include <toml++/toml.h>

#include "geoplex/routing/routing.hpp"

namespace geoplex::routing::detail {

/// Parses `routing_section` (the table under [routing]); relative paths are resolved against
/// `spec_dir`. Throws InvalidArgument listing every problem, each prefixed with where it is.
[[nodiscard]] BuildConfig config_from_toml(const toml::table& routing_section, const std::filesystem::path& spec_dir);

}  // namespace geoplex::routing::detail
