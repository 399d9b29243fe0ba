#include "tiles/spec.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/spec_reader.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::tiles::detail {

namespace {

std::optional<double> number_at(const toml::array& a, std::size_t i) {
    const toml::node* n = a.get(i);
    if (n == nullptr) return std::nullopt;
    return n->value<double>();
}
std::optional<std::int64_t> integer_at(const toml::array& a, std::size_t i) {
    const toml::node* n = a.get(i);
    if (n == nullptr) return std::nullopt;
    return n->value<std::int64_t>();
}

struct Reader : core::detail::SpecReader {
    template <class T>
    T number(const toml::table& t, const std::string& where, std::string_view key, T fallback) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        if constexpr (std::is_integral_v<T>) {
            if (const auto* v = node->as_integer()) return static_cast<T>(v->get());
            problems.push_back(fmt::format("{}.{}: must be an integer", where, key));
        } else {
            if (const auto* v = node->as_floating_point()) return static_cast<T>(v->get());
            if (const auto* v = node->as_integer()) return static_cast<T>(v->get());
            problems.push_back(fmt::format("{}.{}: must be a number", where, key));
        }
        return fallback;
    }
    std::filesystem::path path(const toml::table& t, const std::string& where, const std::filesystem::path& dir) {
        const std::string p = string(t, where, "path", true);
        if (p.empty() || p.starts_with("PG:")) return p;
        std::filesystem::path fp(p);
        return fp.is_absolute() ? fp : (dir / fp).lexically_normal();
    }
    std::string tms(const toml::table& t, const std::string& where, const std::filesystem::path& dir) {
        std::string s = string(t, where, "tile_matrix_set", false, "PM");
        if (s.ends_with(".json") && !std::filesystem::path(s).is_absolute()) s = (dir / s).lexically_normal().string();
        return s;
    }
};

template <class F>
void each_table(const toml::table& section, std::string_view key, const std::string& where, std::vector<std::string>& problems, F f) {
    const auto* node = section.get(key);
    if (node == nullptr) return;
    const auto* arr = node->as_array();
    if (arr == nullptr) {
        problems.push_back(fmt::format("{}.{}: must be an array of tables ([[{}.{}]])", where, key, where, key));
        return;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string w = fmt::format("{}.{}[{}]", where, key, i);
        const toml::node* n = arr->get(i);
        const auto* t = n != nullptr ? n->as_table() : nullptr;
        if (t == nullptr) {
            problems.push_back(w + ": must be a table");
            continue;
        }
        f(*t, w);
    }
}

}  // namespace

