// geoplex.Tileset and geoplex.Tile: list layers, render tiles to bytes or to RGBA numpy arrays.
//
// Rendering (and decoding) runs with the GIL released; a Tileset is immutable and thread-safe.
// Vector tiles come back as plain (uncompressed) MVT bytes from render(); Tile.data keeps them as
// the server sends them (gzip-compressed, see Tile.gzipped). Raster tiles are decoded to
// (H, W, 4) uint8 arrays with GDAL (PNG, JPEG and WebP drivers, from memory).

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <zlib.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/tiles/tiles.hpp"

namespace geoplex::python {

namespace {

/// A rendered tile as Python sees it.
struct PyTile {
    std::string layer;
    std::uint32_t z = 0;
    std::uint64_t x = 0, y = 0;
    std::string status;
    std::string format;
    std::string mime_type;
    py::bytes data;
    bool gzipped = false;
};

std::string_view status_name(tiles::TileStatus s) {
    switch (s) {
        case tiles::TileStatus::ok:
            return "ok";
        case tiles::TileStatus::empty:
            return "empty";
        case tiles::TileStatus::out_of_range:
            return "out_of_range";
    }
    return "ok";
}

const tiles::LayerInfo& layer_info(const tiles::Tileset& set, const std::string& id) {
    if (const auto* info = set.find(id)) return *info;
    std::string known;
    for (const auto& l : set.layers()) known += fmt::format("{}'{}'", known.empty() ? "" : ", ", l.id);
    throw Error(errc::not_found, fmt::format("unknown tile layer '{}' (known: {})", id, known));
}

std::optional<tiles::TileFormat> format_argument(const std::optional<std::string>& format) {
    if (!format) return std::nullopt;
    if (auto f = tiles::parse_format(*format)) return f;
    throw InvalidArgument(
        fmt::format("format must be 'png', 'jpeg', 'webp' or 'pbf' (or a MIME type), not '{}'", *format));
}

struct TileAddress {
    std::uint32_t z;
    std::uint64_t x, y;
};

TileAddress tile_address(long long z, long long x, long long y) {
    std::vector<std::string> problems;
    if (z < 0 || z > 30) problems.push_back(fmt::format("z must be in [0, 30], got {}", z));
    if (x < 0) problems.push_back(fmt::format("x must be >= 0, got {}", x));
    if (y < 0) problems.push_back(fmt::format("y must be >= 0, got {}", y));
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return {static_cast<std::uint32_t>(z), static_cast<std::uint64_t>(x), static_cast<std::uint64_t>(y)};
}

const tiles::TileMatrix& tile_matrix(const tiles::Tileset& set, const tiles::LayerInfo& layer, std::uint32_t z) {
    const auto* tms = set.find_tile_matrix_set(layer.tile_matrix_set);
    const auto* matrix = tms != nullptr ? tms->matrix(z) : nullptr;
    if (matrix == nullptr)
        throw Error(errc::not_found, fmt::format("zoom {} is not a level of tile matrix set '{}' (layer '{}')", z,
                                                 layer.tile_matrix_set, layer.id));
    return *matrix;
}

[[noreturn]] void throw_out_of_range(const tiles::LayerInfo& layer, const TileAddress& t) {
    throw Error(errc::not_found,
                fmt::format("tile {}/{}/{} is outside layer '{}' (tile matrix set '{}', zoom {}..{}, or outside the "
                            "data's extent)",
                            t.z, t.x, t.y, layer.id, layer.tile_matrix_set, layer.min_zoom, layer.max_zoom));
}

std::string gunzip(std::string_view data) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(errc::internal, "zlib: inflateInit2 failed");
    std::string out;
    char buffer[65536];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buffer);
        zs.avail_out = sizeof(buffer);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw FormatError("a gzip-compressed vector tile could not be decompressed");
        }
        out.append(buffer, sizeof(buffer) - zs.avail_out);
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) throw FormatError("a gzip-compressed vector tile is truncated");
    return out;
}

