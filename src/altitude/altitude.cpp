// Configs, Altimetry::open and the query kernels.

#include "geoplex/altitude/altitude.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <type_traits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "altitude/detail.hpp"
#include "geoplex/core/crs.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"

namespace geoplex::altitude {

std::string_view to_string(Storage s) noexcept { return s == Storage::embed ? "embed" : "reference"; }
std::string_view to_string(Interpolation i) noexcept { return i == Interpolation::nearest ? "nearest" : "bilinear"; }

// ---- validation -----------------------------------------------------------------------------------

namespace {
bool is_identifier(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    }) && s != "." && s != "..";
}
}  // namespace

std::vector<std::string> SourceConfig::validate() const {
    std::vector<std::string> p;
    if (name.empty()) p.emplace_back("name: is empty");
    else if (!is_identifier(name)) p.push_back(fmt::format("name: '{}' may only contain letters, digits, '_', '-', '.'", name));
    if (path.empty()) p.emplace_back("path: is empty");
    if (band < 1) p.push_back(fmt::format("band: {} is not a 1-based band number", band));
    if (!crs.empty() && !core::is_known_crs(crs)) p.push_back(fmt::format("crs: '{}' is not a CRS PROJ knows", crs));
    return p;
}

std::vector<std::string> ResourceConfig::validate() const {
    std::vector<std::string> p;
    if (id.empty()) p.emplace_back("id: is empty");
    else if (!is_identifier(id)) p.push_back(fmt::format("id: '{}' may only contain letters, digits, '_', '-', '.'", id));
    if (!std::isfinite(nodata)) p.emplace_back("nodata: must be a finite number");
    if (sources.empty()) p.emplace_back("sources: a resource needs at least one source");
    std::set<std::string> names;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        for (auto& s : sources[i].validate()) p.push_back(fmt::format("sources[{}].{}", i, s));
        if (!sources[i].name.empty() && !names.insert(sources[i].name).second)
            p.push_back(fmt::format("sources[{}].name: '{}' is used twice in this resource", i, sources[i].name));
    }
    return p;
}

std::vector<std::string> BuildConfig::validate() const {
    std::vector<std::string> p;
    if (resources.empty()) p.emplace_back("resources: at least one resource is needed");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < resources.size(); ++i) {
        for (auto& s : resources[i].validate()) p.push_back(fmt::format("resources[{}].{}", i, s));
        if (!resources[i].id.empty() && !ids.insert(resources[i].id).second)
            p.push_back(fmt::format("resources[{}].id: '{}' is used twice", i, resources[i].id));
    }
    return p;
}

// ---- open -----------------------------------------------------------------------------------------

std::size_t Altimetry::Impl::index_of(std::string_view id) const {
    for (std::size_t i = 0; i < infos.size(); ++i)
        if (infos[i].id == id) return i;
    throw Error(errc::not_found, fmt::format("unknown altitude resource '{}'", id));
}

namespace {

template <class T>
T get_field(const nlohmann::json& j, const char* key, const std::filesystem::path& file) {
    if (!j.is_object() || !j.contains(key))
        throw FormatError(fmt::format("'{}': missing field '{}'", file.string(), key));
    try {
        return j.at(key).get<T>();
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(fmt::format("'{}': field '{}': {}", file.string(), key, e.what()));
    }
}

void open_embedded(detail::SourceRuntime& rt, const std::filesystem::path& file, bool verify) {
    rt.file = core::IndexFile(file, detail::dem_magic, detail::dem_version, verify);
    const auto payload = rt.file.payload();
    if (payload.size() < sizeof(detail::DemHeader))
        throw FormatError(fmt::format("'{}': truncated DEM header", file.string()));
    detail::DemHeader hdr;
    std::memcpy(&hdr, payload.data(), sizeof hdr);
    const std::uint64_t cells = std::uint64_t{hdr.width} * hdr.height;
    if (hdr.grid_offset % 64 != 0 || hdr.grid_offset < sizeof hdr + hdr.crs_size || hdr.grid_offset > payload.size() ||
        cells * sizeof(float) != payload.size() - hdr.grid_offset)
        throw FormatError(fmt::format("'{}': DEM grid size does not match the file ({}x{} cells, {} payload bytes)",
                                      file.string(), hdr.width, hdr.height, payload.size()));
    if (hdr.width != rt.grid.width || hdr.height != rt.grid.height)
        throw FormatError(fmt::format("'{}': size {}x{} differs from resources.json ({}x{})", file.string(), hdr.width,
                                      hdr.height, rt.grid.width, rt.grid.height));
    std::copy(std::begin(hdr.geotransform), std::end(hdr.geotransform), rt.grid.gt.begin());
    rt.data = reinterpret_cast<const float*>(payload.data() + hdr.grid_offset);  // NOLINT: 64-byte aligned payload
}

}  // namespace

