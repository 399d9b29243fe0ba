// geoplex.Geocoder: search, reverse, completion and CSV batches over a bundle's address index.
//
// Results are plain dicts (JSON-serialisable, easy to turn into a DataFrame). A Geocoder is the
// geocoder handle plus a pool of geocoder::Query objects, so calls reuse scratch buffers and
// Python threads can search one Geocoder at once; every query runs with the GIL released. CSV
// batches stream through geocoder::batch_search_csv / batch_reverse_csv (constant memory), the
// same code as the HTTP /geocodage/search/csv endpoint; the DataFrame helpers of the package
// (python/geoplex/_geocoding.py) go through them too.

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

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
                "type must be 'housenumber', 'street', 'locality' or 'municipality' (or a list of them), not '{}'",
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

void check_index(const std::string& index) {
    if (index != "address")
        throw InvalidArgument(fmt::format("index must be 'address' (the only index a geoplex geocoder builds), not '{}'",
                                          index));
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
                    const std::optional<std::string>& city) {
    geocoder::SearchRequest request;
    request.q = q;
    request.limit = limit_argument(limit);
    request.bias = bias_point(lon, lat);
    request.autocomplete = autocomplete;
    request.filters = parse_filters(postcode, citycode, depcode, type, city);
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
    "    type: 'housenumber', 'street', 'locality', 'municipality' or a list of them.\n"
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
                d["terms"] = i.terms;
                d["bytes"] = i.bytes;
                d["bbox"] = bbox_tuple(i.extent);
                return d;
            },
            "What the index holds: municipalities, streets, housenumbers, terms, bytes, bbox (a new dict).")
        .def(
            "search",
            [](PyGeocoder& self, const std::string& q, long long limit, const std::string& index,
               const std::optional<double>& lon, const std::optional<double>& lat, bool autocomplete,
               const py::object& postcode, const py::object& citycode, const py::object& depcode,
               const py::object& type, const std::optional<std::string>& city) {
                check_index(index);
                return run_search(self, q, limit, lon, lat, autocomplete, postcode, citycode, depcode, type, city);
            },
            py::arg("q"), py::arg("limit") = 10, py::arg("index") = "address", py::arg("lon") = py::none(),
            py::arg("lat") = py::none(), py::arg("autocomplete") = false, GEOPLEX_FILTER_ARGS,
            (std::string("Addresses, streets and municipalities matching the free text `q`, best first.\n\n"
                         "Args:\n"
                         "    q: the text ('12 rue de la paix bondy'); not empty.\n"
                         "    limit: most results, 1..100.\n"
                         "    index: 'address' (the only index built).\n"
                         "    lon, lat: a bias point: nearer results rank higher; `distance` is filled.\n"
                         "    autocomplete: treat the last word as a prefix (typing in progress).\n") +
             filters_doc +
             "\nReturns:\n"
             "    list of result dicts (empty when nothing matches), score descending.\n\n"
             "Raises:\n"
             "    InvalidArgument: empty q, bad limit, filter or bias (.problems lists them).")
                .c_str())
        .def(
            "reverse",
            [](PyGeocoder& self, double lon, double lat, const std::optional<double>& radius, long long limit,
               const py::object& postcode, const py::object& citycode, const py::object& depcode,
               const py::object& type, const std::optional<std::string>& city) {
                geocoder::ReverseRequest request;
                request.point = LonLat{lon, lat};
                if (!is_valid_lonlat(request.point))
                    throw InvalidArgument(fmt::format("(lon, lat) = ({}, {}) is not a WGS84 position", lon, lat));
                if (radius) {
                    require_finite(*radius, "radius");
                    if (*radius <= 0.0) throw InvalidArgument(fmt::format("radius must be > 0 metres, got {}", *radius));
                }
                request.radius_m = radius;
                request.limit = limit_argument(limit);
                request.filters = parse_filters(postcode, citycode, depcode, type, city);
                std::vector<geocoder::Result> results;
                {
                    py::gil_scoped_release release;
                    auto query = self.lease();
                    results = query->reverse(request);
                }
                return result_list(results);
            },
            py::arg("lon"), py::arg("lat"), py::arg("radius") = py::none(), py::arg("limit") = 1, GEOPLEX_FILTER_ARGS,
            (std::string("The documents nearest to (lon, lat), nearest first, with `distance` in metres and\n"
                         "score = 1 - distance/radius (1/(1 + distance/100) without a radius).\n\n"
                         "Args:\n"
                         "    lon, lat: the point (WGS84).\n"
                         "    radius: metres searched; None = no limit.\n"
                         "    limit: most results, 1..100.\n") +
             filters_doc + "    (type defaults to 'housenumber'.)\n")
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