/// Decodes an image (PNG, JPEG, WebP) to RGBA rows with GDAL, from memory. Grey, grey+alpha,
/// palette, RGB and RGBA images are expanded to four bands (alpha 255 where the image has none).
void decode_rgba(const std::string& bytes, std::vector<std::uint8_t>& out, int& width, int& height) {
    static std::once_flag registered;
    std::call_once(registered, [] { GDALAllRegister(); });
    static std::atomic<std::uint64_t> counter{0};
    const std::string path = fmt::format("/vsimem/geoplex-python/tile-{}", counter.fetch_add(1));
    VSILFILE* file = VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                                          static_cast<vsi_l_offset>(bytes.size()), FALSE);
    if (file == nullptr) throw DependencyError("GDAL: cannot map the tile in /vsimem/");
    VSIFCloseL(file);
    struct Cleanup {
        const std::string& path;
        GDALDatasetH ds = nullptr;
        ~Cleanup() {
            if (ds != nullptr) GDALClose(ds);
            VSIUnlink(path.c_str());
        }
    } cleanup{path};
    const char* const drivers[] = {"PNG", "JPEG", "WEBP", nullptr};
    CPLErrorReset();
    cleanup.ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, drivers, nullptr, nullptr);
    if (cleanup.ds == nullptr)
        throw DependencyError(fmt::format("GDAL cannot decode the tile image: {}", CPLGetLastErrorMsg()));
    GDALDatasetH ds = cleanup.ds;
    width = GDALGetRasterXSize(ds);
    height = GDALGetRasterYSize(ds);
    const int bands = GDALGetRasterCount(ds);
    const auto pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    out.assign(pixels * 4, 255);
    GDALColorTableH palette = bands == 1 ? GDALGetRasterColorTable(GDALGetRasterBand(ds, 1)) : nullptr;
    if (palette != nullptr) {
        std::vector<std::uint8_t> index(pixels);
        if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, width, height, index.data(), width, height, GDT_Byte,
                         0, 0) != CE_None)
            throw DependencyError(fmt::format("GDAL cannot read the tile image: {}", CPLGetLastErrorMsg()));
        const int entries = GDALGetColorEntryCount(palette);
        for (std::size_t i = 0; i < pixels; ++i) {
            const GDALColorEntry* c = index[i] < entries ? GDALGetColorEntry(palette, index[i]) : nullptr;
            if (c == nullptr) continue;
            out[4 * i] = static_cast<std::uint8_t>(c->c1);
            out[4 * i + 1] = static_cast<std::uint8_t>(c->c2);
            out[4 * i + 2] = static_cast<std::uint8_t>(c->c3);
            out[4 * i + 3] = static_cast<std::uint8_t>(c->c4);
        }
        return;
    }
    // Which source band feeds R, G, B (and A): grey is copied to the three colour channels.
    std::vector<int> band_map;
    switch (bands) {
        case 1:
            band_map = {1, 1, 1};
            break;
        case 2:
            band_map = {1, 1, 1, 2};
            break;
        case 3:
            band_map = {1, 2, 3};
            break;
        case 4:
            band_map = {1, 2, 3, 4};
            break;
        default:
            throw DependencyError(fmt::format("the tile image has {} bands; 1 to 4 are expected", bands));
    }
    if (GDALDatasetRasterIO(ds, GF_Read, 0, 0, width, height, out.data(), width, height, GDT_Byte,
                            static_cast<int>(band_map.size()), band_map.data(), 4, 4 * width, 1) != CE_None)
        throw DependencyError(fmt::format("GDAL cannot read the tile image: {}", CPLGetLastErrorMsg()));
}

