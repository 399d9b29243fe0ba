#pragma once
// Reading POIs and cadastral parcels from any GDAL vector layer (private): GDAL stays inside
// gdal_source.cpp.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "geoplex/geocoder/geocoder.hpp"

namespace geoplex::geocoder::detail {

struct VectorFeature {
    std::string name, id, categories, citycode, postcode, sheet;  ///< categories joined by '|'
    double lon = 0, lat = 0;  ///< WGS84: the point, or a point on the surface of a polygon
    /// The true geometry in WGS84 when it is not a single point, encoded as in format.hpp
    /// (geom_data: parts of [kind, n, lon0, lat0, …] in 1e-7 degrees); empty for points.
    std::vector<std::int32_t> geometry{};
};

/// True for a 14-character parcel id: INSEE code (5: digits, or 2A/2B) + old commune or district
/// (3 digits) + section (2: digits or capital letters, "0A" for one letter) + number (4 digits).
[[nodiscard]] bool is_parcel_id(std::string_view id) noexcept;

/// Calls `sink` for every feature of `src` (format gdal_poi or gdal_parcel) with a usable
/// geometry and, for POIs, a name, for parcels a valid id (upper-cased); returns how many were
/// skipped. Throws IoError/FormatError naming the file, the layer or the missing field.
std::uint64_t read_vector_features(const SourceConfig& src, const std::function<void(const VectorFeature&)>& sink);

}  // namespace geoplex::geocoder::detail
