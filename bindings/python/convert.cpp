// Argument checks and conversions shared by the binding files (see convert.hpp).

#include "convert.hpp"

#include <cmath>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"

namespace geoplex::python {

std::string shape_string(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += fmt::format("{}{}", i ? ", " : "", a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string type_name(const py::handle& value) {
    return py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>();
}

py::tuple bbox_tuple(const BBox& b) {
    return py::make_tuple(b.min_x, b.min_y, b.max_x, b.max_y);
}

py::list position_list(LonLat p) {
    py::list position;
    position.append(p.lon);
    position.append(p.lat);
    return position;
}

std::vector<LonLat> lonlat_points(const py::object& values, const char* name, std::size_t min_count) {
    const auto expected = [&] {
        return fmt::format("{} must be (lon, lat) pairs: an (N, 2) array or a list of [lon, lat]", name);
    };
    if (values.is_none()) throw InvalidArgument(fmt::format("{}, not None", expected()));
    DoubleArray array = DoubleArray::ensure(values);
    if (!array) throw InvalidArgument(fmt::format("{}, not {}", expected(), type_name(values)));
    std::size_t count = 0;
    if (array.ndim() == 1 && array.shape(0) == 2) {
        count = 1;  // one (lon, lat) pair
    } else if (array.ndim() == 1 && array.shape(0) == 0) {
        count = 0;
    } else if (array.ndim() == 2 && array.shape(1) == 2) {
        count = static_cast<std::size_t>(array.shape(0));
    } else {
        throw InvalidArgument(fmt::format("{}, got an array of shape {}", expected(), shape_string(array)));
    }
    if (count < min_count)
        throw InvalidArgument(fmt::format("{} needs at least {} point{}, got {}", name, min_count,
                                          min_count == 1 ? "" : "s", count));
    const double* data = array.data();
    std::vector<LonLat> points(count);
    for (std::size_t i = 0; i < count; ++i) {
        points[i] = LonLat{data[2 * i], data[2 * i + 1]};
        if (!is_valid_lonlat(points[i]))
            throw InvalidArgument(fmt::format("{}[{}] = ({}, {}) is not a WGS84 (lon, lat) position: lon must be in "
                                              "[-180, 180] and lat in [-90, 90]",
                                              name, i, points[i].lon, points[i].lat));
    }
    return points;
}

py::array_t<double> points_array(std::span<const LonLat> points) {
    static_assert(sizeof(LonLat) == 2 * sizeof(double), "LonLat must be two packed doubles");
    py::array_t<double> out({static_cast<py::ssize_t>(points.size()), py::ssize_t{2}});
    double* data = out.mutable_data();
    for (std::size_t i = 0; i < points.size(); ++i) {
        data[2 * i] = points[i].lon;
        data[2 * i + 1] = points[i].lat;
    }
    return out;
}

void require_finite(double value, const char* name) {
    if (!std::isfinite(value)) throw InvalidArgument(fmt::format("{} must be a finite number, got {}", name, value));
}

std::vector<std::string> string_list(const py::object& value, const char* name) {
    if (value.is_none()) return {};
    if (py::isinstance<py::str>(value)) return {value.cast<std::string>()};
    if (!py::isinstance<py::sequence>(value))
        throw InvalidArgument(fmt::format("{} must be a str or a list of str, not {}", name, type_name(value)));
    std::vector<std::string> out;
    for (const py::handle item : value) {
        if (!py::isinstance<py::str>(item))
            throw InvalidArgument(
                fmt::format("{} must be a str or a list of str, found a {} in the list", name, type_name(item)));
        out.push_back(item.cast<std::string>());
    }
    return out;
}

}  // namespace geoplex::python
