#pragma once
// Conversions shared by the binding files: argument checks at the binding edge (so that messages
// name the Python argument) and C++ values → numpy arrays / plain Python objects.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "geoplex/core/types.hpp"

namespace geoplex::python {

namespace py = pybind11;

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// "(2, 3)", "(4,)": a numpy shape as Python prints it.
[[nodiscard]] std::string shape_string(const py::array& a);
/// The Python type name of `value` ("list", "NoneType"…), for messages.
[[nodiscard]] std::string type_name(const py::handle& value);
/// (min_x, min_y, max_x, max_y).
[[nodiscard]] py::tuple bbox_tuple(const BBox& b);
/// [lon, lat] as a list (what json.loads gives back for a GeoJSON position).
[[nodiscard]] py::list position_list(LonLat p);

/// Points given as an (N, 2) array-like of (lon, lat) rows (numpy array, list of pairs, list of
/// tuples); a single (lon, lat) pair is one point. Checks the shape, the count (>= min_count) and
/// that every point is a valid WGS84 position; messages name `name` and the faulty row.
[[nodiscard]] std::vector<LonLat> lonlat_points(const py::object& values, const char* name,
                                                std::size_t min_count = 1);
/// A copy of `points` as a float64 (N, 2) array of (lon, lat) rows.
[[nodiscard]] py::array_t<double> points_array(std::span<const LonLat> points);
/// A finite number check: throws InvalidArgument naming `name`.
void require_finite(double value, const char* name);

/// None → {}, "a" → {"a"}, ["a", "b"] → {"a", "b"} (a str is one value, not a sequence of
/// characters). Anything else → InvalidArgument naming `name`.
[[nodiscard]] std::vector<std::string> string_list(const py::object& value, const char* name);

}  // namespace geoplex::python
