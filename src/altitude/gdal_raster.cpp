// GDAL RAII, geotransform inversion and the `reference` storage (GDAL reads + block cache).

#include <cmath>
#include <cstring>
#include <mutex>

#include <cpl_error.h>
#include <gdal.h>

#include <fmt/format.h>

#include "altitude/detail.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::altitude::detail {

void gdal_init() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

std::string gdal_last_error(const char* fallback) {
    const char* msg = CPLGetLastErrorMsg();
    return (msg != nullptr && *msg != '\0') ? std::string(msg) : std::string(fallback);
}

namespace {
/// Silences GDAL's stderr printing for the lifetime of the object (errors are still recorded).
struct QuietGdal {
    QuietGdal() { CPLPushErrorHandler(CPLQuietErrorHandler); CPLErrorReset(); }
    ~QuietGdal() { CPLPopErrorHandler(); }
    QuietGdal(const QuietGdal&) = delete;
    QuietGdal& operator=(const QuietGdal&) = delete;
};
}  // namespace

Dataset::Dataset(const std::filesystem::path& path) {
    gdal_init();
    QuietGdal quiet;
    m_handle = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (m_handle == nullptr)
        throw IoError(fmt::format("cannot open raster '{}': {}", path.string(), gdal_last_error("not a raster GDAL can read")));
}

Dataset::~Dataset() {
    if (m_handle != nullptr) GDALClose(static_cast<GDALDatasetH>(m_handle));
}

Dataset& Dataset::operator=(Dataset&& o) noexcept {
    if (this != &o) {
        if (m_handle != nullptr) GDALClose(static_cast<GDALDatasetH>(m_handle));
        m_handle = o.m_handle;
        o.m_handle = nullptr;
    }
    return *this;
}

bool invert_geotransform(const std::array<double, 6>& g, std::array<double, 6>& o) {
    // Same arithmetic as GDALInvGeoTransform (GDAL 3.6), so that pixel selection matches GDAL's
    // tools bit for bit at pixel boundaries.
    if (g[2] == 0.0 && g[4] == 0.0 && g[1] != 0.0 && g[5] != 0.0) {
        o[0] = -g[0] / g[1];
        o[1] = 1.0 / g[1];
        o[2] = 0.0;
        o[3] = -g[3] / g[5];
        o[4] = 0.0;
        o[5] = 1.0 / g[5];
        return true;
    }
    const double det = g[1] * g[5] - g[2] * g[4];
    const double magnitude = std::max(std::max(std::fabs(g[1]), std::fabs(g[2])),
                                      std::max(std::fabs(g[4]), std::fabs(g[5])));
    if (std::fabs(det) <= 1e-10 * magnitude * magnitude) return false;
    const double inv_det = 1.0 / det;
    o[1] = g[5] * inv_det;
    o[4] = -g[4] * inv_det;
    o[2] = -g[2] * inv_det;
    o[5] = g[1] * inv_det;
    o[0] = (g[2] * g[3] - g[0] * g[5]) * inv_det;
    o[3] = (-g[1] * g[3] + g[0] * g[4]) * inv_det;
    return true;
}

// ---- BlockCache ---------------------------------------------------------------------------------

BlockCache::BlockCache(std::size_t capacity_bytes)
    : m_shard_capacity(std::max<std::size_t>(capacity_bytes / shard_count, 1)) {}

BlockPtr BlockCache::get(std::uint64_t key) {
    Shard& s = shard(key);
    const std::lock_guard lock(s.mutex);
    const auto it = s.index.find(key);
    if (it == s.index.end()) return nullptr;
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return it->second->second;
}

BlockPtr BlockCache::put(std::uint64_t key, BlockPtr block) {
    Shard& s = shard(key);
    const std::lock_guard lock(s.mutex);
    if (const auto it = s.index.find(key); it != s.index.end()) {
        s.lru.splice(s.lru.begin(), s.lru, it->second);
        return it->second->second;
    }
    s.bytes += block->values.size() * sizeof(float);
    s.lru.emplace_front(key, block);
    s.index.emplace(key, s.lru.begin());
    // Evict least recently used blocks, keeping at least the one just inserted.
    while (s.bytes > m_shard_capacity && s.lru.size() > 1) {
        auto& victim = s.lru.back();
        s.bytes -= victim.second->values.size() * sizeof(float);
        s.index.erase(victim.first);
        s.lru.pop_back();
    }
    return block;
}

