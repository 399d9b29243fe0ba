#pragma once
// The [geocoder] section of a bundle spec (bundle.toml) → geocoder::BuildConfig.
//
//   [geocoder]
//   grid_cell_deg = 0.002                 # optional (default): reverse grid cell size (degrees of latitude)
//   [[geocoder.sources]]
//   format = "ban-csv"                    # or "addok-ndjson" (files ending in .gz are gunzipped)
//   path = "addresses/adresses-93.csv"

#include <filesystem>

#include <toml++/toml.h>

#include "geoplex/geocoder/geocoder.hpp"

namespace geoplex::geocoder::detail {

/// Parses `geocoder_section` (the table under [geocoder]); relative paths are resolved against
/// `spec_dir`. Throws InvalidArgument listing every problem, each prefixed with where it is.
[[nodiscard]] BuildConfig config_from_toml(const toml::table& geocoder_section, const std::filesystem::path& spec_dir);

}  // namespace geoplex::geocoder::detail
