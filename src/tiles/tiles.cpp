// Tileset (layers, rendering, cache), configs, pyramids generation and the bundle builder.

#include "geoplex/tiles/tiles.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <gdal.h>
#include <nlohmann/json.hpp>
#include <ogr_srs_api.h>

#include "geoplex/core/error.hpp"
#include "geoplex/core/hash.hpp"
#include "tiles/detail.hpp"
#include "tiles/served_tile.hpp"

namespace geoplex::tiles {

using json = nlohmann::ordered_json;

// ---- enums -----------------------------------------------------------------------------------

std::string_view to_string(TileFormat f) noexcept {
    switch (f) {
        case TileFormat::png: return "png";
        case TileFormat::jpeg: return "jpeg";
        case TileFormat::webp: return "webp";
        case TileFormat::mvt: return "pbf";
    }
    return "png";
}
std::string_view mime_type(TileFormat f) noexcept {
    switch (f) {
        case TileFormat::png: return "image/png";
        case TileFormat::jpeg: return "image/jpeg";
        case TileFormat::webp: return "image/webp";
        case TileFormat::mvt: return "application/x-protobuf";
    }
    return "application/octet-stream";
}
std::optional<TileFormat> parse_format(std::string_view s) noexcept {
    std::string l(s);
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "png" || l == "image/png") return TileFormat::png;
    if (l == "jpeg" || l == "jpg" || l == "image/jpeg") return TileFormat::jpeg;
    if (l == "webp" || l == "image/webp") return TileFormat::webp;
    if (l == "pbf" || l == "mvt" || l == "application/x-protobuf" || l == "application/vnd.mapbox-vector-tile")
        return TileFormat::mvt;
    return std::nullopt;
}
std::string_view to_string(Resampling r) noexcept {
    switch (r) {
        case Resampling::nearest: return "nearest";
        case Resampling::bilinear: return "bilinear";
        case Resampling::cubic: return "cubic";
        case Resampling::lanczos: return "lanczos";
        case Resampling::average: return "average";
    }
    return "bilinear";
}
std::optional<Resampling> parse_resampling(std::string_view s) noexcept {
    for (auto r : {Resampling::nearest, Resampling::bilinear, Resampling::cubic, Resampling::lanczos, Resampling::average})
        if (to_string(r) == s) return r;
    return std::nullopt;
}
std::string_view to_string(RasterStyle s) noexcept {
    switch (s) {
        case RasterStyle::bands: return "bands";
        case RasterStyle::hillshade: return "hillshade";
        case RasterStyle::color_ramp: return "color_ramp";
    }
    return "bands";
}
std::optional<RasterStyle> parse_raster_style(std::string_view s) noexcept {
    for (auto r : {RasterStyle::bands, RasterStyle::hillshade, RasterStyle::color_ramp})
        if (to_string(r) == s) return r;
    return std::nullopt;
}

// ---- validation ----------------------------------------------------------------------------

namespace {

bool valid_id(const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
}

void check_tms(const std::string& name, std::vector<std::string>& p) {
    if (name.empty()) {
        p.emplace_back("tile_matrix_set: must not be empty");
        return;
    }
    try {
        (void)detail::resolve_tile_matrix_set(name);
    } catch (const Error& e) {
        p.push_back(fmt::format("tile_matrix_set: {}", e.what()));
    }
}

}  // namespace

std::vector<std::string> RasterLayerConfig::validate() const {
    std::vector<std::string> p;
    if (!valid_id(id)) p.push_back(fmt::format("id: '{}' must be non-empty letters, digits, '_', '-', '.'", id));
    if (path.empty()) p.emplace_back("path: missing");
    check_tms(tile_matrix_set, p);
    if (format == TileFormat::mvt) p.emplace_back("format: a raster layer is served as png, jpeg or webp");
    if (min_zoom < 0) p.push_back(fmt::format("min_zoom: must be >= 0 (got {})", min_zoom));
    if (max_zoom >= 0 && max_zoom < min_zoom) p.push_back(fmt::format("max_zoom: {} is below min_zoom {}", max_zoom, min_zoom));
    if (quality < 1 || quality > 100) p.push_back(fmt::format("quality: must be in 1..100 (got {})", quality));
    if (style == RasterStyle::color_ramp)
        for (std::size_t i = 1; i < ramp.size(); ++i)
            if (!(ramp[i].value > ramp[i - 1].value)) p.emplace_back("ramp: values must increase");
    if (!(altitude > 0 && altitude <= 90)) p.push_back(fmt::format("altitude: must be in (0, 90] (got {})", altitude));
    return p;
}

