#pragma once
// The [tiles] section of a bundle spec (bundle.toml) → tiles::BuildConfig.
//
//   [tiles]
//   threads = 2                                   # pyramid workers (optional)
//   [[tiles.raster]]
//   id = "ortho"  path = "raster/ortho.tif"  crs = "EPSG:2154" (optional)  tile_matrix_set = "PM"
//   format = "png"|"jpeg"|"webp"  resampling = "bilinear"  style = "bands"|"hillshade"|"color_ramp"
//   ramp = [[0, 87,160,73,255], [1000, 200,160,90,255]]   azimuth = 315  altitude = 45  z_factor = 1
//   min_zoom = 0  max_zoom = 18  quality = 85  title = "…"  description = "…"
//   [[tiles.vector]]
//   id = "departements"  path = "vector/departements.geojson"  layer = "" (OGR layer)  crs = ""
//   tile_matrix_set = "PM"  fields = ["code", "nom"]  min_zoom = 0  max_zoom = 12  extent = 4096
//   buffer = 64  simplify = 4.0  max_features = 200000  max_tile_bytes = 2000000
//   [[tiles.pyramids]]
//   layer = "departements"  container = "pmtiles"|"mbtiles"  min_zoom = 0  max_zoom = 10
//   format = "pbf"  bbox = [-5.5, 41, 10, 51.5]

#include <filesystem>

#include <toml++/toml.h>

#include "geoplex/tiles/tiles.hpp"

namespace geoplex::tiles::detail {

/// Parses `tiles_section`; relative paths are resolved against `spec_dir`. Throws InvalidArgument
/// listing every problem, each prefixed with where it is.
[[nodiscard]] BuildConfig config_from_toml(const toml::table& tiles_section, const std::filesystem::path& spec_dir);

}  // namespace geoplex::tiles::detail
