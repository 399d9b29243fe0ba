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

struct OsmPoi {
    std::string name, categories;  ///< categories: "<value>|<key>", e.g. "restaurant|amenity"
    std::string postcode, city, citycode;
    std::string id;  ///< "node/123" or "way/456"
    double lon = 0, lat = 0;
};

/// The OSM keys whose value is a POI category, in priority order.
inline constexpr const char* osm_poi_keys[] = {"amenity", "shop", "tourism", "leisure", "historic", "office", "craft",
                                               "healthcare", "railway", "aeroway", "public_transport", "natural", "man_made"};

/// Calls `sink` for every named node or closed/open way with one of osm_poi_keys (railway,
/// public_transport, natural, man_made: only station, halt, peak, beach, lighthouse, … values);
/// returns how many were skipped (no location). Throws like read_osm_addresses.
std::uint64_t read_osm_pois(const std::filesystem::path& path, const std::function<void(const OsmPoi&)>& sink);

/// Calls `sink` for every node or way with addr:housenumber and addr:street (or addr:place);
/// returns how many tagged objects were skipped. Throws IoError/FormatError naming the file.
std::uint64_t read_osm_addresses(const std::filesystem::path& path, const std::function<void(const OsmAddress&)>& sink);

}  // namespace geoplex::geocoder::detail
