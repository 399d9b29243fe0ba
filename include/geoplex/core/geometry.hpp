#pragma once
// Geometry types registered with Boost.Geometry, and WGS84 geodesic helpers (PROJ's
// implementation of Karney's algorithms, so lengths are exact to the nanometre).

#include <cstddef>
#include <span>
#include <variant>
#include <vector>

#include <boost/geometry/core/cs.hpp>
#include <boost/geometry/geometries/linestring.hpp>
#include <boost/geometry/geometries/multi_linestring.hpp>
#include <boost/geometry/geometries/multi_point.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/geometries/register/point.hpp>

#include "geoplex/core/types.hpp"

BOOST_GEOMETRY_REGISTER_POINT_2D(geoplex::core::LonLat, double,
                                 boost::geometry::cs::geographic<boost::geometry::degree>, lon, lat)
BOOST_GEOMETRY_REGISTER_POINT_2D(geoplex::core::XY, double, boost::geometry::cs::cartesian, x, y)

namespace geoplex::core {

using Point = LonLat;
using LineString = boost::geometry::model::linestring<LonLat>;
using Polygon = boost::geometry::model::polygon<LonLat, /*clockwise=*/false, /*closed=*/true>;
using MultiPoint = boost::geometry::model::multi_point<LonLat>;
using MultiLineString = boost::geometry::model::multi_linestring<LineString>;
using MultiPolygon = boost::geometry::model::multi_polygon<Polygon>;

/// Any GeoJSON geometry except GeometryCollection.
using Geometry = std::variant<Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon>;

/// Geodesic distance in metres on the WGS84 ellipsoid.
[[nodiscard]] double geodesic_distance(LonLat a, LonLat b);

/// Geodesic length of a polyline in metres.
[[nodiscard]] double geodesic_length(std::span<const LonLat> line);

/// `count` points equally spaced along the geodesic length of `line` (first and last vertices
/// included; count >= 2). Points between vertices follow the geodesic of their segment.
/// When `distances` is given it receives each point's distance from the start in metres.
[[nodiscard]] std::vector<LonLat> sample_along(std::span<const LonLat> line, std::size_t count,
                                               std::vector<double>* distances = nullptr);

}  // namespace geoplex::core
