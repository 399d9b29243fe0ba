// geoplex.Geocoder: search, reverse (by point or by geometry), completion and CSV batches over a
// bundle's address, POI and parcel indexes.
//
// Results are plain dicts (JSON-serialisable, easy to turn into a DataFrame). A Geocoder is the
// geocoder handle plus a pool of geocoder::Query objects, so calls reuse scratch buffers and
// Python threads can search one Geocoder at once; every query runs with the GIL released. CSV
// batches stream through geocoder::batch_search_csv / batch_reverse_csv (constant memory), the
// same code as the HTTP /geocodage/search/csv endpoint; the DataFrame helpers of the package
// (python/geoplex/_geocoding.py) go through them too.

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "query_pool.hpp"

namespace geoplex::python {

namespace {

using PyGeocoder = QueryPool<geocoder::Geocoder, geocoder::Query>;

std::vector<geocoder::DocType> parse_types(const py::object& value) {
    std::vector<geocoder::DocType> types;
    for (const auto& name : string_list(value, "type")) {
        const auto t = geocoder::doc_type_from_string(name);
        if (!t)
            throw InvalidArgument(fmt::format(
                "type must be 'housenumber', 'street', 'locality', 'municipality', 'poi' or 'parcel' (or a list of them), not '{}'",
                name));
        types.push_back(*t);
    }
    return types;
}

geocoder::Filters parse_filters(const py::object& postcode, const py::object& citycode, const py::object& depcode,
                                const py::object& type, const std::optional<std::string>& city) {
    geocoder::Filters f;
    f.postcodes = string_list(postcode, "postcode");
    f.citycodes = string_list(citycode, "citycode");
    f.depcodes = string_list(depcode, "depcode");
    f.types = parse_types(type);
    f.city = city.value_or("");
    if (auto problems = f.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    return f;
}

std::optional<LonLat> bias_point(const std::optional<double>& lon, const std::optional<double>& lat) {
    if (lon.has_value() != lat.has_value())
        throw InvalidArgument("lon and lat must be given together (a bias point), or neither");
    if (!lon) return std::nullopt;
    const LonLat p{*lon, *lat};
    if (!is_valid_lonlat(p))
        throw InvalidArgument(fmt::format("(lon, lat) = ({}, {}) is not a WGS84 position", *lon, *lat));
    return p;
}

std::size_t limit_argument(long long limit) {
    if (limit < 1 || limit > 100) throw InvalidArgument(fmt::format("limit must be in [1, 100], got {}", limit));
    return static_cast<std::size_t>(limit);
}

/// `index`: "address", "poi", "parcel", a comma list ("address,poi") or a list of them; each
/// must be built in this bundle.
std::vector<geocoder::IndexKind> parse_indexes(const PyGeocoder& self, const py::object& value) {
    std::vector<std::string> names;
    for (const auto& item : string_list(value, "index")) {
        std::size_t start = 0;
        for (;;) {
            const auto end = item.find(',', start);
            names.push_back(item.substr(start, end == std::string::npos ? std::string::npos : end - start));
            if (end == std::string::npos) break;
            start = end + 1;
        }
    }
    const auto& info = self.handle().info();
    std::vector<geocoder::IndexKind> out;
    for (const auto& name : names) {
        const auto k = geocoder::index_kind_from_string(name);
        if (!k) throw InvalidArgument(fmt::format("index must be 'address', 'poi' or 'parcel' (or several), not '{}'", name));
        if (!info.serves(*k))
            throw InvalidArgument(fmt::format("index '{}' is not built in this bundle (add a {} source to its "
                                              "[geocoder] section)", name,
                                              *k == geocoder::IndexKind::poi ? "gdal-poi or osm-poi" : "gdal-parcel"));
        if (std::find(out.begin(), out.end(), *k) == out.end()) out.push_back(*k);
    }
    return out;
}

/// [lon, lat] from a GeoJSON position (a sequence of two numbers).
LonLat position_argument(const py::handle& value, const char* what) {
    if (!py::isinstance<py::sequence>(value) || py::isinstance<py::str>(value) || py::len(value) < 2)
        throw InvalidArgument(fmt::format("geometry: {} must be a [lon, lat] position", what));
    const auto seq = py::reinterpret_borrow<py::sequence>(value);
    const LonLat p{py::cast<double>(seq[0]), py::cast<double>(seq[1])};
    if (!is_valid_lonlat(p))
        throw InvalidArgument(fmt::format("geometry: ({}, {}) is not a WGS84 position", p.lon, p.lat));
    return p;
}

std::vector<LonLat> positions_argument(const py::handle& value, const char* what) {
    if (!py::isinstance<py::sequence>(value) || py::isinstance<py::str>(value))
        throw InvalidArgument(fmt::format("geometry: {} must be a list of [lon, lat] positions", what));
    std::vector<LonLat> out;
    for (const auto& item : py::reinterpret_borrow<py::sequence>(value)) out.push_back(position_argument(item, what));
    return out;
}

/// A GeoJSON-like dict (Point, LineString, Polygon, or {"type": "Circle", "coordinates": [lon, lat],
/// "radius": metres}), or any object with __geo_interface__ (shapely) → the reverse search geometry.
geocoder::SearchGeometry geometry_argument(py::object value) {
    if (py::hasattr(value, "__geo_interface__")) value = value.attr("__geo_interface__");
    if (!py::isinstance<py::dict>(value))
        throw InvalidArgument("geometry must be a GeoJSON dict (Point, LineString, Polygon or Circle) or a shapely geometry");
    const auto d = py::reinterpret_borrow<py::dict>(value);
    if (!d.contains("type") || !d.contains("coordinates"))
        throw InvalidArgument("geometry must have 'type' and 'coordinates'");
    const auto type = py::cast<std::string>(d["type"]);
    const py::object coords = d["coordinates"];
    geocoder::SearchGeometry g;
    if (type == "Point") {
        g.kind = geocoder::SearchGeometry::Kind::point;
        g.parts = {{position_argument(coords, "Point coordinates")}};
    } else if (type == "Circle") {
        if (!d.contains("radius")) throw InvalidArgument("geometry: a Circle needs 'radius' (metres)");
        g.kind = geocoder::SearchGeometry::Kind::point;
        g.parts = {{position_argument(coords, "Circle coordinates")}};
        g.buffer_m = py::cast<double>(d["radius"]);
        if (!(g.buffer_m > 0.0))
            throw InvalidArgument(fmt::format("geometry: Circle radius must be > 0 metres, got {}", g.buffer_m));
    } else if (type == "LineString") {
        g.kind = geocoder::SearchGeometry::Kind::linestring;
        g.parts = {positions_argument(coords, "LineString coordinates")};
    } else if (type == "Polygon") {
        g.kind = geocoder::SearchGeometry::Kind::polygon;
        if (!py::isinstance<py::sequence>(coords) || py::isinstance<py::str>(coords))
            throw InvalidArgument("geometry: Polygon coordinates must be a list of rings");
        for (const auto& ring : py::reinterpret_borrow<py::sequence>(coords))
            g.parts.push_back(positions_argument(ring, "a Polygon ring"));
    } else {
        throw InvalidArgument(fmt::format("geometry type must be Point, LineString, Polygon or Circle, not '{}'", type));
    }
    if (auto problems = g.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    return g;
}

py::dict result_dict(const geocoder::Result& r) {
    py::dict d;
    d["type"] = std::string(geocoder::to_string(r.type));
    d["id"] = r.id;
    d["label"] = r.label;
    d["name"] = r.name;
    d["housenumber"] = r.housenumber;
    d["street"] = r.street;
    d["postcode"] = r.postcode;
    d["citycode"] = r.citycode;
    d["city"] = r.city;
    d["context"] = r.context;
    d["lon"] = r.position.lon;
    d["lat"] = r.position.lat;
    d["score"] = r.score;
    d["importance"] = r.importance;
    d["distance"] = r.distance >= 0.0 ? py::object(py::float_(r.distance)) : py::object(py::none());
    if (r.type == geocoder::DocType::poi) d["categories"] = r.categories;
    if (!r.true_geometry.empty()) d["truegeometry"] = py::module_::import("json").attr("loads")(r.true_geometry);
    if (r.type == geocoder::DocType::parcel) {
        d["departmentcode"] = r.departmentcode;
        d["municipalitycode"] = r.municipalitycode;
        d["oldmunicipalitycode"] = r.oldmunicipalitycode;
        d["districtcode"] = r.districtcode;
        d["section"] = r.section;
        d["number"] = r.number;
        d["sheet"] = r.sheet;
    }
    return d;
}

py::list result_list(const std::vector<geocoder::Result>& results) {
    py::list out;
    for (const auto& r : results) out.append(result_dict(r));
    return out;
}

/// search() and completion(): the request from the Python arguments, run without the GIL.
py::list run_search(PyGeocoder& self, const std::string& q, long long limit, const std::optional<double>& lon,
                    const std::optional<double>& lat, bool autocomplete, const py::object& postcode,
                    const py::object& citycode, const py::object& depcode, const py::object& type,
                    const std::optional<std::string>& city, const py::object& index = py::none(),
                    const py::object& category = py::none(), bool true_geometry = false) {
    geocoder::SearchRequest request;
    request.q = q;
    request.limit = limit_argument(limit);
    request.bias = bias_point(lon, lat);
    request.autocomplete = autocomplete;
    request.filters = parse_filters(postcode, citycode, depcode, type, city);
    request.filters.categories = string_list(category, "category");
    if (!index.is_none()) request.indexes = parse_indexes(self, index);
    request.true_geometry = true_geometry;
    if (auto problems = request.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    std::vector<geocoder::Result> results;
    {
        py::gil_scoped_release release;
        auto query = self.lease();
        results = query->search(request);
    }
    return result_list(results);
}

struct CsvOptions {
    geocoder::BatchOptions batch;
    bool reverse = false;
};

CsvOptions csv_options(bool reverse, const py::object& columns, const std::optional<std::string>& postcode_column,
                       const std::optional<std::string>& citycode_column, const std::string& lat_column,
                       const std::string& lon_column, const std::optional<std::string>& delimiter,
                       const std::optional<long long>& max_rows, const geocoder::Filters& filters) {
    CsvOptions o;
    o.reverse = reverse;
    o.batch.columns = string_list(columns, "columns");
    o.batch.postcode_column = postcode_column.value_or("");
    o.batch.citycode_column = citycode_column.value_or("");
    o.batch.lat_column = lat_column;
    o.batch.lon_column = lon_column;
    if (delimiter) {
        if (delimiter->size() != 1 || (*delimiter)[0] == '"' || (*delimiter)[0] == '\n')
            throw InvalidArgument(fmt::format("delimiter must be one character (',', ';', '\\t' or '|'), got '{}'",
                                              *delimiter));
        o.batch.delimiter = (*delimiter)[0];
    }
    if (max_rows) {
        if (*max_rows < 0) throw InvalidArgument(fmt::format("max_rows must be >= 0, got {}", *max_rows));
        o.batch.max_rows = static_cast<std::size_t>(*max_rows);
    }
    o.batch.filters = filters;
    return o;
}

geocoder::BatchStats run_batch(PyGeocoder& self, const CsvOptions& o, std::istream& in, std::ostream& out) {
    auto query = self.lease();
    return o.reverse ? geocoder::batch_reverse_csv(*query, in, out, o.batch)
                     : geocoder::batch_search_csv(*query, in, out, o.batch);
}

py::dict stats_dict(const geocoder::BatchStats& s) {
    py::dict d;
    d["rows"] = s.rows;
    d["matched"] = s.matched;
    return d;
}

geocoder::BatchStats batch_files(PyGeocoder& self, const CsvOptions& o, const std::filesystem::path& src,
                                 const std::filesystem::path& dst) {
    py::gil_scoped_release release;
    std::ifstream in(src, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot open {} for reading", src.string()));
    std::ofstream out(dst, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(fmt::format("cannot open {} for writing", dst.string()));
    const auto stats = run_batch(self, o, in, out);
    out.close();
    if (!out) throw IoError(fmt::format("cannot write {}", dst.string()));
    return stats;
}

std::unique_ptr<PyGeocoder> make_geocoder(geocoder::Geocoder g) {
    return std::make_unique<PyGeocoder>(std::move(g));
}

// The filter keywords every call accepts, in one place.
#define GEOPLEX_FILTER_ARGS                                                                                         \
    py::arg("postcode") = py::none(), py::arg("citycode") = py::none(), py::arg("depcode") = py::none(),          \
        py::arg("type") = py::none(), py::arg("city") = py::none()

constexpr const char* filters_doc =
    "    postcode, citycode, depcode: a code or a list of codes (5-digit postcodes, INSEE codes,\n"
    "        department codes); results must match one of them.\n"
    "    type: 'housenumber', 'street', 'locality', 'municipality', 'poi', 'parcel' or a list of them.\n"
    "    city: city name (compared without accents or case).\n";

}  // namespace

py::object geocoder_object(const bundle::Engine& engine) {
    return py::cast(make_geocoder(engine.geocoder()));
}

void bind_geocoder(py::module_& m) {
    py::class_<PyGeocoder>(m, "Geocoder",
                           "The geocoder component of a bundle (BAN addresses): search, reverse, completion and CSV\n"
                           "batches. Immutable and safe to share between threads (each call leases its own query\n"
                           "state; the GIL is released). Get it from Engine.geocoder or Geocoder.open(path).\n\n"
                           "Results are dicts: type ('housenumber', 'street', 'locality', 'municipality'), id, label,\n"
                           "name, housenumber, street, postcode, citycode, city, context, lon, lat, score (0..1),\n"
                           "importance (0..1) and distance (metres from the reverse or bias point, else None).")
        .def_static(
            "open",
            [](const std::filesystem::path& path, bool verify_checksums) {
                geocoder::OpenOptions options;
                options.verify_checksums = verify_checksums;
                std::optional<geocoder::Geocoder> g;
                {
                    py::gil_scoped_release release;
                    g.emplace(geocoder::Geocoder::open(path, options));
                }
                return make_geocoder(std::move(*g));
            },
            py::arg("path"), py::arg("verify_checksums") = false,
            "Opens a bundle's geocoder/ folder alone.\n\n"
            "Raises:\n"
            "    IoError, FormatError: the index is missing or corrupt.")
        .def_property_readonly(
            "info",
            [](const PyGeocoder& self) {
                const auto& i = self.handle().info();
                py::dict d;
                d["municipalities"] = i.municipalities;
                d["streets"] = i.streets;
                d["housenumbers"] = i.housenumbers;
                d["pois"] = i.pois;
                d["parcels"] = i.parcels;
                d["terms"] = i.terms;
                d["bytes"] = i.bytes;
                d["bbox"] = bbox_tuple(i.extent);
                return d;
            },
            "What the index holds: municipalities, streets, housenumbers, pois, parcels, terms, bytes, bbox (a new dict).")
        .def(
            "search",
            [](PyGeocoder& self, const std::string& q, long long limit, const py::object& index,
               const std::optional<double>& lon, const std::optional<double>& lat, bool autocomplete,
               const py::object& postcode, const py::object& citycode, const py::object& depcode,
               const py::object& type, const std::optional<std::string>& city, const py::object& category,
               bool true_geometry) {
                return run_search(self, q, limit, lon, lat, autocomplete, postcode, citycode, depcode, type, city,
                                  index, category, true_geometry);
            },
            py::arg("q"), py::arg("limit") = 10, py::arg("index") = "address", py::arg("lon") = py::none(),
            py::arg("lat") = py::none(), py::arg("autocomplete") = false, GEOPLEX_FILTER_ARGS,
            py::arg("category") = py::none(), py::arg("true_geometry") = false,
            (std::string("Documents matching the free text `q`, best first.\n\n"
                         "Args:\n"
                         "    q: the text ('12 rue de la paix bondy', 'boulangerie du centre', a parcel id); not empty.\n"
                         "    limit: most results, 1..100.\n"
                         "    index: 'address', 'poi', 'parcel', a comma list or a list of them (each must be\n"
                         "        built in the bundle); results of several indexes are merged by score.\n"
                         "    lon, lat: a bias point: nearer results rank higher; `distance` is filled.\n"
                         "    autocomplete: treat the last word as a prefix (typing in progress).\n") +
             filters_doc +
             "    category: POIs: a category or a list (any of them, case-insensitive).\n"
             "    true_geometry: POI and parcel results get `truegeometry`, their source geometry as a\n"
             "        GeoJSON dict (the reference's returntruegeometry).\n"
             "\nReturns:\n"
             "    list of result dicts (empty when nothing matches), score descending; POIs add\n"
             "    `categories`, parcels their id parts (departmentcode … number, sheet).\n\n"
             "Raises:\n"
             "    InvalidArgument: empty q, bad limit, index, filter or bias (.problems lists them).")
                .c_str())
        .def(
            "reverse",
            [](PyGeocoder& self, const std::optional<double>& lon, const std::optional<double>& lat,
               const std::optional<double>& radius, long long limit, const py::object& postcode,
               const py::object& citycode, const py::object& depcode, const py::object& type,
               const std::optional<std::string>& city, const py::object& index, const py::object& category,
               const py::object& geometry, bool true_geometry) {
                geocoder::ReverseRequest request;
                const auto point = bias_point(lon, lat);
                if (!point && geometry.is_none())
                    throw InvalidArgument("reverse needs a point (lon, lat), a geometry, or both");
                if (radius) {
                    require_finite(*radius, "radius");
                    if (*radius <= 0.0) throw InvalidArgument(fmt::format("radius must be > 0 metres, got {}", *radius));
                    if (!geometry.is_none()) throw InvalidArgument("radius and geometry cannot be combined (use a Circle)");
                }
                request.radius_m = radius;
                request.limit = limit_argument(limit);
                request.filters = parse_filters(postcode, citycode, depcode, type, city);
                request.filters.categories = string_list(category, "category");
                if (!index.is_none()) request.indexes = parse_indexes(self, index);
                request.true_geometry = true_geometry;
                if (!geometry.is_none()) {
                    request.geometry = geometry_argument(geometry);
                    // ordered from the point when given, else from the centre of the geometry's box
                    BBox box;
                    for (const auto& part : request.geometry->parts)
                        for (const auto& v : part) box.extend(v);
                    request.point = point ? *point : LonLat{(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
                } else {
                    request.point = *point;
                }
                if (auto problems = request.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
                std::vector<geocoder::Result> results;
                {
                    py::gil_scoped_release release;
                    auto query = self.lease();
                    results = query->reverse(request);
                }
                return result_list(results);
            },
            py::arg("lon") = py::none(), py::arg("lat") = py::none(), py::arg("radius") = py::none(),
            py::arg("limit") = 1, GEOPLEX_FILTER_ARGS, py::arg("index") = py::none(), py::arg("category") = py::none(),
            py::arg("geometry") = py::none(), py::arg("true_geometry") = false,
            (std::string("The documents nearest to (lon, lat), nearest first, with `distance` in metres and\n"
                         "score = 1 - distance/radius (1/(1 + distance/100) without a radius); or, with `geometry`,\n"
                         "every document intersecting it (as GET /geocodage/reverse?searchgeom=…).\n\n"
                         "Args:\n"
                         "    lon, lat: the point (WGS84); optional with `geometry` (then results are ordered\n"
                         "        from the centre of its bounding box).\n"
                         "    radius: metres searched; None = no limit.\n"
                         "    limit: most results, 1..100.\n") +
             filters_doc + "    (type defaults to 'housenumber'.)\n" +
             "    index: 'address', 'poi', 'parcel' or several (as search()).\n"
             "    category: POIs: a category or a list.\n"
             "    geometry: a GeoJSON dict — Point, LineString, Polygon (holes allowed), or\n"
             "        {'type': 'Circle', 'coordinates': [lon, lat], 'radius': metres} — or a shapely\n"
             "        geometry. Parcels and GDAL POIs match by their true geometry, other documents by\n"
             "        their point.\n"
             "    true_geometry: as search().\n")
                .c_str())
        .def(
            "completion",
            [](PyGeocoder& self, const std::string& text, long long limit, const std::optional<double>& lon,
               const std::optional<double>& lat, const py::object& postcode, const py::object& citycode,
               const py::object& depcode, const py::object& type, const std::optional<std::string>& city) {
                return run_search(self, text, limit, lon, lat, true, postcode, citycode, depcode, type, city);
            },
            py::arg("text"), py::arg("limit") = 10, py::arg("lon") = py::none(), py::arg("lat") = py::none(),
            GEOPLEX_FILTER_ARGS,
            "Suggestions while typing: search(text, autocomplete=True) (the last word is a prefix), as the\n"
            "Géoplateforme's /geocodage/completion. Same arguments and result dicts as search().")
        .def(
            "geocode_csv",
            [](PyGeocoder& self, const std::filesystem::path& src, const std::filesystem::path& dst,
               const py::object& columns, const std::optional<std::string>& postcode_column,
               const std::optional<std::string>& citycode_column, const std::optional<std::string>& delimiter,
               const std::optional<long long>& max_rows, const py::object& postcode, const py::object& citycode,
               const py::object& depcode, const py::object& type, const std::optional<std::string>& city) {
                const auto o = csv_options(false, columns, postcode_column, citycode_column, "lat", "lon", delimiter,
                                           max_rows, parse_filters(postcode, citycode, depcode, type, city));
                return stats_dict(batch_files(self, o, src, dst));
            },
            py::arg("src"), py::arg("dst"), py::arg("columns") = py::none(), py::arg("postcode_column") = py::none(),
            py::arg("citycode_column") = py::none(), py::arg("delimiter") = py::none(), py::arg("max_rows") = py::none(),
            GEOPLEX_FILTER_ARGS,
            "Geocodes the CSV file `src` row by row into `dst` (streamed: constant memory), as\n"
            "POST /geocodage/search/csv: every row is copied with the columns latitude, longitude,\n"
            "result_label, result_score, result_type, result_id, result_housenumber, result_name,\n"
            "result_postcode, result_city, result_citycode appended (empty when no match).\n\n"
            "Args:\n"
            "    src, dst: CSV paths (UTF-8, a header row).\n"
            "    columns: the columns joined (with spaces) into the search text; None = every column.\n"
            "    postcode_column, citycode_column: a column filtering each row's result.\n"
            "    delimiter: one character; None = detected from the header (',', ';', tab or '|').\n"
            "    max_rows: refuse files with more rows (geoplex.Error, code 'limit_exceeded'); None = no limit.\n"
            "    postcode…city: filters applied to every row (see search()).\n\n"
            "Returns:\n"
            "    {'rows': int, 'matched': int}\n\n"
            "Raises:\n"
            "    InvalidArgument: a named column is missing.  IoError: a file cannot be read or written.\n"
            "    FormatError: an unterminated quoted field.")
        .def(
            "reverse_csv",
            [](PyGeocoder& self, const std::filesystem::path& src, const std::filesystem::path& dst,
               const std::string& lat_column, const std::string& lon_column,
               const std::optional<std::string>& delimiter, const std::optional<long long>& max_rows,
               const py::object& postcode, const py::object& citycode, const py::object& depcode,
               const py::object& type, const std::optional<std::string>& city) {
                const auto o = csv_options(true, py::none(), std::nullopt, std::nullopt, lat_column, lon_column,
                                           delimiter, max_rows, parse_filters(postcode, citycode, depcode, type, city));
                return stats_dict(batch_files(self, o, src, dst));
            },
            py::arg("src"), py::arg("dst"), py::arg("lat_column") = "lat", py::arg("lon_column") = "lon",
            py::arg("delimiter") = py::none(), py::arg("max_rows") = py::none(), GEOPLEX_FILTER_ARGS,
            "Reverse-geocodes the CSV file `src` into `dst` (streamed), as POST /geocodage/reverse/csv:\n"
            "the nearest address of each row's (lat_column, lon_column) point, same appended columns as\n"
            "geocode_csv(). Rows with unreadable coordinates get empty result columns.")
        .def(
            "_batch_csv_string",
            [](PyGeocoder& self, const std::string& text, bool reverse, const py::object& columns,
               const std::optional<std::string>& postcode_column, const std::optional<std::string>& citycode_column,
               const std::string& lat_column, const std::string& lon_column,
               const std::optional<std::string>& delimiter, const py::object& postcode, const py::object& citycode,
               const py::object& depcode, const py::object& type, const std::optional<std::string>& city) {
                const auto o = csv_options(reverse, columns, postcode_column, citycode_column, lat_column, lon_column,
                                           delimiter, std::nullopt,
                                           parse_filters(postcode, citycode, depcode, type, city));
                std::string output;
                {
                    py::gil_scoped_release release;
                    std::istringstream in(text);
                    std::ostringstream out;
                    run_batch(self, o, in, out);
                    output = std::move(out).str();
                }
                return output;
            },
            py::arg("text"), py::arg("reverse") = false, py::arg("columns") = py::none(),
            py::arg("postcode_column") = py::none(), py::arg("citycode_column") = py::none(),
            py::arg("lat_column") = "lat", py::arg("lon_column") = "lon", py::arg("delimiter") = py::none(),
            GEOPLEX_FILTER_ARGS,
            "The CSV batch on a string (internal: what geocode_dataframe()/reverse_dataframe() use).")
        .def("__repr__", [](const PyGeocoder& self) {
            const auto& i = self.handle().info();
            return fmt::format("Geocoder(municipalities={}, streets={}, housenumbers={})", i.municipalities, i.streets,
                               i.housenumbers);
        });
}

#undef GEOPLEX_FILTER_ARGS

}  // namespace geoplex::python
