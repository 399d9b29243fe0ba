#pragma once
// Reading OSM addresses (private): libosmium stays inside osm.cpp.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "geoplex/geocoder/text.hpp"

namespace geoplex::geocoder::detail {

struct OsmAddress {
    HouseNumber number;
    std::string street, postcode, city, citycode;
    std::string id;  ///< "node/123" or "way/456"
    double lon = 0, lat = 0;
};

/// Calls `sink` for every node or way with addr:housenumber and addr:street (or addr:place);
/// returns how many tagged objects were skipped. Throws IoError/FormatError naming the file.
std::uint64_t read_osm_addresses(const std::filesystem::path& path, const std::function<void(const OsmAddress&)>& sink);

}  // namespace geoplex::geocoder::detail