std::vector<std::string> VectorLayerConfig::validate() const {
    std::vector<std::string> p;
    if (!valid_id(id)) p.push_back(fmt::format("id: '{}' must be non-empty letters, digits, '_', '-', '.'", id));
    if (path.empty()) p.emplace_back("path: missing");
    check_tms(tile_matrix_set, p);
    if (min_zoom < 0) p.push_back(fmt::format("min_zoom: must be >= 0 (got {})", min_zoom));
    if (max_zoom < min_zoom) p.push_back(fmt::format("max_zoom: {} is below min_zoom {}", max_zoom, min_zoom));
    if (extent < 256 || extent > (1U << 16)) p.push_back(fmt::format("extent: must be in 256..65536 (got {})", extent));
    if (buffer > extent / 2) p.push_back(fmt::format("buffer: must be at most extent/2 (got {})", buffer));
    if (!(simplify >= 0)) p.emplace_back("simplify: must be >= 0");
    if (max_features == 0) p.emplace_back("max_features: must be positive");
    if (max_tile_bytes < 1024) p.emplace_back("max_tile_bytes: must be at least 1024");
    return p;
}

std::vector<std::string> BuildConfig::validate() const {
    std::vector<std::string> p;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < raster_layers.size(); ++i) {
        for (auto& s : raster_layers[i].validate()) p.push_back(fmt::format("raster_layers[{}].{}", i, s));
        ids.push_back(raster_layers[i].id);
    }
    for (std::size_t i = 0; i < vector_layers.size(); ++i) {
        for (auto& s : vector_layers[i].validate()) p.push_back(fmt::format("vector_layers[{}].{}", i, s));
        ids.push_back(vector_layers[i].id);
    }
    auto sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i] == sorted[i - 1] && (i < 2 || sorted[i - 2] != sorted[i]))
            p.push_back(fmt::format("layer id '{}' is used more than once", sorted[i]));
    for (std::size_t i = 0; i < pyramids.size(); ++i) {
        const auto& y = pyramids[i];
        const bool raster = std::any_of(raster_layers.begin(), raster_layers.end(), [&](const auto& l) { return l.id == y.layer; });
        const bool vector = std::any_of(vector_layers.begin(), vector_layers.end(), [&](const auto& l) { return l.id == y.layer; });
        if (!raster && !vector) p.push_back(fmt::format("pyramids[{}].layer: no layer '{}'", i, y.layer));
        if (y.format && vector && *y.format != TileFormat::mvt) p.push_back(fmt::format("pyramids[{}].format: a vector layer is pbf", i));
        if (y.format && raster && *y.format == TileFormat::mvt) p.push_back(fmt::format("pyramids[{}].format: a raster layer is png, jpeg or webp", i));
        if (y.container == PyramidContainer::pmtiles) {
            std::string set;
            for (const auto& l : raster_layers) if (l.id == y.layer) set = l.tile_matrix_set;
            for (const auto& l : vector_layers) if (l.id == y.layer) set = l.tile_matrix_set;
            try {
                if (!set.empty() && !detail::resolve_tile_matrix_set(set).is_web_mercator_quad())
                    p.push_back(fmt::format("pyramids[{}].container: PMTiles holds WebMercatorQuad tiles only (layer '{}' uses {}); "
                                            "use \"mbtiles\" or \"directory\"", i, y.layer, set));
            } catch (const Error&) {
                // reported with the layer
            }
        }
        if (y.min_zoom < 0) p.push_back(fmt::format("pyramids[{}].min_zoom: must be >= 0", i));
        if (y.max_zoom >= 0 && y.max_zoom < y.min_zoom) p.push_back(fmt::format("pyramids[{}].max_zoom: below min_zoom", i));
    }
    if (raster_layers.empty() && vector_layers.empty()) p.emplace_back("no layer: add a raster or vector layer");
    return p;
}

// ---- helpers ---------------------------------------------------------------------------------