// ---- ReferenceRaster ----------------------------------------------------------------------------

ReferenceRaster::ReferenceRaster(std::filesystem::path path, int band, std::uint32_t uid, BlockCache& cache)
    : m_path(std::move(path)), m_band(band), m_uid(uid), m_cache(cache) {
    Dataset ds(m_path);
    auto* h = static_cast<GDALDatasetH>(ds.handle());
    if (band < 1 || band > GDALGetRasterCount(h))
        throw FormatError(fmt::format("raster '{}' has no band {}", m_path.string(), band));
    GDALRasterBandH b = GDALGetRasterBand(h, band);
    m_width = static_cast<std::uint32_t>(GDALGetRasterXSize(h));
    m_height = static_cast<std::uint32_t>(GDALGetRasterYSize(h));
    int bw = 0, bh = 0;
    GDALGetBlockSize(b, &bw, &bh);
    // Scanline-organised files (one row per block) are read in strips of several rows so that a
    // cache entry amortises the GDAL call.
    if (bh <= 1) bh = std::max(1, std::min(static_cast<int>(m_height), (1 << 18) / std::max(bw, 1)));
    m_block_w = static_cast<std::uint32_t>(std::max(bw, 1));
    m_block_h = static_cast<std::uint32_t>(std::max(bh, 1));
    if (GDALGetGeoTransform(h, m_gt.data()) != CE_None)
        throw FormatError(fmt::format("raster '{}' has no geotransform", m_path.string()));
    int has = 0;
    m_nodata = GDALGetRasterNoDataValue(b, &has);
    m_has_nodata = has != 0;
    m_pool.push_back(std::move(ds));
}

ReferenceRaster::~ReferenceRaster() = default;

BlockPtr ReferenceRaster::block(std::uint32_t bx, std::uint32_t by) const {
    const std::uint64_t key = (std::uint64_t{m_uid} << 44U) | (std::uint64_t{by} << 22U) | bx;
    if (auto b = m_cache.get(key)) return b;
    return m_cache.put(key, read_block(bx, by));
}

BlockPtr ReferenceRaster::read_block(std::uint32_t bx, std::uint32_t by) const {
    Dataset ds;
    {
        const std::lock_guard lock(m_pool_mutex);
        if (!m_pool.empty()) {
            ds = std::move(m_pool.back());
            m_pool.pop_back();
        }
    }
    if (ds.handle() == nullptr) ds = Dataset(m_path);
    auto block = std::make_shared<Block>();
    const std::uint32_t x0 = bx * m_block_w, y0 = by * m_block_h;
    block->w = std::min(m_block_w, m_width - x0);
    block->h = std::min(m_block_h, m_height - y0);
    block->values.resize(std::size_t{block->w} * block->h);
    {
        QuietGdal quiet;
        GDALRasterBandH b = GDALGetRasterBand(static_cast<GDALDatasetH>(ds.handle()), m_band);
        const CPLErr err = GDALRasterIO(b, GF_Read, static_cast<int>(x0), static_cast<int>(y0),
                                        static_cast<int>(block->w), static_cast<int>(block->h),
                                        block->values.data(), static_cast<int>(block->w),
                                        static_cast<int>(block->h), GDT_Float32, 0, 0);
        if (err != CE_None)
            throw DependencyError(fmt::format("cannot read block ({}, {}) of '{}': {}", bx, by, m_path.string(),
                                              gdal_last_error()));
    }
    {
        const std::lock_guard lock(m_pool_mutex);
        m_pool.push_back(std::move(ds));
    }
    if (m_has_nodata) {
        const float nd = static_cast<float>(m_nodata);
        for (float& v : block->values)
            if (v == nd) v = std::numeric_limits<float>::quiet_NaN();
    }
    return block;
}

}  // namespace geoplex::altitude::detail
