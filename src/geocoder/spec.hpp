#pragma once
// The [geocoder] section of a bundle spec (bundle.toml) → geocoder::BuildConfig.
//
//   [geocoder]
//   grid_cell_deg = 0.002                 # optional (default): reverse grid cell size (degrees of latitude)
//   [[geocoder.sources]]
//   format = "ban-csv"                    # or "addok-ndjson" (files ending in .gz are gunzipped)
//   path = "addresses/adresses-93.csv"
//   [[geocoder.sources]]
//   format = "osm-poi"                    # named OSM POIs (amenity, shop, tourism, …)
//   path = "osm/region.osm.pbf"
//   [[geocoder.sources]]
//   format = "gdal-poi"                   # any GDAL vector layer of POIs
//   path = "poi.gpkg"
//   layer = "poi"                         # optional: the first layer
//   name_field = "nom"                    # optional: "name"
//   category_field = "nature"             # optional: "category" (may be absent)
//   id_field = "cleabs"                   # optional: the feature id
//   citycode_field = "insee"              # optional
//   postcode_field = "code_postal"        # optional
//   [[geocoder.sources]]
//   format = "gdal-parcel"                # cadastral parcels (14-character ids)
//   path = "parcelles.geojson"
//   id_field = "id"                       # optional: "id"
//   sheet_field = "feuille"               # optional: "feuille" (may be absent)

#include <filesystem>

#include <toml++/toml.h>

#include "geoplex/geocoder/geocoder.hpp"

namespace geoplex::geocoder::detail {

/// Parses `geocoder_section` (the table under [geocoder]); relative paths are resolved against
/// `spec_dir`. Throws InvalidArgument listing every problem, each prefixed with where it is.
[[nodiscard]] BuildConfig config_from_toml(const toml::table& geocoder_section, const std::filesystem::path& spec_dir);

}  // namespace geoplex::geocoder::detail