namespace detail {

void ensure_gdal() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

TileMatrixSet resolve_tile_matrix_set(const std::string& name) {
    const bool is_file = name.find('/') != std::string::npos || name.ends_with(".json");
    if (!is_file) return TileMatrixSet::well_known(name);
    std::ifstream in(name, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot read tile matrix set file '{}'", name));
    std::stringstream ss;
    ss << in.rdbuf();
    return TileMatrixSet::from_json(ss.str());
}

}  // namespace detail

// ---- Tileset -------------------------------------------------------------------------------

// Named (not anonymous) because Tileset::Impl, which has external linkage, holds these.
namespace detail {

struct LayerState {
    LayerInfo info;
    std::optional<RasterLayerConfig> raster;
    std::optional<VectorLayerConfig> vector;
    std::size_t tms_index = 0;
    mutable std::mutex open_mutex;
    mutable std::shared_ptr<detail::RasterSource> rs;
    mutable std::shared_ptr<detail::VectorSource> vs;
    std::unique_ptr<detail::PyramidReader> pyramid;
    int pyramid_min = 0, pyramid_max = -1;
};

struct CacheKey {
    std::size_t layer;
    std::uint32_t z;
    std::uint64_t x, y;
    TileFormat format;
    friend bool operator==(const CacheKey&, const CacheKey&) = default;
};
struct CacheKeyHash {
    std::size_t operator()(const CacheKey& k) const noexcept {
        std::size_t h = k.layer * 0x9E3779B97F4A7C15ULL;
        h ^= (static_cast<std::size_t>(k.z) << 56U) ^ (k.x * 0xC2B2AE3D27D4EB4FULL) ^ (k.y * 0x165667B19E3779F9ULL);
        return h ^ static_cast<std::size_t>(k.format);
    }
};

/// A byte-budgeted LRU of rendered tiles (one mutex: lookups are short compared with rendering).
/// Entries are immutable and shared: a hit hands out the entry (bytes and ETag), never a copy.
class TileCache {
public:
    explicit TileCache(std::size_t budget) : m_budget(budget) {}
    [[nodiscard]] bool enabled() const noexcept { return m_budget != 0; }
    std::shared_ptr<const ServedTile> get(const CacheKey& k) {
        if (m_budget == 0) return nullptr;
        std::lock_guard lock(m_mutex);
        auto it = m_map.find(k);
        if (it == m_map.end()) return nullptr;
        m_lru.splice(m_lru.begin(), m_lru, it->second);
        return it->second->second;
    }
    void put(const CacheKey& k, std::shared_ptr<const ServedTile> t) {
        if (m_budget == 0) return;
        const std::size_t cost = cost_of(*t);
        if (cost > m_budget / 4) return;
        std::lock_guard lock(m_mutex);
        if (m_map.contains(k)) return;
        m_lru.emplace_front(k, std::move(t));
        m_map.emplace(k, m_lru.begin());
        m_used += cost;
        while (m_used > m_budget && !m_lru.empty()) {
            auto& back = m_lru.back();
            m_used -= cost_of(*back.second);
            m_map.erase(back.first);
            m_lru.pop_back();
        }
    }

private:
    static std::size_t cost_of(const ServedTile& t) noexcept { return t.tile.bytes.size() + t.etag.size() + 128; }
    std::size_t m_budget;
    std::size_t m_used = 0;
    std::mutex m_mutex;
    std::list<std::pair<CacheKey, std::shared_ptr<const ServedTile>>> m_lru;
    std::unordered_map<CacheKey, std::list<std::pair<CacheKey, std::shared_ptr<const ServedTile>>>::iterator, CacheKeyHash> m_map;
};

void* wgs84_to(const std::string& crs) {
    ensure_gdal();
    OGRSpatialReferenceH s = OSRNewSpatialReference(nullptr);
    OGRSpatialReferenceH t = OSRNewSpatialReference(nullptr);
    OSRSetFromUserInput(s, "EPSG:4326");
    OSRSetFromUserInput(t, crs.c_str());
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(t, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s, t);
    OSRDestroySpatialReference(s);
    OSRDestroySpatialReference(t);
    return ct;
}

BBox to_native(const BBox& wgs84, const std::string& crs) {
    BBox out;
    if (auto* ct = static_cast<OGRCoordinateTransformationH>(detail::wgs84_to(crs))) {
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (OCTTransformBounds(ct, wgs84.min_x, std::max(wgs84.min_y, -85.0511), wgs84.max_x, std::min(wgs84.max_y, 85.0511),
                               &x0, &y0, &x1, &y1, 21) != 0)
            out = BBox::of(x0, y0, x1, y1);
        OCTDestroyCoordinateTransformation(ct);
    }
    return out;
}

}  // namespace detail

using detail::CacheKey;
using detail::LayerState;
using detail::ServedTile;
using detail::TileCache;
using detail::to_native;

struct Tileset::Impl {
    OpenOptions options;
    std::vector<TileMatrixSet> sets;
    std::vector<LayerInfo> infos;
    std::vector<std::unique_ptr<LayerState>> layers;
    mutable TileCache cache{0};

    explicit Impl(const OpenOptions& o) : options(o), cache(o.cache_bytes) {}

    std::size_t add_set(const std::string& name) {
        TileMatrixSet s = detail::resolve_tile_matrix_set(name);
        for (std::size_t i = 0; i < sets.size(); ++i)
            if (sets[i].id == s.id) return i;
        sets.push_back(std::move(s));
        return sets.size() - 1;
    }

    void open_source(const LayerState& l) const {
        std::lock_guard lock(l.open_mutex);
        if (l.raster && !l.rs) l.rs = std::make_shared<detail::RasterSource>(*l.raster, sets[l.tms_index]);
        if (l.vector && !l.vs) l.vs = std::make_shared<detail::VectorSource>(*l.vector, sets[l.tms_index]);
    }

