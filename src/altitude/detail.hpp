#pragma once
// Private pieces of the altitude component: GDAL RAII, the embedded DEM file format, the
// decoded-block cache of `reference` sources and the runtime form of an opened resource.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/core/crs.hpp"
#include "geoplex/core/file_format.hpp"

namespace geoplex::altitude::detail {

// ---- GDAL -------------------------------------------------------------------------------------

/// Registers GDAL drivers once (thread-safe).
void gdal_init();
/// The last GDAL error message, or `fallback`.
[[nodiscard]] std::string gdal_last_error(const char* fallback = "unknown GDAL error");

/// Owning GDALDatasetH (void* so that this header does not need gdal.h).
class Dataset {
public:
    Dataset() = default;
    /// Opens read-only; throws IoError naming the file.
    explicit Dataset(const std::filesystem::path& path);
    ~Dataset();
    Dataset(Dataset&& o) noexcept : m_handle(o.m_handle) { o.m_handle = nullptr; }
    Dataset& operator=(Dataset&& o) noexcept;
    Dataset(const Dataset&) = delete;
    Dataset& operator=(const Dataset&) = delete;
    [[nodiscard]] void* handle() const noexcept { return m_handle; }

private:
    void* m_handle = nullptr;
};

// ---- the embedded grid file -------------------------------------------------------------------

inline constexpr std::string_view dem_magic = "GPXDEM";
inline constexpr std::uint32_t dem_version = 1;

/// Fixed part of the payload of a `.dem` file (little-endian, follows the 64-byte header).
struct DemHeader {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::uint32_t flags = 0;       ///< bit 0: CRS is WGS84 lon/lat (no PROJ needed)
    std::uint32_t crs_size = 0;    ///< bytes of the CRS text that follows this struct
    double geotransform[6] = {};
    std::uint64_t grid_offset = 0; ///< payload offset of the Float32 grid (64-byte aligned)
    std::uint64_t reserved = 0;
};
static_assert(sizeof(DemHeader) == 80);
inline constexpr std::uint32_t dem_flag_lonlat = 1U;

/// Sampling geometry of one raster.
struct Grid {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::array<double, 6> gt{};
    std::array<double, 6> inv{};  ///< GDALInvGeoTransform's result (same formula, same bits)
};
/// GDALInvGeoTransform reimplemented bit for bit; false when not invertible.
bool invert_geotransform(const std::array<double, 6>& gt, std::array<double, 6>& inv);

// ---- reference sources ------------------------------------------------------------------------

/// A decoded block: Float32 with NaN for nodata, `w`×`h` (clipped at the raster edge).
struct Block {
    std::uint32_t w = 0;
    std::uint32_t h = 0;
    std::vector<float> values;
};
using BlockPtr = std::shared_ptr<const Block>;

/// Thread-safe sharded LRU of decoded blocks, bounded in bytes.
class BlockCache {
public:
    explicit BlockCache(std::size_t capacity_bytes);
    /// The cached block, or nullptr.
    [[nodiscard]] BlockPtr get(std::uint64_t key);
    /// Inserts (or returns the block another thread inserted first).
    BlockPtr put(std::uint64_t key, BlockPtr block);

private:
    static constexpr std::size_t shard_count = 16;
    struct Shard {
        std::mutex mutex;
        std::list<std::pair<std::uint64_t, BlockPtr>> lru;  // front = most recent
        std::unordered_map<std::uint64_t, std::list<std::pair<std::uint64_t, BlockPtr>>::iterator> index;
        std::size_t bytes = 0;
    };
    Shard& shard(std::uint64_t key) { return m_shards[(key * 0x9E3779B97F4A7C15ULL) >> 60U]; }
    std::array<Shard, shard_count> m_shards;
    std::size_t m_shard_capacity;
};

/// A raster read through GDAL at query time. GDAL datasets are not thread-safe: each reader
/// borrows a handle from a pool (one per concurrent thread at most).
class ReferenceRaster {
public:
    ReferenceRaster(std::filesystem::path path, int band, std::uint32_t uid, BlockCache& cache);
    ~ReferenceRaster();
    [[nodiscard]] std::uint32_t width() const noexcept { return m_width; }
    [[nodiscard]] std::uint32_t height() const noexcept { return m_height; }
    [[nodiscard]] std::uint32_t block_w() const noexcept { return m_block_w; }
    [[nodiscard]] std::uint32_t block_h() const noexcept { return m_block_h; }
    [[nodiscard]] std::uint32_t uid() const noexcept { return m_uid; }
    [[nodiscard]] std::array<double, 6> geotransform() const noexcept { return m_gt; }
    /// Block (bx, by), from the shared cache or decoded now.
    [[nodiscard]] BlockPtr block(std::uint32_t bx, std::uint32_t by) const;

private:
    [[nodiscard]] BlockPtr read_block(std::uint32_t bx, std::uint32_t by) const;
    std::filesystem::path m_path;
    int m_band;
    std::uint32_t m_uid;
    BlockCache& m_cache;
    std::uint32_t m_width = 0, m_height = 0, m_block_w = 0, m_block_h = 0;
    std::array<double, 6> m_gt{};
    bool m_has_nodata = false;
    double m_nodata = 0.0;
    mutable std::mutex m_pool_mutex;
    mutable std::vector<Dataset> m_pool;
};

// ---- runtime ------------------------------------------------------------------------------------

struct SourceRuntime {
    Grid grid;
    bool lonlat = false;                              ///< no CRS transform needed
    std::unique_ptr<core::CrsTransform> to_source;    ///< EPSG:4326 → source CRS (when !lonlat)
    core::IndexFile file;                             ///< embed: the mapped .dem
    const float* data = nullptr;                      ///< embed: the grid
    std::unique_ptr<ReferenceRaster> reference;       ///< reference: the GDAL reader
};

struct ResourceRuntime {
    std::vector<SourceRuntime> sources;  ///< same order as ResourceInfo::sources
};

}  // namespace geoplex::altitude::detail

namespace geoplex::altitude {

struct Altimetry::Impl {
    std::filesystem::path dir;
    std::vector<ResourceInfo> infos;
    std::vector<detail::ResourceRuntime> runtimes;
    std::unique_ptr<detail::BlockCache> cache;
    [[nodiscard]] std::size_t index_of(std::string_view id) const;  // throws not_found
};

}  // namespace geoplex::altitude
