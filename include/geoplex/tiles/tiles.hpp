#pragma once
// Map tiles: raster tiles warped from any GDAL raster, vector tiles (MVT 2.1) cut from any GDAL
// vector layer, served on the fly (with an LRU cache) or from pre-generated pyramids
// (PMTiles v3, MBTiles).
//
// Phases: BuildConfig → Builder::build(dir) (layers.json + optional pyramids) →
// Tileset::open(dir) (immutable, thread-safe) → Tileset::render(layer, z, x, y).
// A Tileset can also be made directly from a BuildConfig (Tileset::from_config) without a
// bundle, e.g. to render tiles from a notebook.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/progress.hpp"
#include "geoplex/core/types.hpp"
#include "geoplex/tiles/tile_matrix_set.hpp"

namespace geoplex::tiles {

enum class TileFormat : std::uint8_t { png, jpeg, webp, mvt };

[[nodiscard]] std::string_view to_string(TileFormat f) noexcept;      ///< "png", "jpeg", "webp", "pbf"
[[nodiscard]] std::string_view mime_type(TileFormat f) noexcept;      ///< "image/png", …, "application/x-protobuf"
/// "png", "jpeg"/"jpg", "webp", "pbf"/"mvt", or a MIME type ("image/png"…); nullopt otherwise.
[[nodiscard]] std::optional<TileFormat> parse_format(std::string_view s) noexcept;

enum class Resampling : std::uint8_t { nearest, bilinear, cubic, lanczos, average };
[[nodiscard]] std::string_view to_string(Resampling r) noexcept;
[[nodiscard]] std::optional<Resampling> parse_resampling(std::string_view s) noexcept;

/// How a raster becomes colours.
enum class RasterStyle : std::uint8_t {
    bands,      ///< the raster's own colours: 1 band = grey (or its palette), 3 = RGB, 4 = RGBA
    hillshade,  ///< shaded relief of a DEM (Horn's method), grey with transparency on nodata
    color_ramp, ///< a DEM coloured through `ColorStop`s, linearly interpolated
};
[[nodiscard]] std::string_view to_string(RasterStyle s) noexcept;
[[nodiscard]] std::optional<RasterStyle> parse_raster_style(std::string_view s) noexcept;

struct ColorStop {
    double value = 0.0;
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
};

/// A raster layer: any GDAL raster, warped into the tile matrix set on demand.
struct RasterLayerConfig {
    /// Identifier used in URLs (letters, digits, '_', '-', '.').
    std::string id;
    std::string title;
    std::string description;
    /// Anything GDAL opens (GeoTIFF, COG, VRT, .hgt…).
    std::filesystem::path path;
    /// CRS to assign when the file has none ("EPSG:2154"); empty = the file's.
    std::string crs;
    /// Tile matrix set id (built-in) or a path to an OGC TileMatrixSet JSON file.
    std::string tile_matrix_set = "PM";
    /// Format served when the request does not say (WMTS FORMAT / TMS extension do).
    TileFormat format = TileFormat::png;
    Resampling resampling = Resampling::bilinear;
    RasterStyle style = RasterStyle::bands;
    /// Colour ramp for RasterStyle::color_ramp; empty = a default hypsometric ramp.
    std::vector<ColorStop> ramp;
    /// Hillshade: sun azimuth and altitude (degrees), vertical exaggeration.
    double azimuth = 315.0;
    double altitude = 45.0;
    double z_factor = 1.0;
    /// Zoom range served; max_zoom < 0 = the level whose cell size is just finer than the source's.
    int min_zoom = 0;
    int max_zoom = -1;
    /// JPEG/WebP quality 1..100.
    int quality = 85;

    [[nodiscard]] std::vector<std::string> validate() const;
};

/// A vector layer: any OGR layer cut into MVT tiles on demand.
struct VectorLayerConfig {
    std::string id;
    std::string title;
    std::string description;
    /// GeoJSON, GeoPackage, Shapefile, a PostgreSQL connection string ("PG:…")…
    std::filesystem::path path;
    /// OGR layer name inside the dataset; empty = the first layer.
    std::string source_layer;
    /// CRS to assign when the layer has none; empty = the layer's.
    std::string crs;
    std::string tile_matrix_set = "PM";
    /// Attributes kept in the tiles; empty = all.
    std::vector<std::string> fields;
    int min_zoom = 0;
    int max_zoom = 14;
    /// MVT extent (coordinate units per tile side).
    std::uint32_t extent = 4096;
    /// Clip buffer around the tile, in extent units.
    std::uint32_t buffer = 64;
    /// Douglas–Peucker tolerance, in extent units (applied in tile space, so per zoom).
    double simplify = 4.0;
    /// At most this many features per tile (the first ones in source order are kept).
    std::size_t max_features = 200'000;
    /// Tiles larger than this (uncompressed) are re-simplified with a doubled tolerance,
    /// up to 4 times, then truncated to the features that fit.
    std::size_t max_tile_bytes = 2'000'000;

    [[nodiscard]] std::vector<std::string> validate() const;
};

/// pmtiles: PMTiles v3 (WebMercatorQuad layers only, as PMTiles addresses tiles);
/// mbtiles: MBTiles 1.3 (any set: other sets flip rows by their matrix heights and record the set);
/// directory: {z}/{x}/{y}.{ext} files + metadata.json, for any set (a static web server serves them).
enum class PyramidContainer : std::uint8_t { pmtiles, mbtiles, directory };

/// A pre-generated pyramid of one layer, written by the builder into the bundle.
struct PyramidConfig {
    std::string layer;               ///< a raster or vector layer id
    PyramidContainer container = PyramidContainer::pmtiles;
    int min_zoom = 0;
    int max_zoom = -1;               ///< -1 = the layer's max zoom
    /// Tile format; nullopt = the layer's (mvt for vector layers).
    std::optional<TileFormat> format;
    /// Limit to this WGS84 box; empty = the layer's extent.
    BBox bbox;
};

struct BuildConfig {
    std::vector<RasterLayerConfig> raster_layers;
    std::vector<VectorLayerConfig> vector_layers;
    std::vector<PyramidConfig> pyramids;
    /// Worker threads for pyramids (0 = hardware concurrency).
    unsigned threads = 0;