    /// The tile's column/row inside the layer's data limits (TileMatrixSetLimits).
    bool within_limits(const LayerState& l, std::uint32_t z, std::uint64_t x, std::uint64_t y) const {
        const TileMatrix* m = sets[l.tms_index].matrix(z);
        if (m == nullptr || !m->contains(x, y)) return false;
        const BBox& nb = l.info.native_bounds;
        if (nb.empty()) return true;
        const BBox tb = m->tile_bounds(x, y);
        return tb.intersects(nb);
    }

    Tile render_uncached(const LayerState& l, std::uint32_t z, std::uint64_t x, std::uint64_t y, TileFormat format) const {
        Tile t;
        t.format = format;
        if (l.pyramid && static_cast<int>(z) >= l.pyramid_min && static_cast<int>(z) <= l.pyramid_max &&
            format == l.info.format) {
            auto bytes = l.pyramid->get(z, x, y);
            if (!bytes) {
                t.status = TileStatus::empty;
                return t;
            }
            t.status = TileStatus::ok;
            t.gzipped = detail::is_gzip(*bytes);
            t.bytes = std::move(*bytes);
            return t;
        }
        open_source(l);
        if (l.vs) {
            std::string pbf = l.vs->encode_tile(z, x, y);
            if (pbf.empty()) {
                t.status = TileStatus::empty;
                return t;
            }
            t.status = TileStatus::ok;
            if (options.gzip_vector_tiles) {
                t.bytes = detail::gzip_compress(pbf, 6);
                t.gzipped = true;
            } else {
                t.bytes = std::move(pbf);
            }
            return t;
        }
        auto img = l.rs->render(z, x, y);
        if (!img) {
            t.status = TileStatus::empty;
            return t;
        }
        t.status = TileStatus::ok;
        t.bytes = detail::encode_image(*img, format, l.raster->quality);
        return t;
    }
};

namespace {

// Fills `info` from an opened source.
void describe(LayerState& l, const Tileset::Impl& impl) {
    impl.open_source(l);
    const auto& tms = impl.sets[l.tms_index];
    auto& info = l.info;
    info.tile_matrix_set = tms.id;
    if (l.raster) {
        const auto& c = *l.raster;
        info.id = c.id;
        info.title = c.title.empty() ? c.id : c.title;
        info.description = c.description;
        info.is_vector = false;
        info.format = c.format;
        info.formats = {TileFormat::png, TileFormat::jpeg, TileFormat::webp};
        info.min_zoom = c.min_zoom;
        info.max_zoom = c.max_zoom >= 0 ? c.max_zoom : l.rs->native_zoom();
        info.max_zoom = std::min(info.max_zoom, static_cast<int>(tms.levels()) - 1);
        info.bounds = l.rs->wgs84_bounds();
        info.native_bounds = l.rs->native_bounds();
    } else {
        const auto& c = *l.vector;
        info.id = c.id;
        info.title = c.title.empty() ? c.id : c.title;
        info.description = c.description;
        info.is_vector = true;
        info.format = TileFormat::mvt;
        info.formats = {TileFormat::mvt};
        info.min_zoom = c.min_zoom;
        info.max_zoom = std::min(c.max_zoom, static_cast<int>(tms.levels()) - 1);
        info.bounds = l.vs->wgs84_bounds();
        info.native_bounds = l.vs->native_bounds();
        info.fields = l.vs->fields();
        info.geometry_type = l.vs->geometry_type();
    }
}

json bbox_json(const BBox& b) { return b.empty() ? json(nullptr) : json::array({b.min_x, b.min_y, b.max_x, b.max_y}); }
BBox bbox_from(const json& j) {
    if (!j.is_array() || j.size() != 4) return {};
    return BBox::of(j[0].get<double>(), j[1].get<double>(), j[2].get<double>(), j[3].get<double>());
}

json raster_to_json(const RasterLayerConfig& c) {
    json j;
    j["id"] = c.id;
    j["title"] = c.title;
    j["description"] = c.description;
    j["path"] = std::filesystem::absolute(c.path).string();
    j["crs"] = c.crs;
    j["tile_matrix_set"] = c.tile_matrix_set;
    j["format"] = std::string(to_string(c.format));
    j["resampling"] = std::string(to_string(c.resampling));
    j["style"] = std::string(to_string(c.style));
    auto ramp = json::array();
    for (const auto& s : c.ramp) ramp.push_back(json::array({s.value, s.r, s.g, s.b, s.a}));
    j["ramp"] = ramp;
    j["azimuth"] = c.azimuth;
    j["altitude"] = c.altitude;
    j["z_factor"] = c.z_factor;
    j["min_zoom"] = c.min_zoom;
    j["max_zoom"] = c.max_zoom;
    j["quality"] = c.quality;
    return j;
}
RasterLayerConfig raster_from_json(const json& j) {
    RasterLayerConfig c;
    c.id = j.at("id");
    c.title = j.value("title", "");
    c.description = j.value("description", "");
    c.path = j.at("path").get<std::string>();
    c.crs = j.value("crs", "");
    c.tile_matrix_set = j.value("tile_matrix_set", "PM");
    c.format = parse_format(j.value("format", "png")).value_or(TileFormat::png);
    c.resampling = parse_resampling(j.value("resampling", "bilinear")).value_or(Resampling::bilinear);
    c.style = parse_raster_style(j.value("style", "bands")).value_or(RasterStyle::bands);
    for (const auto& s : j.value("ramp", json::array()))
        c.ramp.push_back(ColorStop{s[0].get<double>(), s[1].get<std::uint8_t>(), s[2].get<std::uint8_t>(),
                                   s[3].get<std::uint8_t>(), s[4].get<std::uint8_t>()});
    c.azimuth = j.value("azimuth", 315.0);
    c.altitude = j.value("altitude", 45.0);
    c.z_factor = j.value("z_factor", 1.0);
    c.min_zoom = j.value("min_zoom", 0);
    c.max_zoom = j.value("max_zoom", -1);
    c.quality = j.value("quality", 85);
    return c;
}
json vector_to_json(const VectorLayerConfig& c) {
    json j;
    j["id"] = c.id;
    j["title"] = c.title;
    j["description"] = c.description;
    j["path"] = c.path.string().starts_with("PG:") ? c.path.string() : std::filesystem::absolute(c.path).string();
    j["source_layer"] = c.source_layer;
    j["crs"] = c.crs;
    j["tile_matrix_set"] = c.tile_matrix_set;
    j["fields"] = c.fields;
    j["min_zoom"] = c.min_zoom;
    j["max_zoom"] = c.max_zoom;
    j["extent"] = c.extent;
    j["buffer"] = c.buffer;
    j["simplify"] = c.simplify;
    j["max_features"] = c.max_features;
    j["max_tile_bytes"] = c.max_tile_bytes;
    return j;
}
VectorLayerConfig vector_from_json(const json& j) {
    VectorLayerConfig c;
    c.id = j.at("id");
    c.title = j.value("title", "");
    c.description = j.value("description", "");
    c.path = j.at("path").get<std::string>();
    c.source_layer = j.value("source_layer", "");
    c.crs = j.value("crs", "");
    c.tile_matrix_set = j.value("tile_matrix_set", "PM");
    c.fields = j.value("fields", std::vector<std::string>{});
    c.min_zoom = j.value("min_zoom", 0);
    c.max_zoom = j.value("max_zoom", 14);
    c.extent = j.value("extent", 4096U);
    c.buffer = j.value("buffer", 64U);
    c.simplify = j.value("simplify", 4.0);
    c.max_features = j.value("max_features", std::size_t{200000});
    c.max_tile_bytes = j.value("max_tile_bytes", std::size_t{2000000});
    return c;
}

std::string vector_layers_json(const LayerInfo& info) {
    json fields = json::object();
    for (const auto& f : info.fields) fields[f] = "String";
    json l;
    l["id"] = info.id;
    l["description"] = info.description;
    l["minzoom"] = info.min_zoom;
    l["maxzoom"] = info.max_zoom;
    l["fields"] = fields;
    return json::array({l}).dump();
}

}  // namespace

Tileset Tileset::from_config(const BuildConfig& config, const OpenOptions& options) {
    if (auto p = config.validate(); !p.empty()) throw InvalidArgument(std::move(p));
    auto impl = std::make_shared<Impl>(options);
    for (const auto& r : config.raster_layers) {
        auto l = std::make_unique<LayerState>();
        l->raster = r;
        l->tms_index = impl->add_set(r.tile_matrix_set);
        impl->layers.push_back(std::move(l));
    }
    for (const auto& v : config.vector_layers) {
        auto l = std::make_unique<LayerState>();
        l->vector = v;
        l->tms_index = impl->add_set(v.tile_matrix_set);
        impl->layers.push_back(std::move(l));
    }
    for (auto& l : impl->layers) {
        describe(*l, *impl);
        impl->infos.push_back(l->info);
    }
    return Tileset(std::move(impl));
}

Tileset Tileset::open(const std::filesystem::path& dir, const OpenOptions& options) {
    const auto file = dir / "layers.json";
    std::ifstream in(file, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot read '{}'; rebuild the bundle", file.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    const auto j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format_version", 0) != 1)
        throw FormatError(fmt::format("'{}' is not a geoplex tiles description (format_version 1); rebuild the bundle", file.string()));
    auto impl = std::make_shared<Impl>(options);
    try {
        for (const auto& e : j.at("layers")) {
            auto l = std::make_unique<LayerState>();
            if (e.at("kind") == "raster") l->raster = raster_from_json(e.at("config"));
            else l->vector = vector_from_json(e.at("config"));
            // Custom sets are copied next to layers.json: resolve them there.
            std::string& tms = l->raster ? l->raster->tile_matrix_set : l->vector->tile_matrix_set;
            if (tms.starts_with("tms/")) tms = (dir / tms).string();
            l->tms_index = impl->add_set(tms);
            const auto& i = e.at("info");
            auto& info = l->info;
            info.id = i.at("id");
            info.title = i.value("title", info.id);
            info.description = i.value("description", "");
            info.is_vector = l->vector.has_value();
            info.format = parse_format(i.value("format", "png")).value_or(TileFormat::png);
            info.formats = info.is_vector ? std::vector<TileFormat>{TileFormat::mvt}
                                          : std::vector<TileFormat>{TileFormat::png, TileFormat::jpeg, TileFormat::webp};
            info.tile_matrix_set = impl->sets[l->tms_index].id;
            info.min_zoom = i.value("min_zoom", 0);
            info.max_zoom = i.value("max_zoom", 0);
            info.bounds = bbox_from(i.value("bounds", json()));
            info.native_bounds = bbox_from(i.value("native_bounds", json()));
            info.fields = i.value("fields", std::vector<std::string>{});
            info.geometry_type = i.value("geometry_type", "");
            if (e.contains("pyramid")) {
                const auto& p = e["pyramid"];
                info.pyramid = p.at("file");
                l->pyramid = detail::open_pyramid(dir / info.pyramid);
                l->pyramid_min = p.value("min_zoom", 0);
                l->pyramid_max = p.value("max_zoom", -1);
            }
            impl->infos.push_back(info);
            impl->layers.push_back(std::move(l));
        }
    } catch (const json::exception& e) {
        throw FormatError(fmt::format("'{}': {}; rebuild the bundle", file.string(), e.what()));
    }
    return Tileset(std::move(impl));
}

