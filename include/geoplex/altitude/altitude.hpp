#pragma once
// Altitude lookup ("alticodage"): named DEM resources built from GDAL rasters, sampled at
// WGS84 points (nearest or bilinear) and along polylines (elevation profiles).
//
// Phases: BuildConfig → Builder::build(dir) → Altimetry::open(dir) (immutable, thread-safe)
// → Query (one per thread, reusable; holds scratch buffers).
//
// Sampling conventions (see docs/altitude.md): pixel-is-area with GDAL's geotransform, pixel
// (col,row) covers [col,col+1)×[row,row+1) in pixel coordinates, its centre is (col+0.5,row+0.5).
//   nearest : the pixel containing the point, floor(px), floor(py) — what gdallocationinfo reads.
//   bilinear: the 4 pixel centres around the point, indices clamped at the raster border; nodata
//             neighbours are dropped and the weights of the valid ones renormalised.
// A source covers a point when the point lies inside its raster and the containing pixel is
// not nodata; otherwise the next source (lower priority) is tried; no source → resource nodata.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/progress.hpp"
#include "geoplex/core/types.hpp"

namespace geoplex::altitude {

/// The value returned where no source has data (the Géoplateforme's convention).
inline constexpr double default_nodata = -99999.0;
/// Default accuracy text of a source (the Géoplateforme's usual "acc").
inline constexpr std::string_view default_accuracy = "Variable suivant la source de mesure";

enum class Storage : std::uint8_t {
    embed,      ///< copied into the bundle as a Float32 grid, memory-mapped at open (fast path)
    reference,  ///< read through GDAL at query time with a shared cache of decoded blocks
};

enum class Interpolation : std::uint8_t {
    nearest,   ///< value of the containing pixel (equals gdallocationinfo)
    bilinear,  ///< bilinear between the 4 surrounding pixel centres
};

[[nodiscard]] std::string_view to_string(Storage s) noexcept;
[[nodiscard]] std::string_view to_string(Interpolation i) noexcept;

/// One raster feeding a resource.
struct SourceConfig {
    /// Name, unique inside its resource (reported as `source_name` with measures=true).
    std::string name;
    /// Anything GDAL opens: GeoTIFF, COG, SRTM .hgt, VRT mosaic…
    std::filesystem::path path;
    /// CRS to assign when the file has none ("EPSG:2154"); empty = use the file's CRS.
    std::string crs;
    /// Higher priority wins where several sources cover a point.
    int priority = 0;
    /// Human title (`title` with measures=true).
    std::string title;
    /// Accuracy text (`acc` of the responses).
    std::string accuracy = std::string(default_accuracy);
    Storage storage = Storage::embed;
    /// 1-based raster band.
    int band = 1;

    /// Every problem of this config (empty = valid). Does not open the file.
    [[nodiscard]] std::vector<std::string> validate() const;
};

/// A named DEM made of one or more sources in priority order.
struct ResourceConfig {
    /// Identifier used in requests (`resource=`); letters, digits, '_', '-', '.'.
    std::string id;
    std::string title;
    std::string description;
    std::vector<std::string> keywords;
    std::vector<SourceConfig> sources;
    /// Value returned where no source has data.
    double nodata = default_nodata;

    [[nodiscard]] std::vector<std::string> validate() const;
};

struct BuildConfig {
    std::vector<ResourceConfig> resources;

