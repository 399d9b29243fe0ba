// geoplex.Altimetry, ResourceInfo, SourceInfo, ElevationLine: DEM sampling on numpy arrays.
//
// Coordinates come in as two 1-D arrays (lon, lat) of any real dtype or as lists; they are
// converted to contiguous float64 only when they are not already, and results are written
// straight into freshly allocated numpy buffers with the GIL released. Every call creates its
// own altitude::Query, so Python threads can sample one Altimetry concurrently.

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::python {

namespace {

/// The bound elevation profile: numpy views over the C++ result (no copy; a capsule owns it).
struct PyElevationLine {
    std::string resource;
    double nodata = altitude::default_nodata;
    py::array_t<double> lon, lat, z, distance;
    py::array_t<std::int32_t> source;
    double positive = 0.0;
    double negative = 0.0;
};

altitude::Interpolation parse_interpolation(const std::string& name) {
    if (name == "bilinear") return altitude::Interpolation::bilinear;
    if (name == "nearest") return altitude::Interpolation::nearest;
    throw InvalidArgument(fmt::format("interpolation must be 'bilinear' or 'nearest', not '{}'", name));
}

/// A coordinate argument as a contiguous float64 array of 0 or 1 dimension (checked here, at
/// the binding edge, so that the message names the Python argument).
DoubleArray coordinate_array(const py::object& values, const char* name) {
    if (values.is_none()) throw InvalidArgument(fmt::format("{} must be numbers, not None", name));
    DoubleArray array = DoubleArray::ensure(values);
    if (!array)
        throw InvalidArgument(
            fmt::format("{} must be a number or a 1-D sequence of numbers (list or numpy array), "
                        "not {}",
                        name, type_name(values)));
    if (array.ndim() > 1)
        throw InvalidArgument(fmt::format("{} must be 1-D, got an array of shape {}", name, shape_string(array)));
    return array;
}

std::pair<DoubleArray, DoubleArray> coordinate_arrays(const py::object& lon, const py::object& lat) {
    DoubleArray x = coordinate_array(lon, "lon");
    DoubleArray y = coordinate_array(lat, "lat");
    if (x.size() != y.size())
        throw InvalidArgument(fmt::format("lon and lat must have the same length, got {} and {}", x.size(), y.size()));
    return {std::move(x), std::move(y)};
}

std::string resource_or_default(const altitude::Altimetry& altimetry, const std::optional<std::string>& resource) {
    if (resource) return *resource;
    if (altimetry.resources().empty()) throw Error(errc::not_found, "this altimetry has no DEM resource");
    return altimetry.resources().front().id;
}

py::dict source_dict(const altitude::SourceInfo& s) {
    py::dict d;
    d["name"] = s.name;
    d["title"] = s.title;
    d["accuracy"] = s.accuracy;
    d["priority"] = s.priority;
    d["storage"] = std::string(altitude::to_string(s.storage));
    d["crs"] = s.crs;
    d["width"] = s.width;
    d["height"] = s.height;
    d["geotransform"] = py::make_tuple(s.geotransform[0], s.geotransform[1], s.geotransform[2], s.geotransform[3],
                                       s.geotransform[4], s.geotransform[5]);
    d["bbox"] = bbox_tuple(s.extent);
    return d;
}

py::dict resource_dict(const altitude::ResourceInfo& r) {
    py::dict d;
    d["id"] = r.id;
    d["title"] = r.title;
    d["description"] = r.description;
    d["keywords"] = py::cast(r.keywords);
    d["nodata"] = r.nodata;
    d["bbox"] = bbox_tuple(r.extent);
    py::list sources;
    for (const auto& s : r.sources) sources.append(source_dict(s));
    d["sources"] = sources;
    return d;
}

PyElevationLine wrap_line(std::string resource, double nodata, altitude::ElevationLine&& line) {
    auto* owner = new altitude::ElevationLine(std::move(line));
    py::capsule base(owner, [](void* p) { delete static_cast<altitude::ElevationLine*>(p); });
    const auto n = static_cast<py::ssize_t>(owner->points.size());
    constexpr auto stride = static_cast<py::ssize_t>(sizeof(LonLat));
    static_assert(sizeof(LonLat) == 2 * sizeof(double), "LonLat must be two packed doubles");
    PyElevationLine out;
    out.resource = std::move(resource);
    out.nodata = nodata;
    const LonLat* points = owner->points.data();
    out.lon = py::array_t<double>({n}, {stride}, n ? &points->lon : nullptr, base);
    out.lat = py::array_t<double>({n}, {stride}, n ? &points->lat : nullptr, base);
    out.z = py::array_t<double>({static_cast<py::ssize_t>(owner->z.size())}, owner->z.data(), base);
    out.distance =
        py::array_t<double>({static_cast<py::ssize_t>(owner->distances.size())}, owner->distances.data(), base);
    out.source =
        py::array_t<std::int32_t>({static_cast<py::ssize_t>(owner->source.size())}, owner->source.data(), base);
    out.positive = owner->positive;
    out.negative = owner->negative;
    return out;
}

py::dict line_geojson(const PyElevationLine& line) {
    const auto lon = line.lon.unchecked<1>();
    const auto lat = line.lat.unchecked<1>();
    const auto z = line.z.unchecked<1>();
    py::list coordinates;
    for (py::ssize_t i = 0; i < lon.shape(0); ++i) {
        py::list position;  // lists, not tuples: equal to what json.loads gives back
        position.append(lon(i));
        position.append(lat(i));
        position.append(z(i));
        coordinates.append(position);
    }
    py::dict geometry;
    geometry["type"] = "LineString";
    geometry["coordinates"] = coordinates;
    py::dict properties;
    properties["resource"] = line.resource;
    properties["nodata"] = line.nodata;
    py::dict differences;
    differences["positive"] = line.positive;
    differences["negative"] = line.negative;
    properties["height_differences"] = differences;
    properties["distances"] = line.distance.attr("tolist")();
    py::dict feature;
    feature["type"] = "Feature";
    feature["geometry"] = geometry;
    feature["properties"] = properties;
    return feature;
}

}  // namespace

void bind_altitude(py::module_& m) {
    py::class_<altitude::SourceInfo>(m, "SourceInfo", "One raster of a DEM resource (read-only).")
        .def_readonly("name", &altitude::SourceInfo::name, "Source name, unique inside its resource.")
        .def_readonly("title", &altitude::SourceInfo::title, "Human title.")
        .def_readonly("accuracy", &altitude::SourceInfo::accuracy, "Accuracy text ('acc' of the Géoplateforme).")
        .def_readonly("priority", &altitude::SourceInfo::priority, "Higher priority wins where sources overlap.")
        .def_property_readonly(
            "storage", [](const altitude::SourceInfo& s) { return std::string(altitude::to_string(s.storage)); },
            "'embed' (Float32 grid in the bundle) or 'reference' (read through GDAL).")
        .def_readonly("crs", &altitude::SourceInfo::crs, "'EPSG:xxxx' when identified, else WKT.")
        .def_readonly("width", &altitude::SourceInfo::width, "Raster width in pixels.")
        .def_readonly("height", &altitude::SourceInfo::height, "Raster height in pixels.")
        .def_property_readonly(
            "geotransform",
            [](const altitude::SourceInfo& s) {
                return py::make_tuple(s.geotransform[0], s.geotransform[1], s.geotransform[2], s.geotransform[3],
                                      s.geotransform[4], s.geotransform[5]);
            },
            "GDAL geotransform (pixel-is-area), a 6-tuple.")
        .def_property_readonly(
            "bbox", [](const altitude::SourceInfo& s) { return bbox_tuple(s.extent); },
            "WGS84 extent (min_lon, min_lat, max_lon, max_lat); approximate for projected CRSs.")
        .def("to_dict", &source_dict, "The source as a plain dict.")
        .def("__repr__", [](const altitude::SourceInfo& s) {
            return fmt::format("SourceInfo(name='{}', priority={}, storage='{}', crs='{}', size={}x{})", s.name,
                               s.priority, altitude::to_string(s.storage), s.crs.size() > 40 ? "<wkt>" : s.crs, s.width,
                               s.height);
        });

    py::class_<altitude::ResourceInfo>(m, "ResourceInfo", "A named DEM made of one or more sources (read-only).")
        .def_readonly("id", &altitude::ResourceInfo::id, "Identifier used as `resource=`.")
        .def_readonly("title", &altitude::ResourceInfo::title, "Human title.")
        .def_readonly("description", &altitude::ResourceInfo::description, "Description.")
        .def_property_readonly(
            "keywords", [](const altitude::ResourceInfo& r) { return r.keywords; }, "Keywords (a new list).")
        .def_readonly("nodata", &altitude::ResourceInfo::nodata,
                      "Value returned where no source has data (-99999 by default).")
        .def_property_readonly(
            "sources", [](const altitude::ResourceInfo& r) { return r.sources; },
            "The sources, highest priority first (a new list of SourceInfo).")
        .def_property_readonly(
            "bbox", [](const altitude::ResourceInfo& r) { return bbox_tuple(r.extent); },
            "WGS84 extent (min_lon, min_lat, max_lon, max_lat), union of the sources'.")
        .def("to_dict", &resource_dict, "The resource (and its sources) as a plain dict.")
        .def("__repr__", [](const altitude::ResourceInfo& r) {
            return fmt::format("ResourceInfo(id='{}', title='{}', sources={}, bbox=({}, {}, {}, {}))", r.id, r.title,
                               r.sources.size(), r.extent.min_x, r.extent.min_y, r.extent.max_x, r.extent.max_y);
        });

    py::class_<PyElevationLine>(m, "ElevationLine",
                                "An elevation profile: samples equally spaced along a line, as numpy arrays.")
        .def_readonly("resource", &PyElevationLine::resource, "DEM resource sampled.")
        .def_readonly("nodata", &PyElevationLine::nodata, "z of samples no source covers.")
        .def_readonly("lon", &PyElevationLine::lon, "Sample longitudes (float64 array).")
        .def_readonly("lat", &PyElevationLine::lat, "Sample latitudes (float64 array).")
        .def_readonly("z", &PyElevationLine::z,
                      "Sample elevations in metres (float64 array; `nodata` where uncovered).")
        .def_readonly("distance", &PyElevationLine::distance,
                      "Geodesic distance of each sample from the start, metres (float64 array).")
        .def_readonly("source", &PyElevationLine::source,
                      "Index of the source used per sample (into ResourceInfo.sources), -1 = uncovered (int32).")
        .def_readonly("positive", &PyElevationLine::positive,
                      "Sum of climbs between successive covered samples, metres.")
        .def_readonly("negative", &PyElevationLine::negative,
                      "Sum of descents between successive covered samples, metres (a positive number).")
        .def(
            "__len__", [](const PyElevationLine& l) { return l.z.size(); }, "Number of samples.")
        .def("to_geojson", &line_geojson,
             "A GeoJSON Feature (dict): LineString of [lon, lat, z] positions; properties hold the resource,\n"
             "nodata, height_differences {positive, negative} and the distances.")
        .def(
            "to_dataframe",
            [](const PyElevationLine& l) {
                py::dict columns;
                columns["lon"] = l.lon;
                columns["lat"] = l.lat;
                columns["z"] = l.z;
                columns["distance"] = l.distance;
                return py::module_::import("pandas").attr("DataFrame")(columns);
            },
            "A pandas DataFrame with columns lon, lat, z, distance (needs pandas).")
        .def("__repr__", [](const PyElevationLine& l) {
            const auto n = l.distance.size();
            const double length = n ? l.distance.at(n - 1) : 0.0;
            return fmt::format(
                "ElevationLine(resource='{}', samples={}, length={:.1f} m, positive={:.1f} m, "
                "negative={:.1f} m)",
                l.resource, n, length, l.positive, l.negative);
        });

    py::class_<altitude::Altimetry>(m, "Altimetry",
                                    "Opened DEM resources of a bundle (Engine.altitude). Immutable; share it freely\n"
                                    "between threads: every call uses its own query state and releases the GIL.")
        .def_static(
            "open",
            [](const std::filesystem::path& path, bool verify_checksums) {
                altitude::OpenOptions options;
                options.verify_checksums = verify_checksums;
                py::gil_scoped_release release;
                return altitude::Altimetry::open(path, options);
            },
            py::arg("path"), py::arg("verify_checksums") = false,
            "Opens an altitude folder (<bundle>/altitude) on its own. Raises IoError/FormatError.")
        .def("resources", &altitude::Altimetry::resources,
             "The DEM resources (list of ResourceInfo), in bundle order; the first is the default.")
        .def("resource", &altitude::Altimetry::resource, py::arg("id"), py::return_value_policy::copy,
             "The ResourceInfo called `id`. Raises NotFound when unknown.")
        .def(
            "elevation",
            [](const altitude::Altimetry& self, const py::object& lon, const py::object& lat,
               const std::optional<std::string>& resource, const std::string& interpolation,
               const std::optional<double>& nodata) {
                auto [x, y] = coordinate_arrays(lon, lat);
                const auto interp = parse_interpolation(interpolation);
                const std::string id = resource_or_default(self, resource);
                const auto n = static_cast<std::size_t>(x.size());
                py::array_t<double> z(static_cast<py::ssize_t>(n));
                double* out = z.mutable_data();
                const double* px = x.data();
                const double* py_ = y.data();
                {
                    py::gil_scoped_release release;
                    altitude::Query query(self);
                    std::vector<std::int32_t> source;
                    if (nodata) source.resize(n);
                    query.elevations(id, std::span(px, n), std::span(py_, n), std::span(out, n), interp,
                                     std::span(source));
                    if (nodata) {
                        for (std::size_t i = 0; i < n; ++i)
                            if (source[i] < 0) out[i] = *nodata;
                    }
                }
                return z;
            },
            py::arg("lon"), py::arg("lat"), py::arg("resource") = py::none(), py::arg("interpolation") = "bilinear",
            py::arg("nodata") = py::none(),
            "Elevations (metres) at WGS84 points.\n\n"
            "Args:\n"
            "    lon, lat: numbers, lists or 1-D numpy arrays of equal length (any real dtype; contiguous\n"
            "        float64 is used without a copy).\n"
            "    resource: DEM resource id; None = the first resource.\n"
            "    interpolation: 'bilinear' (between the 4 surrounding pixel centres) or 'nearest' (the\n"
            "        containing pixel, as gdallocationinfo).\n"
            "    nodata: value for points no source covers; None = the resource's nodata (-99999).\n\n"
            "Returns:\n"
            "    numpy.ndarray of float64, shape (n,).\n\n"
            "Raises:\n"
            "    InvalidArgument (a ValueError): bad shapes, lengths or interpolation.\n"
            "    NotFound: unknown resource.")
        .def(
            "measures",
            [](const altitude::Altimetry& self, const py::object& lon, const py::object& lat,
               const std::optional<std::string>& resource, const std::string& interpolation) {
                auto [x, y] = coordinate_arrays(lon, lat);
                const auto interp = parse_interpolation(interpolation);
                const std::string id = resource_or_default(self, resource);
                const auto n = static_cast<std::size_t>(x.size());
                const std::size_t k = self.resource(id).sources.size();
                py::array_t<double> values({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(k)});
                double* out = values.mutable_data();
                const double* px = x.data();
                const double* py_ = y.data();
                {
                    py::gil_scoped_release release;
                    std::vector<LonLat> points(n);
                    for (std::size_t i = 0; i < n; ++i) points[i] = LonLat{px[i], py_[i]};
                    altitude::Query query(self);
                    query.measures(id, points, std::span(out, n * k), interp);
                }
                return values;
            },
            py::arg("lon"), py::arg("lat"), py::arg("resource") = py::none(), py::arg("interpolation") = "bilinear",
            "Value of every source of the resource at every point: float64 array of shape\n"
            "(n, len(resource.sources)), sources in ResourceInfo.sources order; the resource's nodata where a\n"
            "source does not cover a point. Arguments as elevation().")
        .def(
            "elevation_line",
            [](const altitude::Altimetry& self, const py::object& lon, const py::object& lat,
               const std::optional<long long>& sampling, const std::optional<std::string>& resource,
               const std::string& interpolation, bool include_vertices) {
                auto [x, y] = coordinate_arrays(lon, lat);
                const auto interp = parse_interpolation(interpolation);
                const std::string id = resource_or_default(self, resource);
                const auto n = static_cast<std::size_t>(x.size());
                if (n < 2) throw InvalidArgument(fmt::format("a line needs at least 2 points, got {}", n));
                if (sampling && *sampling < 2)
                    throw InvalidArgument(fmt::format("sampling must be at least 2, got {}", *sampling));
                const std::size_t samples = sampling ? static_cast<std::size_t>(*sampling) : n;
                const double nodata = self.resource(id).nodata;
                const double* px = x.data();
                const double* py_ = y.data();
                altitude::ElevationLine line;
                {
                    py::gil_scoped_release release;
                    std::vector<LonLat> vertices(n);
                    for (std::size_t i = 0; i < n; ++i) vertices[i] = LonLat{px[i], py_[i]};
                    altitude::Query query(self);
                    line = query.elevation_line(id, vertices, samples, interp, include_vertices);
                }
                return wrap_line(id, nodata, std::move(line));
            },
            py::arg("lon"), py::arg("lat"), py::arg("sampling") = py::none(), py::arg("resource") = py::none(),
            py::arg("interpolation") = "bilinear", py::arg("include_vertices") = false,
            "Elevation profile along the polyline through (lon[i], lat[i]).\n\n"
            "Args:\n"
            "    lon, lat: the line's vertices (>= 2), lists or 1-D arrays of equal length.\n"
            "    sampling: number of samples (>= 2) equally spaced along the geodesic length; None = the\n"
            "        number of vertices (as the Géoplateforme).\n"
            "    resource: DEM resource id; None = the first resource.\n"
            "    interpolation: 'bilinear' or 'nearest'.\n"
            "    include_vertices: also sample the input vertices (merged by distance).\n\n"
            "Returns:\n"
            "    ElevationLine (numpy arrays lon, lat, z, distance, source; floats positive, negative).")
        .def("__repr__", [](const altitude::Altimetry& self) {
            std::string ids;
            for (const auto& r : self.resources()) ids += fmt::format("{}'{}'", ids.empty() ? "" : ", ", r.id);
            return fmt::format("Altimetry(resources=[{}])", ids);
        });
}

}  // namespace geoplex::python