const std::vector<LayerInfo>& Tileset::layers() const noexcept { return m_impl->infos; }
const LayerInfo* Tileset::find(std::string_view id) const noexcept {
    for (const auto& i : m_impl->infos)
        if (i.id == id) return &i;
    return nullptr;
}
const RasterLayerConfig* Tileset::raster_config(std::string_view id) const noexcept {
    for (const auto& l : m_impl->layers)
        if (l->raster && l->info.id == id) return &*l->raster;
    return nullptr;
}
const VectorLayerConfig* Tileset::vector_config(std::string_view id) const noexcept {
    for (const auto& l : m_impl->layers)
        if (l->vector && l->info.id == id) return &*l->vector;
    return nullptr;
}
const std::vector<TileMatrixSet>& Tileset::tile_matrix_sets() const noexcept { return m_impl->sets; }
const TileMatrixSet* Tileset::find_tile_matrix_set(std::string_view id) const noexcept {
    for (const auto& s : m_impl->sets)
        if (s.id == id) return &s;
    return nullptr;
}

namespace {

/// render() and render_served(): the cache entry on a hit; on a miss the rendered tile, put in
/// the cache (with its ETag) unless it comes from a pyramid. `etag` = compute the ETag of an
/// uncached tile too.
std::shared_ptr<const ServedTile> lookup(const Tileset::Impl& im, std::string_view layer, std::uint32_t z, std::uint64_t x,
                                         std::uint64_t y, std::optional<TileFormat> format, bool etag) {
    std::size_t index = im.layers.size();
    for (std::size_t i = 0; i < im.layers.size(); ++i)
        if (im.layers[i]->info.id == layer) index = i;
    if (index == im.layers.size()) throw Error(errc::not_found, fmt::format("unknown layer '{}'", layer));
    const LayerState& l = *im.layers[index];
    const TileFormat f = format.value_or(l.info.format);
    if (std::find(l.info.formats.begin(), l.info.formats.end(), f) == l.info.formats.end())
        throw InvalidArgument(fmt::format("layer '{}' is not served as {}", layer, to_string(f)));
    if (static_cast<int>(z) < l.info.min_zoom || static_cast<int>(z) > l.info.max_zoom || !im.within_limits(l, z, x, y)) {
        auto out = std::make_shared<ServedTile>();
        out->tile.format = f;
        out->tile.status = TileStatus::out_of_range;
        return out;
    }
    const CacheKey key{index, z, x, y, f};
    if (auto hit = im.cache.get(key)) return hit;
    auto out = std::make_shared<ServedTile>();
    out->tile = im.render_uncached(l, z, x, y, f);
    const bool cached = !l.pyramid && im.cache.enabled();
    if (out->tile.status == TileStatus::ok && (etag || cached)) out->etag = detail::tile_etag(out->tile.bytes);
    if (cached) im.cache.put(key, out);
    return out;
}

}  // namespace