    /// Every problem, prefixed with where it is ("vector_layers[1].extent: …"). Does not open files.
    [[nodiscard]] std::vector<std::string> validate() const;
};

/// What a layer is, for capabilities documents and TileJSON.
struct LayerInfo {
    std::string id;
    std::string title;
    std::string description;
    bool is_vector = false;
    TileFormat format = TileFormat::png;
    std::vector<TileFormat> formats;     ///< formats it can be served in
    std::string tile_matrix_set;         ///< id of its set
    int min_zoom = 0;
    int max_zoom = 0;
    BBox bounds;                         ///< WGS84 lon/lat extent of the data
    BBox native_bounds;                  ///< extent in the set's CRS
    std::vector<std::string> fields;     ///< vector: attribute names in the tiles
    std::string geometry_type;           ///< vector: "Point", "LineString", "Polygon" (or "Unknown")
    /// Pre-generated pyramid serving this layer ("" = rendered on the fly).
    std::string pyramid;
};

/// Where a tile request stands.
enum class TileStatus : std::uint8_t {
    ok,            ///< data in `bytes`
    empty,         ///< inside the set and zoom range but no data there (HTTP 204 / transparent)
    out_of_range,  ///< outside the set, the zoom range or the layer's extent (HTTP 404)
};

struct Tile {
    TileStatus status = TileStatus::out_of_range;
    TileFormat format = TileFormat::png;
    /// Encoded tile; for mvt gzip-compressed when `gzipped`.
    std::string bytes;
    bool gzipped = false;
};

struct OpenOptions {
    /// Memory budget of the cache of rendered tiles (on-the-fly layers), 0 = no cache.
    std::size_t cache_bytes = std::size_t{128} << 20U;
    /// Compress rendered vector tiles with gzip (what MapLibre and the Géoplateforme expect).
    bool gzip_vector_tiles = true;
};

/// The tiles of a bundle (or of a config): immutable, thread-safe, cheap to copy.
class Tileset {
public:
    /// Opens `<bundle>/tiles` (layers.json + pyramids). Sources of on-the-fly layers are opened
    /// lazily. Throws IoError/FormatError naming the file.
    static Tileset open(const std::filesystem::path& dir, const OpenOptions& options = {});
    /// Straight from a config (sources opened now, no pyramids). Throws InvalidArgument /
    /// IoError.
    static Tileset from_config(const BuildConfig& config, const OpenOptions& options = {});

    [[nodiscard]] const std::vector<LayerInfo>& layers() const noexcept;
    [[nodiscard]] const LayerInfo* find(std::string_view id) const noexcept;
    /// The sets used by the layers, by id.
    [[nodiscard]] const std::vector<TileMatrixSet>& tile_matrix_sets() const noexcept;
    [[nodiscard]] const TileMatrixSet* find_tile_matrix_set(std::string_view id) const noexcept;

    /// The source definition of an on-the-fly or pyramid layer (what other services, e.g. WMS/WFS,
    /// read the same data from); nullptr when `id` is not a layer of that kind.
    [[nodiscard]] const RasterLayerConfig* raster_config(std::string_view id) const noexcept;
    [[nodiscard]] const VectorLayerConfig* vector_config(std::string_view id) const noexcept;

    /// Tile (z, x = column, y = row from the top) of `layer` in `format` (nullopt = the layer's).
    /// Unknown layer → Error(not_found); unsupported format for the layer → InvalidArgument.
    [[nodiscard]] Tile render(std::string_view layer, std::uint32_t z, std::uint64_t x, std::uint64_t y,
                              std::optional<TileFormat> format = std::nullopt) const;

    struct Impl;
    [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

private:
    explicit Tileset(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

/// Writes a pyramid of `layer` from `tileset` to `output` (PMTiles v3, MBTiles 1.3 or a directory) using
/// `threads` workers (0 = hardware concurrency). Progress: ("tiles: <layer> z<z>", tiles done,
/// total). Returns the number of tiles written (empty tiles are skipped).
std::uint64_t write_pyramid(const Tileset& tileset, const PyramidConfig& pyramid, const std::filesystem::path& output,
                            unsigned threads = 0, const core::Callbacks& callbacks = {});

/// Builds the tiles folder of a bundle: `layers.json` (layer definitions for on-the-fly
/// rendering, with absolute source paths) and `<layer>.pmtiles|.mbtiles` for each pyramid.
class Builder {
public:
    /// Throws InvalidArgument listing every problem of `config`.
    explicit Builder(BuildConfig config);
    void build(const std::filesystem::path& out_dir, const core::Callbacks& callbacks = {}) const;
    [[nodiscard]] const BuildConfig& config() const noexcept { return m_config; }

private:
    BuildConfig m_config;
};

/// PMTiles v3 Hilbert tile id of (z, x, y) (y from the top), as in the PMTiles v3 specification.
[[nodiscard]] std::uint64_t pmtiles_tile_id(std::uint32_t z, std::uint64_t x, std::uint64_t y);

}  // namespace geoplex::tiles