py::dict layer_dict(const tiles::LayerInfo& l) {
    py::dict d;
    d["id"] = l.id;
    d["title"] = l.title;
    d["description"] = l.description;
    d["kind"] = l.is_vector ? "vector" : "raster";
    d["format"] = std::string(tiles::to_string(l.format));
    py::list formats;
    for (const auto f : l.formats) formats.append(std::string(tiles::to_string(f)));
    d["formats"] = formats;
    d["tile_matrix_set"] = l.tile_matrix_set;
    d["min_zoom"] = l.min_zoom;
    d["max_zoom"] = l.max_zoom;
    d["bounds"] = bbox_tuple(l.bounds);
    d["native_bounds"] = bbox_tuple(l.native_bounds);
    d["fields"] = py::cast(l.fields);
    d["geometry_type"] = l.geometry_type;
    d["pyramid"] = l.pyramid.empty() ? py::object(py::none()) : py::object(py::str(l.pyramid));
    return d;
}

py::dict tile_matrix_set_dict(const tiles::TileMatrixSet& t) {
    py::dict d;
    d["id"] = t.id;
    d["title"] = t.title;
    d["crs"] = t.crs;
    d["well_known_scale_set"] = t.well_known_scale_set;
    d["levels"] = t.levels();
    d["web_mercator_quad"] = t.is_web_mercator_quad();
    return d;
}

struct Rendered {
    const tiles::LayerInfo* layer;
    TileAddress address;
    tiles::Tile tile;
};

Rendered render_tile(const tiles::Tileset& set, const std::string& layer, long long z, long long x, long long y,
                     const std::optional<std::string>& format) {
    Rendered r{&layer_info(set, layer), tile_address(z, x, y), {}};
    const auto f = format_argument(format);
    py::gil_scoped_release release;
    r.tile = set.render(layer, r.address.z, r.address.x, r.address.y, f);
    return r;
}

// ---- layer configs from dicts (Tileset.from_layers) ------------------------------------------------

/// Reads the keys of one layer dict into a config, naming `where` ("raster[0]") in every message;
/// finish() refuses keys nobody read (a typo must not be silently ignored).
class DictReader {
public:
    DictReader(const py::handle& value, std::string where) : m_where(std::move(where)) {
        if (!py::isinstance<py::dict>(value))
            throw InvalidArgument(fmt::format("{} must be a dict, not {}", m_where, type_name(value)));
        m_dict = py::reinterpret_borrow<py::dict>(value);
    }

    template <class T>
    void read(const char* key, T& into, const char* expected) {
        if (!m_dict.contains(key)) return;
        m_seen.emplace_back(key);
        const py::object v = m_dict[key];
        if constexpr (std::is_arithmetic_v<T>) {
            const bool number = (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) &&
                                !py::isinstance<py::bool_>(v);
            if (!number || (std::is_integral_v<T> && !py::isinstance<py::int_>(v)))
                throw InvalidArgument(fmt::format("{}.{} must be {}, not {}", m_where, key, expected, type_name(v)));
        }
        try {
            into = v.cast<T>();
        } catch (const py::cast_error&) {
            throw InvalidArgument(fmt::format("{}.{} must be {}, not {}", m_where, key, expected, type_name(v)));
        }
    }

    template <class Enum, class Parse>
    void read_enum(const char* key, Enum& into, Parse parse, const char* allowed) {
        std::string text;
        read(key, text, "a str");
        if (text.empty()) return;
        const auto parsed = parse(text);
        if (!parsed) throw InvalidArgument(fmt::format("{}.{} must be {}, not '{}'", m_where, key, allowed, text));
        into = *parsed;
    }

    void finish() const {
        for (const auto& [key, value] : m_dict) {
            const auto name = py::str(key).cast<std::string>();
            if (std::find(m_seen.begin(), m_seen.end(), name) == m_seen.end())
                throw InvalidArgument(fmt::format("{}: unknown key '{}'", m_where, name));
        }
    }