Tile Tileset::render(std::string_view layer, std::uint32_t z, std::uint64_t x, std::uint64_t y,
                     std::optional<TileFormat> format) const {
    return lookup(*m_impl, layer, z, x, y, format, false)->tile;
}

std::string detail::tile_etag(std::string_view bytes) {
    // FNV-1a 64 + length: stable across restarts for the same bytes (the bundle is immutable).
    // This basis (not the standard one) keeps the ETags served so far unchanged.
    const std::uint64_t h = core::fnv1a64(bytes, 1469598103934665603ULL);
    return fmt::format("\"{:016x}-{:x}\"", h, bytes.size());
}

std::shared_ptr<const ServedTile> detail::render_served(const Tileset& tileset, std::string_view layer, std::uint32_t z,
                                                        std::uint64_t x, std::uint64_t y, std::optional<TileFormat> format) {
    return lookup(tileset.impl(), layer, z, x, y, format, true);
}

// ---- pyramids ------------------------------------------------------------------------------

std::uint64_t write_pyramid(const Tileset& tileset, const PyramidConfig& pyramid, const std::filesystem::path& output,
                            unsigned threads, const core::Callbacks& callbacks) {
    const auto& im = tileset.impl();
    const LayerInfo* info = tileset.find(pyramid.layer);
    if (info == nullptr) throw Error(errc::not_found, fmt::format("unknown layer '{}'", pyramid.layer));
    const TileMatrixSet* tms = tileset.find_tile_matrix_set(info->tile_matrix_set);
    const TileFormat format = pyramid.format.value_or(info->format);
    const int zmin = std::max(pyramid.min_zoom, info->min_zoom);
    const int zmax = std::min(pyramid.max_zoom >= 0 ? pyramid.max_zoom : info->max_zoom, info->max_zoom);
    // PMTiles addresses tiles by WebMercatorQuad Hilbert ids (x, y < 2^z): other sets go to
    // MBTiles (rows flipped by the set's heights, the set recorded) or to a directory.
    if (!tms->is_web_mercator_quad() && pyramid.container == PyramidContainer::pmtiles)
        throw InvalidArgument(fmt::format("layer '{}': PMTiles holds WebMercatorQuad tiles only (set {}); use container "
                                          "\"mbtiles\" or \"directory\"", info->id, info->tile_matrix_set));
    const BBox area = pyramid.bbox.empty() ? info->native_bounds : to_native(pyramid.bbox, tms->crs);
    std::size_t layer_index = 0;
    for (std::size_t i = 0; i < im.layers.size(); ++i)
        if (im.layers[i]->info.id == info->id) layer_index = i;
    const LayerState& l = *im.layers[layer_index];

    std::unique_ptr<detail::PyramidWriter> writer;
    switch (pyramid.container) {
        case PyramidContainer::pmtiles: writer = detail::make_pmtiles_writer(output); break;
        case PyramidContainer::mbtiles: writer = detail::make_mbtiles_writer(output, tms); break;
        case PyramidContainer::directory: writer = detail::make_directory_writer(output, format, tms); break;
    }
    if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
    std::atomic<std::uint64_t> written{0};
    for (int z = zmin; z <= zmax; ++z) {
        const TileMatrix& m = tms->matrices[static_cast<std::size_t>(z)];
        auto col = [&](double x) { return std::clamp<double>(std::floor((x - m.origin_x) / m.tile_span_x()), 0, static_cast<double>(m.matrix_width - 1)); };
        auto row = [&](double y) { return std::clamp<double>(std::floor((m.origin_y - y) / m.tile_span_y()), 0, static_cast<double>(m.matrix_height - 1)); };
        const auto c0 = static_cast<std::uint64_t>(col(area.min_x)), c1 = static_cast<std::uint64_t>(col(area.max_x));
        const auto r0 = static_cast<std::uint64_t>(row(area.max_y)), r1 = static_cast<std::uint64_t>(row(area.min_y));
        const std::uint64_t total = (c1 - c0 + 1) * (r1 - r0 + 1);
        std::atomic<std::uint64_t> next{0}, done{0};
        std::exception_ptr error;
        std::mutex error_mutex;
        const std::string task = fmt::format("tiles: {} z{}", info->id, z);
        auto work = [&] {
            try {
                for (std::uint64_t k = next++; k < total; k = next++) {
                    const std::uint64_t x = c0 + k % (c1 - c0 + 1);
                    const std::uint64_t y = r0 + k / (c1 - c0 + 1);
                    if (im.within_limits(l, static_cast<std::uint32_t>(z), x, y)) {
                        Tile t = im.render_uncached(l, static_cast<std::uint32_t>(z), x, y, format);
                        if (t.status == TileStatus::ok) {
                            writer->add(detail::TileRecord{static_cast<std::uint32_t>(z), x, y, std::move(t.bytes)});
                            ++written;
                        }
                    }
                    const auto d = ++done;
                    if (d % 64 == 0) {
                        if (callbacks.cancel_requested && callbacks.cancel_requested()) throw Error(errc::cancelled, "cancelled");
                    }
                }
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!error) error = std::current_exception();
                next = total;
            }
        };
        std::vector<std::thread> pool;
        const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(threads, total));
        for (unsigned i = 1; i < n; ++i) pool.emplace_back(work);
        // The calling thread works too and reports progress between its tiles.
        work();
        for (auto& t : pool) t.join();
        if (error) std::rethrow_exception(error);
        callbacks.report(task, total, total);
    }
    detail::PyramidMetadata meta;
    meta.name = info->title;
    meta.description = info->description;
    meta.format = format;
    meta.gzipped = format == TileFormat::mvt && im.options.gzip_vector_tiles;
    meta.min_zoom = zmin;
    meta.max_zoom = zmax;
    meta.bounds = info->bounds;
    if (info->is_vector) meta.vector_layers = vector_layers_json(*info);
    writer->finish(meta);
    return written;
}

