#pragma once
// Internals of the tiles component: sources (GDAL behind RAII), encoders, containers.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/tiles/tiles.hpp"

namespace geoplex::tiles::detail {

// ---- vector -------------------------------------------------------------------------------

/// An OGR layer loaded into memory in the set's CRS, with an R-tree over feature boxes.
class VectorSource {
public:
    VectorSource(const VectorLayerConfig& config, const TileMatrixSet& tms);
    ~VectorSource();
    VectorSource(const VectorSource&) = delete;
    VectorSource& operator=(const VectorSource&) = delete;

    /// The MVT tile (uncompressed protobuf); empty string when no feature touches it.
    [[nodiscard]] std::string encode_tile(std::uint32_t z, std::uint64_t x, std::uint64_t y) const;
    [[nodiscard]] const BBox& native_bounds() const noexcept;
    [[nodiscard]] BBox wgs84_bounds() const;
    [[nodiscard]] const std::vector<std::string>& fields() const noexcept;
    [[nodiscard]] std::string geometry_type() const;
    [[nodiscard]] std::size_t feature_count() const noexcept;

    struct Data;

private:
    VectorLayerConfig m_config;
    const TileMatrixSet* m_tms;
    std::unique_ptr<Data> m_data;
};

// ---- raster -------------------------------------------------------------------------------

/// 8-bit RGBA pixels, row-major, top row first.
struct Image {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<std::uint8_t> rgba;
    [[nodiscard]] bool fully_transparent() const;
    [[nodiscard]] bool fully_opaque() const;
};

/// A GDAL raster warped into the set's grid on demand. Thread-safe: each call borrows a dataset
/// handle from a small pool (GDAL handles are not thread-safe).
class RasterSource {
public:
    RasterSource(const RasterLayerConfig& config, const TileMatrixSet& tms);
    ~RasterSource();
    RasterSource(const RasterSource&) = delete;
    RasterSource& operator=(const RasterSource&) = delete;

    /// nullopt when the tile does not touch the raster or is entirely nodata.
    [[nodiscard]] std::optional<Image> render(std::uint32_t z, std::uint64_t x, std::uint64_t y) const;
    /// The w×h image of `bbox` in any CRS PROJ knows (`crs` in GIS axis order: x east), for WMS
    /// GetMap; nullopt when nothing of the raster is there. Unknown CRS → InvalidArgument.
    [[nodiscard]] std::optional<Image> render_area(const std::string& crs, const BBox& bbox, std::uint32_t width,
                                                   std::uint32_t height) const;
    /// The source's band values at (x, y) of `crs` (GIS order); nullopt outside or on nodata.
    [[nodiscard]] std::optional<std::vector<double>> sample(const std::string& crs, double x, double y) const;
    [[nodiscard]] const BBox& native_bounds() const noexcept;
    [[nodiscard]] const BBox& wgs84_bounds() const noexcept;
    /// The level whose cell size is the finest not finer than the source's (for max_zoom).
    [[nodiscard]] int native_zoom() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

// ---- encoding -----------------------------------------------------------------------------

[[nodiscard]] std::string encode_image(const Image& image, TileFormat format, int quality);
[[nodiscard]] std::string gzip_compress(std::string_view data, int level = 6);
[[nodiscard]] std::string gzip_decompress(std::string_view data);
[[nodiscard]] bool is_gzip(std::string_view data) noexcept;

// ---- containers ---------------------------------------------------------------------------

struct TileRecord {
    std::uint32_t z = 0;
    std::uint64_t x = 0;
    std::uint64_t y = 0;  ///< row from the top
    std::string bytes;    ///< as stored (gzip for mvt)
};

struct PyramidMetadata {
    std::string name;
    std::string description;
    TileFormat format = TileFormat::png;
    bool gzipped = false;
    int min_zoom = 0;
    int max_zoom = 0;
    BBox bounds;               ///< WGS84
    std::string vector_layers; ///< TileJSON vector_layers JSON array (mvt), may be empty
};

/// Writes tiles in any order; finish() sorts and writes the file.
class PyramidWriter {
public:
    virtual ~PyramidWriter() = default;
    virtual void add(TileRecord tile) = 0;
    virtual void finish(const PyramidMetadata& meta) = 0;
};
[[nodiscard]] std::unique_ptr<PyramidWriter> make_pmtiles_writer(const std::filesystem::path& path);
/// MBTiles; a set other than WebMercatorQuad (`tms`) flips rows by its own matrix heights and is
/// recorded in the metadata table (`tile_matrix_set`, OGC 2.0 JSON).
[[nodiscard]] std::unique_ptr<PyramidWriter> make_mbtiles_writer(const std::filesystem::path& path,
                                                                 const TileMatrixSet* tms = nullptr);
/// {z}/{x}/{y}.{ext} files + metadata.json (with the set's OGC JSON when `tms` is given).
[[nodiscard]] std::unique_ptr<PyramidWriter> make_directory_writer(const std::filesystem::path& dir, TileFormat format,
                                                                   const TileMatrixSet* tms = nullptr);

/// Read access to a pyramid file, thread-safe.
class PyramidReader {
public:
    virtual ~PyramidReader() = default;
    /// Stored bytes, or nullopt when the pyramid has no such tile.
    [[nodiscard]] virtual std::optional<std::string> get(std::uint32_t z, std::uint64_t x, std::uint64_t y) const = 0;
    [[nodiscard]] virtual const PyramidMetadata& metadata() const noexcept = 0;
};
/// PMTiles, MBTiles (by extension) or a directory written by make_directory_writer.
[[nodiscard]] std::unique_ptr<PyramidReader> open_pyramid(const std::filesystem::path& path);

// ---- shared helpers -----------------------------------------------------------------------

/// The set named by `name` (built-in) or read from a JSON file.
[[nodiscard]] TileMatrixSet resolve_tile_matrix_set(const std::string& name);
/// GDAL initialisation (drivers registered once; quiet error handler). Thread-safe.
void ensure_gdal();
/// A new OGR transformation from WGS84 longitude/latitude to `crs` (both in GIS axis order), or
/// nullptr; the caller destroys it (OCTDestroyCoordinateTransformation).
[[nodiscard]] void* wgs84_to(const std::string& crs);

}  // namespace geoplex::tiles::detail