BuildConfig config_from_toml(const toml::table& section, const std::filesystem::path& spec_dir) {
    std::vector<std::string> problems;
    Reader rd{problems};
    BuildConfig cfg;
    rd.check_keys(section, "tiles", {"threads", "raster", "vector", "pyramids"});
    cfg.threads = rd.number<unsigned>(section, "tiles", "threads", 0U);
    each_table(section, "raster", "tiles", problems, [&](const toml::table& t, const std::string& w) {
        rd.check_keys(t, w, {"id", "title", "description", "path", "crs", "tile_matrix_set", "format", "resampling", "style",
                             "ramp", "azimuth", "altitude", "z_factor", "min_zoom", "max_zoom", "quality"});
        RasterLayerConfig c;
        c.id = rd.string(t, w, "id", true);
        c.title = rd.string(t, w, "title", false);
        c.description = rd.string(t, w, "description", false);
        c.path = rd.path(t, w, spec_dir);
        c.crs = rd.string(t, w, "crs", false);
        c.tile_matrix_set = rd.tms(t, w, spec_dir);
        const std::string format = rd.string(t, w, "format", false, "png");
        if (auto f = parse_format(format)) c.format = *f;
        else problems.push_back(fmt::format("{}.format: '{}' is not one of png, jpeg, webp", w, format));
        const std::string res = rd.string(t, w, "resampling", false, "bilinear");
        if (auto r = parse_resampling(res)) c.resampling = *r;
        else problems.push_back(fmt::format("{}.resampling: '{}' is not one of nearest, bilinear, cubic, lanczos, average", w, res));
        const std::string style = rd.string(t, w, "style", false, "bands");
        if (auto s = parse_raster_style(style)) c.style = *s;
        else problems.push_back(fmt::format("{}.style: '{}' is not one of bands, hillshade, color_ramp", w, style));
        if (const auto* ramp = t.get("ramp")) {
            const auto* arr = ramp->as_array();
            bool ok = arr != nullptr;
            if (arr != nullptr)
                for (const auto& stop : *arr) {
                    const auto* s = stop.as_array();
                    if (s == nullptr || (s->size() != 4 && s->size() != 5)) { ok = false; continue; }
                    ColorStop cs;
                    cs.value = number_at(*s, 0).value_or(0);
                    auto byte = [&](std::size_t i, std::uint8_t dflt) {
                        if (i >= s->size()) return dflt;
                        const auto v = integer_at(*s, i);
                        if (!v || *v < 0 || *v > 255) ok = false;
                        return static_cast<std::uint8_t>(v.value_or(0));
                    };
                    cs.r = byte(1, 0); cs.g = byte(2, 0); cs.b = byte(3, 0); cs.a = byte(4, 255);
                    c.ramp.push_back(cs);
                }
            if (!ok) problems.push_back(w + ".ramp: must be an array of [value, r, g, b(, a)] with colours in 0..255");
        }
        c.azimuth = rd.number<double>(t, w, "azimuth", c.azimuth);
        c.altitude = rd.number<double>(t, w, "altitude", c.altitude);
        c.z_factor = rd.number<double>(t, w, "z_factor", c.z_factor);
        c.min_zoom = rd.number<int>(t, w, "min_zoom", c.min_zoom);
        c.max_zoom = rd.number<int>(t, w, "max_zoom", c.max_zoom);
        c.quality = rd.number<int>(t, w, "quality", c.quality);
        cfg.raster_layers.push_back(std::move(c));
    });
    each_table(section, "vector", "tiles", problems, [&](const toml::table& t, const std::string& w) {
        rd.check_keys(t, w, {"id", "title", "description", "path", "layer", "crs", "tile_matrix_set", "fields", "min_zoom",
                             "max_zoom", "extent", "buffer", "simplify", "max_features", "max_tile_bytes"});
        VectorLayerConfig c;
        c.id = rd.string(t, w, "id", true);
        c.title = rd.string(t, w, "title", false);
        c.description = rd.string(t, w, "description", false);
        c.path = rd.path(t, w, spec_dir);
        c.source_layer = rd.string(t, w, "layer", false);
        c.crs = rd.string(t, w, "crs", false);
        c.tile_matrix_set = rd.tms(t, w, spec_dir);
        c.fields = rd.strings(t, w, "fields");
        c.min_zoom = rd.number<int>(t, w, "min_zoom", c.min_zoom);
        c.max_zoom = rd.number<int>(t, w, "max_zoom", c.max_zoom);
        c.extent = rd.number<std::uint32_t>(t, w, "extent", c.extent);
        c.buffer = rd.number<std::uint32_t>(t, w, "buffer", c.buffer);
        c.simplify = rd.number<double>(t, w, "simplify", c.simplify);
        c.max_features = rd.number<std::size_t>(t, w, "max_features", c.max_features);
        c.max_tile_bytes = rd.number<std::size_t>(t, w, "max_tile_bytes", c.max_tile_bytes);
        cfg.vector_layers.push_back(std::move(c));
    });
    each_table(section, "pyramids", "tiles", problems, [&](const toml::table& t, const std::string& w) {
        rd.check_keys(t, w, {"layer", "container", "min_zoom", "max_zoom", "format", "bbox"});
        PyramidConfig p;
        p.layer = rd.string(t, w, "layer", true);
        const std::string container = rd.string(t, w, "container", false, "pmtiles");
        if (container == "pmtiles") p.container = PyramidContainer::pmtiles;
        else if (container == "mbtiles") p.container = PyramidContainer::mbtiles;
        else if (container == "directory") p.container = PyramidContainer::directory;
        else problems.push_back(fmt::format("{}.container: '{}' is not one of pmtiles, mbtiles, directory", w, container));
        p.min_zoom = rd.number<int>(t, w, "min_zoom", 0);
        p.max_zoom = rd.number<int>(t, w, "max_zoom", -1);
        if (t.contains("format")) {
            const std::string f = rd.string(t, w, "format", false);
            if (auto pf = parse_format(f)) p.format = *pf;
            else problems.push_back(fmt::format("{}.format: '{}' is not one of png, jpeg, webp, pbf", w, f));
        }
        if (const auto* b = t.get("bbox")) {
            const auto* arr = b->as_array();
            if (arr == nullptr || arr->size() != 4) problems.push_back(w + ".bbox: must be [west, south, east, north]");
            else p.bbox = BBox::of(number_at(*arr, 0).value_or(0), number_at(*arr, 1).value_or(0),
                                   number_at(*arr, 2).value_or(0), number_at(*arr, 3).value_or(0));
        }
        cfg.pyramids.push_back(std::move(p));
    });
    for (auto& p : cfg.validate()) problems.push_back("tiles." + p);
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return cfg;
}

}  // namespace geoplex::tiles::detail