    [[nodiscard]] const std::string& where() const noexcept { return m_where; }

private:
    std::string m_where;
    py::dict m_dict;
    std::vector<std::string> m_seen;
};

// The keys every layer kind has: id, title, description, path.
template <class LayerConfig>
void read_identity(DictReader& d, LayerConfig& c) {
    std::string path;
    d.read("id", c.id, "a str");
    d.read("title", c.title, "a str");
    d.read("description", c.description, "a str");
    d.read("path", path, "a str");
    c.path = path;
}

tiles::RasterLayerConfig raster_config(const py::handle& value, std::size_t i) {
    DictReader d(value, fmt::format("raster[{}]", i));
    tiles::RasterLayerConfig c;
    read_identity(d, c);
    d.read("crs", c.crs, "a str");
    d.read("tile_matrix_set", c.tile_matrix_set, "a str");
    d.read_enum("format", c.format, tiles::parse_format, "'png', 'jpeg' or 'webp'");
    d.read_enum("resampling", c.resampling, tiles::parse_resampling,
                "'nearest', 'bilinear', 'cubic', 'lanczos' or 'average'");
    d.read_enum("style", c.style, tiles::parse_raster_style, "'bands', 'hillshade' or 'color_ramp'");
    std::vector<std::vector<double>> ramp;
    d.read("ramp", ramp, "a list of [value, r, g, b] or [value, r, g, b, a]");
    for (const auto& stop : ramp) {
        if (stop.size() != 4 && stop.size() != 5)
            throw InvalidArgument(fmt::format("{}.ramp: each stop is [value, r, g, b] or [value, r, g, b, a]", d.where()));
        const auto channel = [&](double v) {
            if (!(v >= 0 && v <= 255)) throw InvalidArgument(fmt::format("{}.ramp: colours are 0..255", d.where()));
            return static_cast<std::uint8_t>(v);
        };
        c.ramp.push_back({stop[0], channel(stop[1]), channel(stop[2]), channel(stop[3]),
                          stop.size() == 5 ? channel(stop[4]) : std::uint8_t{255}});
    }
    d.read("azimuth", c.azimuth, "a number");
    d.read("altitude", c.altitude, "a number");
    d.read("z_factor", c.z_factor, "a number");
    d.read("min_zoom", c.min_zoom, "an int");
    d.read("max_zoom", c.max_zoom, "an int");
    d.read("quality", c.quality, "an int");
    d.finish();
    return c;
}

tiles::VectorLayerConfig vector_config(const py::handle& value, std::size_t i) {
    DictReader d(value, fmt::format("vector[{}]", i));
    tiles::VectorLayerConfig c;
    read_identity(d, c);
    d.read("source_layer", c.source_layer, "a str");
    d.read("crs", c.crs, "a str");
    d.read("tile_matrix_set", c.tile_matrix_set, "a str");
    d.read("fields", c.fields, "a list of str");
    d.read("min_zoom", c.min_zoom, "an int");
    d.read("max_zoom", c.max_zoom, "an int");
    d.read("extent", c.extent, "an int");
    d.read("buffer", c.buffer, "an int");
    d.read("simplify", c.simplify, "a number");
    d.read("max_features", c.max_features, "an int");
    d.read("max_tile_bytes", c.max_tile_bytes, "an int");
    d.finish();
    return c;
}

template <class F>
void for_each_layer(const py::object& layers, const char* name, F&& f) {
    if (layers.is_none()) return;
    if (py::isinstance<py::dict>(layers) || py::isinstance<py::str>(layers) || !py::isinstance<py::sequence>(layers))
        throw InvalidArgument(fmt::format("{} must be a list of dicts, not {}", name, type_name(layers)));
    std::size_t i = 0;
    for (const py::handle item : layers) f(item, i++);
}

constexpr const char* tile_args_doc =
    "    layer: layer id (see layers()).\n"
    "    z, x, y: zoom level, column and row counted from the top (XYZ/WMTS order) in the layer's\n"
    "        tile matrix set.\n"
    "    format: 'png', 'jpeg', 'webp' or 'pbf' (a MIME type works too); None = the layer's format.\n";

}  // namespace

