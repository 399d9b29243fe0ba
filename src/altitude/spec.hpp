#pragma once
// The [altitude] section of a bundle spec (bundle.toml) → altitude::BuildConfig.
//
//   [[altitude.resources]]
//   id = "srtm_monaco"            title = "…"   description = "…"   keywords = ["Altitude"]
//   nodata = -99999               # optional
//   [[altitude.resources.sources]]
//   name = "srtm"  path = "dem/N43E007.hgt"  crs = "EPSG:4326" (optional)  priority = 1
//   storage = "embed" | "reference"  title = "SRTM"  accuracy = "…"  band = 1 (optional)

#include <filesystem>

#include <toml++/toml.h>

#include "geoplex/altitude/altitude.hpp"

namespace geoplex::altitude::detail {

/// Parses `altitude_section` (the table under [altitude]); relative paths are resolved against
/// `spec_dir`. Throws InvalidArgument listing every problem (unknown keys, missing or mistyped
/// fields, and BuildConfig::validate()'s findings), each prefixed with where it is.
[[nodiscard]] BuildConfig config_from_toml(const toml::table& altitude_section, const std::filesystem::path& spec_dir);

}  // namespace geoplex::altitude::detail