Altimetry Altimetry::open(const std::filesystem::path& dir, const OpenOptions& options) {
    auto impl = std::make_shared<Impl>();
    impl->dir = dir;
    impl->cache = std::make_unique<detail::BlockCache>(options.block_cache_bytes);
    const auto manifest_path = dir / "resources.json";
    std::ifstream in(manifest_path, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot open '{}'", manifest_path.string()));
    nlohmann::json m;
    try {
        m = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(fmt::format("'{}': not valid JSON: {}", manifest_path.string(), e.what()));
    }
    if (get_field<std::uint32_t>(m, "format_version", manifest_path) != detail::dem_version)
        throw FormatError(fmt::format("'{}': unsupported format_version", manifest_path.string()), errc::version_mismatch);
    std::uint32_t uid = 0;
    for (const auto& jr : get_field<nlohmann::json>(m, "resources", manifest_path)) {
        ResourceInfo info;
        info.id = get_field<std::string>(jr, "id", manifest_path);
        info.title = get_field<std::string>(jr, "title", manifest_path);
        info.description = get_field<std::string>(jr, "description", manifest_path);
        info.keywords = get_field<std::vector<std::string>>(jr, "keywords", manifest_path);
        info.nodata = get_field<double>(jr, "nodata", manifest_path);
        detail::ResourceRuntime rrt;
        for (const auto& js : get_field<nlohmann::json>(jr, "sources", manifest_path)) {
            SourceInfo si;
            si.name = get_field<std::string>(js, "name", manifest_path);
            si.title = get_field<std::string>(js, "title", manifest_path);
            si.accuracy = get_field<std::string>(js, "accuracy", manifest_path);
            si.priority = get_field<int>(js, "priority", manifest_path);
            si.storage = get_field<std::string>(js, "storage", manifest_path) == "reference" ? Storage::reference : Storage::embed;
            si.crs = get_field<std::string>(js, "crs", manifest_path);
            si.width = get_field<std::uint32_t>(js, "width", manifest_path);
            si.height = get_field<std::uint32_t>(js, "height", manifest_path);
            const auto gt = get_field<std::array<double, 6>>(js, "geotransform", manifest_path);
            std::copy(gt.begin(), gt.end(), si.geotransform);
            if (js.contains("extent") && js["extent"].is_array() && js["extent"].size() == 4)
                si.extent = BBox::of(js["extent"][0].get<double>(), js["extent"][1].get<double>(),
                                     js["extent"][2].get<double>(), js["extent"][3].get<double>());
            detail::SourceRuntime rt;
            rt.grid.width = si.width;
            rt.grid.height = si.height;
            rt.grid.gt = gt;
            rt.lonlat = get_field<bool>(js, "lonlat", manifest_path);
            if (si.storage == Storage::embed) {
                open_embedded(rt, dir / get_field<std::string>(js, "file", manifest_path), options.verify_checksums);
            } else {
                rt.reference = std::make_unique<detail::ReferenceRaster>(get_field<std::string>(js, "path", manifest_path),
                                                                          get_field<int>(js, "band", manifest_path), uid++,
                                                                          *impl->cache);
                if (rt.reference->width() != si.width || rt.reference->height() != si.height)
                    throw FormatError(fmt::format("source '{}' of '{}' changed since the build (size {}x{}, expected {}x{})",
                                                  si.name, info.id, rt.reference->width(), rt.reference->height(),
                                                  si.width, si.height));
            }
            if (!detail::invert_geotransform(rt.grid.gt, rt.grid.inv))
                throw FormatError(fmt::format("source '{}' of '{}': geotransform is not invertible", si.name, info.id));
            if (!rt.lonlat) rt.to_source = std::make_unique<core::CrsTransform>("EPSG:4326", si.crs);
            info.extent.extend(si.extent);
            info.sources.push_back(std::move(si));
            rrt.sources.push_back(std::move(rt));
        }
        impl->infos.push_back(std::move(info));
        impl->runtimes.push_back(std::move(rrt));
    }
    return Altimetry(std::move(impl));
}

const std::vector<ResourceInfo>& Altimetry::resources() const noexcept { return m_impl->infos; }

const ResourceInfo* Altimetry::find(std::string_view id) const noexcept {
    for (const auto& r : m_impl->infos)
        if (r.id == id) return &r;
    return nullptr;
}

const ResourceInfo& Altimetry::resource(std::string_view id) const { return m_impl->infos[m_impl->index_of(id)]; }

// ---- sampling kernels -----------------------------------------------------------------------------

namespace {

constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();

/// Embedded grid: direct reads.
struct EmbeddedAccess {
    const float* data;
    std::size_t width;
    [[nodiscard]] float at(std::uint32_t c, std::uint32_t r) const { return data[r * width + c]; }
};

/// Reference raster: blocks through a per-query direct-mapped cache (256 slots) in front of the
/// shared LRU (no lock on the common path), and the last block used kept at hand (the 4
/// neighbours of a bilinear sample are nearly always in one block).
struct ReferenceAccess {
    const detail::ReferenceRaster* raster;
    struct Slot {
        std::uint64_t key = ~std::uint64_t{0};
        detail::BlockPtr block;
    };
    struct Local {
        std::array<Slot, 256> slots{};
        // The last block used, flattened (its Slot keeps it alive until the next slow lookup).
        const float* values = nullptr;
        const detail::ReferenceRaster* raster = nullptr;
        std::uint32_t x0 = 0, y0 = 0, w = 0, h = 0;
    };
    Local* local;
    [[nodiscard]] inline float at(std::uint32_t c, std::uint32_t r) const {
        const Local& l = *local;
        if (l.raster == raster && c - l.x0 < l.w && r - l.y0 < l.h) [[likely]]
            return l.values[std::size_t{r - l.y0} * l.w + (c - l.x0)];
        return at_slow(c, r);
    }
    [[gnu::noinline]] float at_slow(std::uint32_t c, std::uint32_t r) const {
        Local& l = *local;
        const std::uint32_t bx = c / raster->block_w(), by = r / raster->block_h();
        const std::uint64_t key = (std::uint64_t{raster->uid()} << 44U) | (std::uint64_t{by} << 22U) | bx;
        // Neighbouring blocks map to distinct slots (no collisions up to 61 blocks per row).
        Slot& s = l.slots[(bx + by * 61U + raster->uid() * 97U) & 255U];
        if (s.key != key) {
            s.block = raster->block(bx, by);
            s.key = key;
        }
        const detail::Block& b = *s.block;
        l.values = b.values.data();
        l.raster = raster;
        l.x0 = bx * raster->block_w();
        l.y0 = by * raster->block_h();
        l.w = b.w;
        l.h = b.h;
        return l.values[std::size_t{r - l.y0} * l.w + (c - l.x0)];
    }
};

/// Samples one point in pixel space. Returns NaN when the source does not cover it.
template <class Access>
inline double sample_pixel(const Access& a, std::uint32_t w, std::uint32_t h, double px, double py,
                           Interpolation interp) {
    // Inside test written so that NaN coordinates fail it.
    if (!(px >= 0.0 && py >= 0.0 && px < static_cast<double>(w) && py < static_cast<double>(h))) return nan_f;
    const auto c = static_cast<std::uint32_t>(px);  // floor for non-negative values
    const auto r = static_cast<std::uint32_t>(py);
    const float centre = a.at(c, r);
    if (interp == Interpolation::nearest || std::isnan(centre)) return centre;
    // Bilinear between the centres around (px, py); centres sit at +0.5. x >= -0.5, so
    // int(x + 1) - 1 is floor(x) without a libm call.
    const double x = px - 0.5, y = py - 0.5;
    const int x0 = static_cast<int>(x + 1.0) - 1, y0 = static_cast<int>(y + 1.0) - 1;
    const double fx = x - x0, fy = y - y0;
    const auto cx0 = static_cast<std::uint32_t>(std::max(x0, 0));
    const auto cy0 = static_cast<std::uint32_t>(std::max(y0, 0));
    const std::uint32_t cx1 = std::min(static_cast<std::uint32_t>(x0 + 1), w - 1);
    const std::uint32_t cy1 = std::min(static_cast<std::uint32_t>(y0 + 1), h - 1);
    const double v00 = a.at(cx0, cy0), v10 = a.at(cx1, cy0), v01 = a.at(cx0, cy1), v11 = a.at(cx1, cy1);
    const double sum = v00 + v10 + v01 + v11;
    if (!std::isnan(sum))
        return (v00 * (1.0 - fx) + v10 * fx) * (1.0 - fy) + (v01 * (1.0 - fx) + v11 * fx) * fy;
    // Some neighbour is nodata: renormalise over the valid ones (the centre pixel is valid and
    // has weight >= 1/4, so the sum of weights is never 0).
    const double w00 = (1.0 - fx) * (1.0 - fy), w10 = fx * (1.0 - fy), w01 = (1.0 - fx) * fy, w11 = fx * fy;
    double acc = 0.0, wsum = 0.0;
    if (!std::isnan(v00)) { acc += w00 * v00; wsum += w00; }
    if (!std::isnan(v10)) { acc += w10 * v10; wsum += w10; }
    if (!std::isnan(v01)) { acc += w01 * v01; wsum += w01; }
    if (!std::isnan(v11)) { acc += w11 * v11; wsum += w11; }
    return acc / wsum;
}

/// Issues prefetches for the pixels a point will read (embedded grids only: the grid lives in
/// memory, and random points miss the caches; overlapping the misses of a batch of points is
/// what makes the loop run at L3/DRAM bandwidth instead of latency).
inline void prefetch_point(const EmbeddedAccess& a, std::uint32_t w, std::uint32_t h, double px, double py,
                           Interpolation interp) {
    if (!(px >= 0.0 && py >= 0.0 && px < static_cast<double>(w) && py < static_cast<double>(h))) return;
    const auto c = static_cast<std::uint32_t>(px);
    if (interp == Interpolation::nearest) {
        __builtin_prefetch(a.data + static_cast<std::uint32_t>(py) * a.width + c);
        return;
    }
    const int y0 = static_cast<int>(py + 0.5) - 1;
    const auto cy0 = static_cast<std::uint32_t>(std::max(y0, 0));
    const std::uint32_t cy1 = std::min(static_cast<std::uint32_t>(y0 + 1), h - 1);
    const std::uint32_t cx0 = c > 0 ? c - 1 : 0;
    __builtin_prefetch(a.data + cy0 * a.width + cx0);
    __builtin_prefetch(a.data + cy1 * a.width + cx0);
}

/// Samples the points `todo[0..n)` (coordinates xs/ys in the source CRS) and writes covered
/// ones to z/src; returns the uncovered indices compacted at the front of `todo`.
template <class Access>
std::size_t sample_batch(const Access& a, const detail::Grid& g, const double* xs, const double* ys, std::size_t stride,
                         std::uint32_t* todo, std::size_t n, Interpolation interp, double* z, std::int32_t* src,
                         std::int32_t src_index) {
    const double i0 = g.inv[0], i1 = g.inv[1], i2 = g.inv[2], i3 = g.inv[3], i4 = g.inv[4], i5 = g.inv[5];
    // Embedded grids: prefetch the pixels of the point `ahead` positions further while sampling
    // this one, so that the cache misses of random points overlap.
    constexpr std::size_t ahead = 12;
    std::size_t left = 0;
    if constexpr (std::is_same_v<Access, EmbeddedAccess>) {
        for (std::size_t k = 0; k < std::min(n, ahead); ++k)
            prefetch_point(a, g.width, g.height, i0 + xs[k * stride] * i1 + ys[k * stride] * i2,
                           i3 + xs[k * stride] * i4 + ys[k * stride] * i5, interp);
    }
    for (std::size_t k = 0; k < n; ++k) {
        if constexpr (std::is_same_v<Access, EmbeddedAccess>) {
            if (k + ahead < n) {
                const std::size_t f = k + ahead;
                prefetch_point(a, g.width, g.height, i0 + xs[f * stride] * i1 + ys[f * stride] * i2,
                               i3 + xs[f * stride] * i4 + ys[f * stride] * i5, interp);
            }
        }
        // Same expression as GDALApplyGeoTransform on the inverse geotransform.
        const double x = xs[k * stride], y = ys[k * stride];
        const double px = i0 + x * i1 + y * i2;
        const double py = i3 + x * i4 + y * i5;
        const double v = sample_pixel(a, g.width, g.height, px, py, interp);
        const std::uint32_t idx = todo[k];
        if (!std::isnan(v)) {
            z[idx] = v;
            if (src != nullptr) src[idx] = src_index;
        } else {
            todo[left++] = idx;
        }
    }
    return left;
}

}  // namespace

// ---- Query ----------------------------------------------------------------------------------------

struct Query::State {
    Altimetry altimetry;
    std::vector<double> xs, ys;
    std::vector<std::uint32_t> todo;
    ReferenceAccess::Local local;
    explicit State(const Altimetry& a) : altimetry(a) {}

    /// Input coordinates: lon[i * stride], lat[i * stride] (stride 2 reads LonLat arrays in place).
    struct Coords {
        const double* lon;
        const double* lat;
        std::size_t stride;
        std::size_t size;
    };

    /// Samples the points listed in todo[0..n) from source `s`; returns how many remain
    /// uncovered (compacted at the front of todo).
    std::size_t run_source(const detail::SourceRuntime& s, const Coords& in, std::size_t n, Interpolation interp,
                           double* z, std::int32_t* src, std::int32_t src_index, bool identity) {
        const double* px = nullptr;
        const double* py = nullptr;
        std::size_t stride = 1;
        if (identity && !s.to_source) {
            // First source in WGS84 lon/lat: read the caller's arrays in place.
            px = in.lon;
            py = in.lat;
            stride = in.stride;
        } else {
            xs.resize(n);
            ys.resize(n);
            for (std::size_t k = 0; k < n; ++k) {
                xs[k] = in.lon[todo[k] * in.stride];
                ys[k] = in.lat[todo[k] * in.stride];
            }
            if (s.to_source) s.to_source->transform(std::span<double>(xs.data(), n), std::span<double>(ys.data(), n));
            px = xs.data();
            py = ys.data();
        }
        if (s.data != nullptr) {
            const EmbeddedAccess a{s.data, s.grid.width};
            return sample_batch(a, s.grid, px, py, stride, todo.data(), n, interp, z, src, src_index);
        }
        const ReferenceAccess a{s.reference.get(), &local};
        return sample_batch(a, s.grid, px, py, stride, todo.data(), n, interp, z, src, src_index);
    }

    void elevations(std::string_view resource, const Coords& in, std::span<double> z, Interpolation interp,
                    std::span<std::int32_t> source) {
        const auto& impl = altimetry.impl();
        const std::size_t r = impl.index_of(resource);
        const std::size_t n = in.size;
        if (z.size() != n || (!source.empty() && source.size() != n))
            throw InvalidArgument(fmt::format("elevations: {} points, {} outputs, {} source slots", n, z.size(), source.size()));
        const double nodata = impl.infos[r].nodata;
        todo.resize(n);
        for (std::size_t i = 0; i < n; ++i) todo[i] = static_cast<std::uint32_t>(i);
        std::int32_t* src = source.empty() ? nullptr : source.data();
        std::size_t left = n;
        const auto& sources = impl.runtimes[r].sources;
        for (std::size_t s = 0; s < sources.size() && left > 0; ++s)
            left = run_source(sources[s], in, left, interp, z.data(), src, static_cast<std::int32_t>(s), s == 0);
        for (std::size_t k = 0; k < left; ++k) {
            z[todo[k]] = nodata;
            if (src != nullptr) src[todo[k]] = -1;
        }
    }
};

Query::Query(const Altimetry& altimetry) : m_state(std::make_unique<State>(altimetry)) {}
Query::~Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;

const Altimetry& Query::altimetry() const noexcept { return m_state->altimetry; }

void Query::elevations(std::string_view resource, std::span<const double> lon, std::span<const double> lat,
                       std::span<double> z, Interpolation interpolation, std::span<std::int32_t> source) {
    if (lat.size() != lon.size())
        throw InvalidArgument(fmt::format("elevations: {} longitudes but {} latitudes", lon.size(), lat.size()));
    m_state->elevations(resource, State::Coords{lon.data(), lat.data(), 1, lon.size()}, z, interpolation, source);
}

void Query::elevations(std::string_view resource, std::span<const LonLat> points, std::span<double> z,
                       Interpolation interpolation, std::span<std::int32_t> source) {
    static_assert(sizeof(LonLat) == 2 * sizeof(double) && offsetof(LonLat, lat) == sizeof(double));
    const double* base = points.empty() ? nullptr : &points.front().lon;
    m_state->elevations(resource, State::Coords{base, base == nullptr ? nullptr : base + 1, 2, points.size()}, z,
                        interpolation, source);
}

void Query::measures(std::string_view resource, std::span<const LonLat> points, std::span<double> values,
                     Interpolation interpolation) {
    auto& st = *m_state;
    const auto& impl = st.altimetry.impl();
    const std::size_t r = impl.index_of(resource);
    const auto& sources = impl.runtimes[r].sources;
    const std::size_t n = points.size(), ns = sources.size();
    if (values.size() != n * ns)
        throw InvalidArgument(fmt::format("measures: {} values for {} points × {} sources", values.size(), n, ns));
    std::vector<double> z(n);
    const double* base = points.empty() ? nullptr : &points.front().lon;
    const State::Coords in{base, base == nullptr ? nullptr : base + 1, 2, n};
    for (std::size_t s = 0; s < ns; ++s) {
        st.todo.resize(n);
        for (std::size_t i = 0; i < n; ++i) st.todo[i] = static_cast<std::uint32_t>(i);
        const std::size_t left = st.run_source(sources[s], in, n, interpolation, z.data(), nullptr, 0, true);
        for (std::size_t k = 0; k < left; ++k) z[st.todo[k]] = impl.infos[r].nodata;
        for (std::size_t i = 0; i < n; ++i) values[i * ns + s] = z[i];
    }
}

HeightDifferences height_differences(std::span<const double> z, double nodata) {
    HeightDifferences d;
    bool have = false;
    double prev = 0.0;
    for (const double v : z) {
        if (std::isnan(v) || v == nodata) continue;
        if (have) {
            if (v > prev) d.positive += v - prev;
            else d.negative += prev - v;
        }
        prev = v;
        have = true;
    }
    return d;
}

ElevationLine Query::elevation_line(std::string_view resource, std::span<const LonLat> line, std::size_t sampling,
                                    Interpolation interpolation, bool include_vertices) {
    const ResourceInfo& info = m_state->altimetry.resource(resource);
    if (line.size() < 2) throw InvalidArgument(fmt::format("elevation_line: the line has {} point(s); 2 are needed", line.size()));
    if (sampling < 2) throw InvalidArgument(fmt::format("elevation_line: sampling {} is below 2", sampling));
    for (const auto& p : line)
        if (!core::is_valid_lonlat(p))
            throw InvalidArgument(fmt::format("elevation_line: ({}, {}) is not a valid lon/lat", p.lon, p.lat));
    ElevationLine out;
    out.points = core::sample_along(line, sampling, &out.distances);
    if (include_vertices) {
        // Merge the inner vertices (the ends are already samples), ordered by distance.
        std::vector<std::pair<double, LonLat>> merged;
        for (std::size_t i = 0; i < out.points.size(); ++i) merged.emplace_back(out.distances[i], out.points[i]);
        double d = 0.0;
        for (std::size_t i = 1; i + 1 < line.size(); ++i) {
            d += core::geodesic_distance(line[i - 1], line[i]);
            merged.emplace_back(d, line[i]);
        }
        std::stable_sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        out.points.clear();
        out.distances.clear();
        for (const auto& [dist, p] : merged) {
            if (!out.points.empty() && out.points.back() == p) continue;
            out.points.push_back(p);
            out.distances.push_back(dist);
        }
    }
    out.z.resize(out.points.size());
    out.source.resize(out.points.size());
    elevations(resource, out.points, out.z, interpolation, out.source);
    const auto hd = height_differences(out.z, info.nodata);
    out.positive = hd.positive;
    out.negative = hd.negative;
    return out;
}

}  // namespace geoplex::altitude