    /// Every problem of the config, prefixed with where it is ("resources[0].sources[1].path: …").
    [[nodiscard]] std::vector<std::string> validate() const;
};

/// Builds the altitude folder of a bundle: `resources.json` plus one `.dem` file per embedded
/// source. Progress is reported as ("altitude: <resource>/<source>", rows done, rows total).
class Builder {
public:
    /// Throws InvalidArgument listing every problem of `config`.
    explicit Builder(BuildConfig config);
    /// Writes into `out_dir` (created if needed). Throws IoError/DependencyError naming the
    /// source when a raster cannot be read, Error(errc::cancelled) when cancelled.
    void build(const std::filesystem::path& out_dir, const core::Callbacks& callbacks = {}) const;
    [[nodiscard]] const BuildConfig& config() const noexcept { return m_config; }

private:
    BuildConfig m_config;
};

/// What an opened resource's source is.
struct SourceInfo {
    std::string name;
    std::string title;
    std::string accuracy;
    int priority = 0;
    Storage storage = Storage::embed;
    std::string crs;                 ///< "EPSG:xxxx" when identified, else WKT
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    double geotransform[6] = {};     ///< GDAL geotransform (pixel-is-area)
    BBox extent;                     ///< WGS84 lon/lat extent (approximate for projected CRSs)
};

struct ResourceInfo {
    std::string id;
    std::string title;
    std::string description;
    std::vector<std::string> keywords;
    double nodata = default_nodata;
    std::vector<SourceInfo> sources;  ///< highest priority first
    BBox extent;                      ///< union of the sources' WGS84 extents
};

struct OpenOptions {
    /// Verify every embedded file's checksum at open (reads every byte).
    bool verify_checksums = false;
    /// Memory budget of the decoded-block cache shared by all `reference` sources.
    std::size_t block_cache_bytes = std::size_t{256} << 20U;
};

/// An opened altitude folder. Immutable and safe to share between threads; cheap to copy
/// (shared handle).
class Altimetry {
public:
    /// Opens `<bundle>/altitude`. Throws IoError/FormatError naming the missing or corrupt file.
    static Altimetry open(const std::filesystem::path& dir, const OpenOptions& options = {});

    [[nodiscard]] const std::vector<ResourceInfo>& resources() const noexcept;
    /// nullptr when unknown.
    [[nodiscard]] const ResourceInfo* find(std::string_view id) const noexcept;
    /// Throws Error(errc::not_found) when unknown.
    [[nodiscard]] const ResourceInfo& resource(std::string_view id) const;

    struct Impl;
    [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

private:
    explicit Altimetry(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

/// An elevation profile.
struct ElevationLine {
    std::vector<LonLat> points;
    std::vector<double> z;           ///< resource nodata where uncovered
    std::vector<std::int32_t> source;///< index into ResourceInfo::sources, -1 = uncovered
    std::vector<double> distances;   ///< geodesic distance from the start, metres
    double positive = 0.0;           ///< sum of climbs between successive covered samples, metres
    double negative = 0.0;           ///< sum of descents (a positive number), metres
};

/// Per-thread query object. Not thread-safe itself; create one per thread. Keeps scratch buffers
/// between calls so batches do not allocate once warm.
class Query {
public:
    explicit Query(const Altimetry& altimetry);
    ~Query();
    Query(Query&&) noexcept;
    Query& operator=(Query&&) noexcept;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    /// Elevations of `points` (WGS84) into `z` (same size). Uncovered points get the
    /// resource's nodata. `source` (optional, same size) receives the index of the source
    /// used (into ResourceInfo::sources) or -1. Unknown resource → Error(errc::not_found);
    /// size mismatch → InvalidArgument.
    void elevations(std::string_view resource, std::span<const LonLat> points, std::span<double> z,
                    Interpolation interpolation = Interpolation::bilinear,
                    std::span<std::int32_t> source = {});
    /// Same with separate longitude and latitude arrays (numpy-friendly).
    void elevations(std::string_view resource, std::span<const double> lon, std::span<const double> lat,
                    std::span<double> z, Interpolation interpolation = Interpolation::bilinear,
                    std::span<std::int32_t> source = {});
    /// Value of every source at every point: `values` is row-major points × sources (sources
    /// in ResourceInfo order); a source that does not cover a point gives the resource nodata.
    void measures(std::string_view resource, std::span<const LonLat> points, std::span<double> values,
                  Interpolation interpolation = Interpolation::bilinear);
    /// `sampling` points (>= 2) equally spaced along the geodesic length of `line` (>= 2
    /// vertices), their elevations and cumulative height differences. With
    /// `include_vertices`, the input vertices are merged into the samples (ordered by distance).
    [[nodiscard]] ElevationLine elevation_line(std::string_view resource, std::span<const LonLat> line,
                                               std::size_t sampling,
                                               Interpolation interpolation = Interpolation::bilinear,
                                               bool include_vertices = false);

    /// The Altimetry this query reads.
    [[nodiscard]] const Altimetry& altimetry() const noexcept;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

/// Sums of climbs and descents along `z`, skipping values equal to `nodata` (and NaN).
struct HeightDifferences {
    double positive = 0.0;
    double negative = 0.0;
};
[[nodiscard]] HeightDifferences height_differences(std::span<const double> z, double nodata = default_nodata);

}  // namespace geoplex::altitude