py::object tiles_object(const bundle::Engine& engine) {
    return py::cast(tiles::Tileset(engine.tiles()));
}

void bind_tiles(py::module_& m) {
    py::class_<PyTile>(m, "Tile", "A rendered tile (result of Tileset.tile()).")
        .def_readonly("layer", &PyTile::layer, "Layer id.")
        .def_readonly("z", &PyTile::z, "Zoom level.")
        .def_readonly("x", &PyTile::x, "Column.")
        .def_readonly("y", &PyTile::y, "Row, from the top.")
        .def_readonly("status", &PyTile::status,
                      "'ok' (data holds the tile), 'empty' (no data there: HTTP 204) or 'out_of_range' (outside\n"
                      "the set, the zoom range or the layer's extent: HTTP 404).")
        .def_readonly("format", &PyTile::format, "'png', 'jpeg', 'webp' or 'pbf'.")
        .def_readonly("mime_type", &PyTile::mime_type, "'image/png', …, 'application/x-protobuf'.")
        .def_readonly("data", &PyTile::data, "The encoded tile as served over HTTP (bytes; b'' unless ok).")
        .def_readonly("gzipped", &PyTile::gzipped,
                      "True when data is gzip-compressed (vector tiles, as MapLibre and the Géoplateforme expect).")
        .def("__len__", [](const PyTile& t) { return py::len(t.data); }, "Size of data in bytes.")
        .def("__repr__", [](const PyTile& t) {
            return fmt::format("Tile(layer='{}', z={}, x={}, y={}, status='{}', format='{}', bytes={})", t.layer, t.z,
                               t.x, t.y, t.status, t.format, py::len(t.data));
        });

    py::class_<tiles::Tileset>(m, "Tileset",
                               "The tiles component of a bundle: raster (PNG/JPEG/WebP) and vector (MVT) layers,\n"
                               "rendered on the fly or read from pyramids. Immutable and thread-safe; rendering\n"
                               "releases the GIL. Get it from Engine.tiles or Tileset.open(path).")
        .def_static(
            "open",
            [](const std::filesystem::path& path, std::size_t cache_bytes) {
                tiles::OpenOptions options;
                options.cache_bytes = cache_bytes;
                py::gil_scoped_release release;
                return tiles::Tileset::open(path, options);
            },
            py::arg("path"), py::arg("cache_bytes") = std::size_t{128} << 20U,
            "Opens a bundle's tiles/ folder alone; `cache_bytes` is the budget of the rendered-tile cache\n"
            "(0 = none).\n\n"
            "Raises:\n"
            "    IoError, FormatError: layers.json or a pyramid is missing or corrupt.")
        .def_static(
            "from_layers",
            [](const py::object& raster, const py::object& vector, std::size_t cache_bytes) {
                tiles::BuildConfig config;
                for_each_layer(raster, "raster",
                               [&](const py::handle& d, std::size_t i) { config.raster_layers.push_back(raster_config(d, i)); });
                for_each_layer(vector, "vector",
                               [&](const py::handle& d, std::size_t i) { config.vector_layers.push_back(vector_config(d, i)); });
                if (config.raster_layers.empty() && config.vector_layers.empty())
                    throw InvalidArgument("from_layers needs at least one raster or vector layer");
                tiles::OpenOptions options;
                options.cache_bytes = cache_bytes;
                py::gil_scoped_release release;
                return tiles::Tileset::from_config(config, options);
            },
            py::arg("raster") = py::none(), py::arg("vector") = py::none(),
            py::arg("cache_bytes") = std::size_t{128} << 20U,
            "A Tileset straight from source files, without a bundle (e.g. to look at a GeoTIFF from a\n"
            "notebook). Each layer is a dict with the keys of a bundle spec's [[tiles.raster]] /\n"
            "[[tiles.vector]] tables (docs/tiles.md):\n"
            "    raster: id, path (anything GDAL opens), and optionally title, description, crs,\n"
            "        tile_matrix_set ('PM', 'LAMB93', 'WGS84G' or a TileMatrixSet JSON path), format, resampling,\n"
            "        style ('bands', 'hillshade', 'color_ramp'), ramp ([[value, r, g, b(, a)], …]), azimuth,\n"
            "        altitude, z_factor, min_zoom, max_zoom, quality.\n"
            "    vector: id, path (any OGR dataset), and optionally title, description, source_layer, crs,\n"
            "        tile_matrix_set, fields, min_zoom, max_zoom, extent, buffer, simplify, max_features,\n"
            "        max_tile_bytes.\n"
            "Relative paths are relative to the current directory. The sources are opened now.\n\n"
            "Raises:\n"
            "    InvalidArgument: an unknown key, a value of the wrong type, or what the layer checks find.\n"
            "    IoError, DependencyError: a source cannot be opened.")
        .def(
            "layers",
            [](const tiles::Tileset& self) {
                py::list out;
                for (const auto& l : self.layers()) out.append(layer_dict(l));
                return out;
            },
            "The layers, as dicts: id, title, description, kind ('raster' or 'vector'), format (default\n"
            "one), formats (all it can be served in), tile_matrix_set (id), min_zoom, max_zoom, bounds\n"
            "(WGS84), native_bounds (in the set's CRS), fields and geometry_type (vector), pyramid (file\n"
            "name, None when rendered on the fly).")
        .def(
            "layer", [](const tiles::Tileset& self, const std::string& id) { return layer_dict(layer_info(self, id)); },
            py::arg("id"), "One layer's dict (see layers()). Raises NotFound for an unknown id.")
        .def(
            "tile_matrix_sets",
            [](const tiles::Tileset& self) {
                py::list out;
                for (const auto& t : self.tile_matrix_sets()) out.append(tile_matrix_set_dict(t));
                return out;
            },
            "The tile matrix sets used by the layers, as dicts: id, title, crs, well_known_scale_set,\n"
            "levels, web_mercator_quad (True when XYZ clients can use it directly).")
        .def(
            "tile_matrix_set",
            [](const tiles::Tileset& self, const std::string& id) {
                const auto* t = self.find_tile_matrix_set(id);
                if (t == nullptr) throw Error(errc::not_found, fmt::format("unknown tile matrix set '{}'", id));
                return py::module_::import("json").attr("loads")(t->to_json());
            },
            py::arg("id"), "The set as an OGC TileMatrixSet 2.0 document (dict). Raises NotFound for an unknown id.")
        .def(
            "tile_bounds",
            [](const tiles::Tileset& self, const std::string& layer, long long z, long long x, long long y) {
                const auto& info = layer_info(self, layer);
                const auto t = tile_address(z, x, y);
                const auto& matrix = tile_matrix(self, info, t.z);
                if (!matrix.contains(t.x, t.y)) throw_out_of_range(info, t);
                return bbox_tuple(matrix.tile_bounds(t.x, t.y));
            },
            py::arg("layer"), py::arg("z"), py::arg("x"), py::arg("y"),
            "(min_x, min_y, max_x, max_y) of a tile in the CRS of the layer's tile matrix set (metres for\n"
            "PM = EPSG:3857).")
        .def(
            "tile",
            [](const tiles::Tileset& self, const std::string& layer, long long z, long long x, long long y,
               const std::optional<std::string>& format) {
                Rendered r = render_tile(self, layer, z, x, y, format);
                PyTile t;
                t.layer = layer;
                t.z = r.address.z;
                t.x = r.address.x;
                t.y = r.address.y;
                t.status = std::string(status_name(r.tile.status));
                t.format = std::string(tiles::to_string(r.tile.format));
                t.mime_type = std::string(tiles::mime_type(r.tile.format));
                t.data = py::bytes(r.tile.bytes);
                t.gzipped = r.tile.gzipped;
                return t;
            },
            py::arg("layer"), py::arg("z"), py::arg("x"), py::arg("y"), py::arg("format") = py::none(),
            (std::string("Renders one tile as the server would send it (never raises for a missing tile: see\n"
                         "Tile.status).\n\nArgs:\n") +
             tile_args_doc)
                .c_str())
        .def(
            "render",
            [](const tiles::Tileset& self, const std::string& layer, long long z, long long x, long long y,
               const std::optional<std::string>& format) {
                Rendered r = render_tile(self, layer, z, x, y, format);
                if (r.tile.status == tiles::TileStatus::out_of_range) throw_out_of_range(*r.layer, r.address);
                if (r.tile.gzipped) {
                    py::gil_scoped_release release;
                    r.tile.bytes = gunzip(r.tile.bytes);
                }
                return py::bytes(r.tile.bytes);
            },
            py::arg("layer"), py::arg("z"), py::arg("x"), py::arg("y"), py::arg("format") = py::none(),
            (std::string("Renders one tile to its encoded bytes: a PNG/JPEG/WebP image, or an uncompressed\n"
                         "Mapbox Vector Tile (protobuf) for 'pbf'. b'' when the tile is empty (no data there).\n\n"
                         "Args:\n") +
             tile_args_doc +
             "\nRaises:\n"
             "    NotFound: unknown layer, or the tile is outside the set, the zoom range or the data.\n"
             "    InvalidArgument: a format the layer cannot be served in, negative z/x/y.")
                .c_str())
        .def(
            "render_array",
            [](const tiles::Tileset& self, const std::string& layer, long long z, long long x, long long y,
               const std::optional<std::string>& format) {
                const auto& info = layer_info(self, layer);
                if (info.is_vector)
                    throw InvalidArgument(fmt::format(
                        "layer '{}' is a vector layer: render_array() decodes raster tiles; use render() for the "
                        "MVT bytes",
                        layer));
                Rendered r = render_tile(self, layer, z, x, y, format);
                if (r.tile.status == tiles::TileStatus::out_of_range) throw_out_of_range(info, r.address);
                int width = 0, height = 0;
                std::vector<std::uint8_t> rgba;
                if (r.tile.status == tiles::TileStatus::empty) {
                    const auto& matrix = tile_matrix(self, info, r.address.z);
                    width = static_cast<int>(matrix.tile_width);
                    height = static_cast<int>(matrix.tile_height);
                    rgba.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4, 0);
                } else {
                    py::gil_scoped_release release;
                    decode_rgba(r.tile.bytes, rgba, width, height);
                }
                py::array_t<std::uint8_t> out({py::ssize_t{height}, py::ssize_t{width}, py::ssize_t{4}});
                std::memcpy(out.mutable_data(), rgba.data(), rgba.size());
                return out;
            },
            py::arg("layer"), py::arg("z"), py::arg("x"), py::arg("y"), py::arg("format") = py::none(),
            (std::string("Renders a raster tile and decodes it (GDAL): a uint8 array of shape (height, width, 4),\n"
                         "RGBA (alpha 255 where the image has none; grey and palette images expanded). An empty\n"
                         "tile is fully transparent zeros.\n\nArgs:\n") +
             tile_args_doc +
             "\nRaises:\n"
             "    NotFound: as render().  InvalidArgument: a vector layer.")
                .c_str())
        .def("__repr__", [](const tiles::Tileset& self) {
            std::string ids;
            for (const auto& l : self.layers()) ids += fmt::format("{}'{}'", ids.empty() ? "" : ", ", l.id);
            return fmt::format("Tileset(layers=[{}])", ids);
        });
}

}  // namespace geoplex::python