// ---- Builder -------------------------------------------------------------------------------

Builder::Builder(BuildConfig config) : m_config(std::move(config)) {
    if (auto p = m_config.validate(); !p.empty()) throw InvalidArgument(std::move(p));
}

void Builder::build(const std::filesystem::path& out_dir, const core::Callbacks& callbacks) const {
    std::filesystem::create_directories(out_dir);
    callbacks.info("tiles: opening the layers");
    OpenOptions options;
    options.cache_bytes = 0;
    // Custom tile matrix sets are copied into the bundle so that it does not depend on them.
    BuildConfig cfg = m_config;
    auto copy_tms = [&](std::string& name) {
        if (name.find('/') == std::string::npos && !name.ends_with(".json")) return;
        const TileMatrixSet s = detail::resolve_tile_matrix_set(name);
        std::filesystem::create_directories(out_dir / "tms");
        std::ofstream(out_dir / "tms" / (s.id + ".json")) << s.to_json();
        name = "tms/" + s.id + ".json";
    };
    const Tileset tileset = Tileset::from_config(m_config, options);
    for (auto& r : cfg.raster_layers) copy_tms(r.tile_matrix_set);
    for (auto& v : cfg.vector_layers) copy_tms(v.tile_matrix_set);

    json layers = json::array();
    auto add = [&](const LayerInfo& info, json config, const char* kind) {
        json e;
        e["kind"] = kind;
        e["config"] = std::move(config);
        json i;
        i["id"] = info.id;
        i["title"] = info.title;
        i["description"] = info.description;
        i["format"] = std::string(to_string(info.format));
        i["tile_matrix_set"] = info.tile_matrix_set;
        i["min_zoom"] = info.min_zoom;
        i["max_zoom"] = info.max_zoom;
        i["bounds"] = bbox_json(info.bounds);
        i["native_bounds"] = bbox_json(info.native_bounds);
        if (info.is_vector) {
            i["fields"] = info.fields;
            i["geometry_type"] = info.geometry_type;
        }
        e["info"] = std::move(i);
        for (const auto& p : m_config.pyramids) {
            if (p.layer != info.id) continue;
            const std::string file = info.id + (p.container == PyramidContainer::pmtiles   ? ".pmtiles"
                                                : p.container == PyramidContainer::mbtiles ? ".mbtiles"
                                                                                           : ".tiles");
            callbacks.info(fmt::format("tiles: writing {}", file));
            callbacks.check_cancelled();
            write_pyramid(tileset, p, out_dir / file, m_config.threads, callbacks);
            const int zmax = p.max_zoom >= 0 ? std::min(p.max_zoom, info.max_zoom) : info.max_zoom;
            e["pyramid"] = json{{"file", file}, {"min_zoom", std::max(p.min_zoom, info.min_zoom)}, {"max_zoom", zmax}};
            if (!p.format || *p.format == info.format) break;
            e.erase("pyramid");  // a pyramid in another format than the layer's is a download only
        }
        layers.push_back(std::move(e));
    };
    for (std::size_t i = 0; i < cfg.raster_layers.size(); ++i)
        add(*tileset.find(cfg.raster_layers[i].id), raster_to_json(cfg.raster_layers[i]), "raster");
    for (std::size_t i = 0; i < cfg.vector_layers.size(); ++i)
        add(*tileset.find(cfg.vector_layers[i].id), vector_to_json(cfg.vector_layers[i]), "vector");
    json root;
    root["format_version"] = 1;
    root["layers"] = std::move(layers);
    std::ofstream out(out_dir / "layers.json", std::ios::binary | std::ios::trunc);
    out << root.dump(2);
    if (!out) throw IoError(fmt::format("cannot write '{}'", (out_dir / "layers.json").string()));
}

}  // namespace geoplex::tiles
