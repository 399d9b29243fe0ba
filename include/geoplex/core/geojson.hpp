#pragma once
// Geometry I/O: GeoJSON (read and write), WKT (write) and Google's encoded polyline.

#include <string>
#include <string_view>

#include "geoplex/core/geometry.hpp"
#include "geoplex/core/json_writer.hpp"

namespace geoplex::core {

/// Writes `g` as a GeoJSON geometry object. `decimals` < 0 = shortest round-trip form.
void write_geojson(JsonWriter& out, const Geometry& g, int decimals = -1);
[[nodiscard]] std::string to_geojson(const Geometry& g, int decimals = -1);

/// Parses a GeoJSON geometry object. Throws InvalidArgument saying what is wrong.
[[nodiscard]] Geometry parse_geojson_geometry(std::string_view json);

/// Well-known text ("LINESTRING(2.3 48.8,2.4 48.9)").
[[nodiscard]] std::string to_wkt(const Geometry& g, int decimals = -1);

/// Google encoded polyline of a line (lat/lon order inside, as the format requires);
/// precision 5 by default (OSRM, Road2), 6 for polyline6.
[[nodiscard]] std::string encode_polyline(std::span<const LonLat> line, int precision = 5);
[[nodiscard]] LineString decode_polyline(std::string_view encoded, int precision = 5);

}  // namespace geoplex::core
