// WMS maps: raster layers warped by the tiles component's RasterSource into the request's grid,
// vector layers drawn by an anti-aliased scanline rasterizer (exact horizontal coverage, 4
// sub-scanlines per pixel row), composited in order with "source over".

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "ogc/detail.hpp"

namespace geoplex::ogc {

namespace {

using detail::Borrowed;
using detail::Srs;
using detail::Transform;
using tiles::detail::Image;

struct Pt {
    double x, y;
};
using Ring = std::vector<Pt>;

/// Coverage accumulator for one shape at a time; composite() blends it and clears what it used.
class Rasterizer {
public:
    Rasterizer(int w, int h) : m_w(w), m_h(h), m_cov(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), 0.0F) {}

    /// Adds the coverage of the area inside `rings` (even-odd, or non-zero winding to union
    /// shapes of one orientation).
    void fill(const std::vector<Ring>& rings, bool nonzero) {
        constexpr int ss = 4;
        m_edges.clear();
        for (const auto& r : rings) {
            for (std::size_t i = 0; i + 1 < r.size() || (r.size() > 2 && i + 1 == r.size()); ++i) {
                const Pt a = r[i];
                const Pt b = r[(i + 1) % r.size()];
                if (a.y == b.y || !std::isfinite(a.x + a.y + b.x + b.y)) continue;
                m_edges.push_back(a.y < b.y ? Edge{a.x, a.y, b.x, b.y, 1} : Edge{b.x, b.y, a.x, a.y, -1});
            }
        }
        if (m_edges.empty()) return;
        std::sort(m_edges.begin(), m_edges.end(), [](const Edge& p, const Edge& q) { return p.y0 < q.y0; });
        double ymax = -1e300;
        for (const auto& e : m_edges) ymax = std::max(ymax, e.y1);
        const int s0 = std::max(0, static_cast<int>(std::floor(m_edges.front().y0 * ss)));
        const int s1 = std::min(m_h * ss - 1, static_cast<int>(std::ceil(ymax * ss)));
        std::size_t next = 0;
        m_active.clear();
        for (int s = s0; s <= s1; ++s) {
            const double yc = (s + 0.5) / ss;
            while (next < m_edges.size() && m_edges[next].y0 <= yc) m_active.push_back(&m_edges[next++]);
            m_active.erase(std::remove_if(m_active.begin(), m_active.end(), [yc](const Edge* e) { return e->y1 <= yc; }),
                           m_active.end());
            m_cross.clear();
            for (const Edge* e : m_active) {
                if (e->y0 > yc) continue;
                m_cross.emplace_back(e->x0 + (yc - e->y0) * (e->x1 - e->x0) / (e->y1 - e->y0), e->dir);
            }
            if (m_cross.size() < 2) continue;
            std::sort(m_cross.begin(), m_cross.end());
            const int row = s / ss;
            int winding = 0;
            for (std::size_t k = 0; k + 1 < m_cross.size(); ++k) {
                winding += nonzero ? m_cross[k].second : 1;
                const bool inside = nonzero ? winding != 0 : (winding & 1) != 0;
                if (inside) span(row, m_cross[k].first, m_cross[k + 1].first, 1.0F / ss);
            }
        }
    }

    /// Blends `color` × coverage × opacity onto `img`, then clears the coverage.
    void composite(Image& img, Rgba color, double opacity) {
        if (m_x1 < m_x0) return;
        const double base = color.a / 255.0 * opacity;
        for (int y = m_y0; y <= m_y1; ++y) {
            for (int x = m_x0; x <= m_x1; ++x) {
                float& c = m_cov[static_cast<std::size_t>(y) * static_cast<std::size_t>(m_w) + static_cast<std::size_t>(x)];
                if (c <= 0) continue;
                const double a = std::min(1.0F, c) * base;
                c = 0;
                std::uint8_t* o = &img.rgba[(static_cast<std::size_t>(y) * static_cast<std::size_t>(m_w) + static_cast<std::size_t>(x)) * 4];
                const double da = o[3] / 255.0;
                const double oa = a + da * (1 - a);
                if (oa <= 0) continue;
                auto mix = [&](std::uint8_t src, std::uint8_t dst) {
                    return static_cast<std::uint8_t>(std::lround((src * a + dst * da * (1 - a)) / oa));
                };
                o[0] = mix(color.r, o[0]);
                o[1] = mix(color.g, o[1]);
                o[2] = mix(color.b, o[2]);
                o[3] = static_cast<std::uint8_t>(std::lround(oa * 255));
            }
        }
        m_x0 = m_y0 = std::numeric_limits<int>::max();
        m_x1 = m_y1 = -1;
    }

private:
    struct Edge {
        double x0, y0, x1, y1;
        int dir;
    };

    void span(int row, double xa, double xb, float weight) {
        xa = std::max(xa, 0.0);
        xb = std::min(xb, static_cast<double>(m_w));
        if (xb <= xa) return;
        const int ia = static_cast<int>(xa);
        const int ib = std::min(m_w - 1, static_cast<int>(xb));
        float* line = &m_cov[static_cast<std::size_t>(row) * static_cast<std::size_t>(m_w)];
        if (ia == ib) {
            line[ia] += static_cast<float>(xb - xa) * weight;
        } else {
            line[ia] += static_cast<float>(ia + 1 - xa) * weight;
            for (int k = ia + 1; k < ib; ++k) line[k] += weight;
            line[ib] += static_cast<float>(xb - ib) * weight;
        }
        m_x0 = std::min(m_x0, ia);
        m_x1 = std::max(m_x1, ib);
        m_y0 = std::min(m_y0, row);
        m_y1 = std::max(m_y1, row);
    }

    int m_w, m_h;
    std::vector<float> m_cov;
    std::vector<Edge> m_edges;
    std::vector<const Edge*> m_active;
    std::vector<std::pair<double, int>> m_cross;
    int m_x0 = std::numeric_limits<int>::max(), m_y0 = std::numeric_limits<int>::max(), m_x1 = -1, m_y1 = -1;
};

/// A disc as a polygon, clockwise like the stroke quads (see stroke()).
Ring disc(Pt c, double r) {
    const int n = std::clamp(static_cast<int>(r * 4), 8, 32);
    Ring out;
    for (int i = 0; i < n; ++i) {
        const double t = -2 * std::numbers::pi * i / n;
        out.push_back({c.x + r * std::cos(t), c.y + r * std::sin(t)});
    }
    return out;
}

/// A polyline of `width` pixels as quads per segment plus round joins, all of one orientation
/// so that the non-zero rule unions them.
void stroke(const Ring& line, bool closed, double width, std::vector<Ring>& out) {
    const double hw = width / 2;
    const std::size_t n = line.size();
    const std::size_t segments = closed ? n : (n == 0 ? 0 : n - 1);
    for (std::size_t i = 0; i < segments; ++i) {
        const Pt a = line[i], b = line[(i + 1) % n];
        const double dx = b.x - a.x, dy = b.y - a.y;
        const double len = std::hypot(dx, dy);
        if (len == 0) continue;
        const double nx = -dy / len * hw, ny = dx / len * hw;
        Ring q{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}};
        // Orientation: make every quad clockwise in (x, y) so that unions do not cancel.
        const double area = (q[1].x - q[0].x) * (q[2].y - q[0].y) - (q[2].x - q[0].x) * (q[1].y - q[0].y);
        if (area > 0) std::reverse(q.begin(), q.end());
        out.push_back(std::move(q));
    }
    if (width > 1.5)
        for (std::size_t i = 0; i < n; ++i) out.push_back(disc(line[i], hw));
}

struct Projector {
    BBox box;
    double sx, sy;
    Pt operator()(double x, double y) const { return {(x - box.min_x) * sx, (box.max_y - y) * sy}; }
};

/// The pixel-space vertices of a curve; vertices within a quarter pixel of the last kept one are
/// dropped (invisible at this scale, and detailed borders drawn small have thousands per pixel).
Ring ring_of(OGRGeometryH g, const Projector& p) {
    Ring r;
    const int n = OGR_G_GetPointCount(g);
    r.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const Pt q = p(OGR_G_GetX(g, i), OGR_G_GetY(g, i));
        if (!r.empty() && i + 1 < n && std::abs(q.x - r.back().x) < 0.25 && std::abs(q.y - r.back().y) < 0.25) continue;
        r.push_back(q);
    }
    return r;
}

/// Draws one geometry (any type, collections recursed) with `style`.
void draw(OGRGeometryH g, const Projector& p, const VectorStyle& style, Rasterizer& ras, Image& img) {
    const auto type = wkbFlatten(OGR_G_GetGeometryType(g));
    const double op = style.opacity;
    switch (type) {
        case wkbPoint: {
            if (OGR_G_IsEmpty(g) != 0) return;
            const Pt c = p(OGR_G_GetX(g, 0), OGR_G_GetY(g, 0));
            ras.fill({disc(c, style.point_radius)}, true);
            ras.composite(img, style.point, op);
            std::vector<Ring> outline;
            stroke(disc(c, style.point_radius), true, 1.0, outline);
            ras.fill(outline, true);
            ras.composite(img, style.stroke, op * style.stroke_opacity);
            return;
        }
        case wkbLineString: {
            std::vector<Ring> quads;
            stroke(ring_of(g, p), false, style.stroke_width, quads);
            ras.fill(quads, true);
            ras.composite(img, style.stroke, op * style.stroke_opacity);
            return;
        }
        case wkbPolygon: {
            std::vector<Ring> rings;
            for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) rings.push_back(ring_of(OGR_G_GetGeometryRef(g, i), p));
            ras.fill(rings, false);
            ras.composite(img, style.fill, op * style.fill_opacity);
            if (style.stroke_width > 0) {
                std::vector<Ring> quads;
                for (const auto& r : rings) stroke(r, true, style.stroke_width, quads);
                ras.fill(quads, true);
                ras.composite(img, style.stroke, op * style.stroke_opacity);
            }
            return;
        }
        default:
            for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) draw(OGR_G_GetGeometryRef(g, i), p, style, ras, img);
    }
}

void blend(Image& dst, const Image& src) {
    for (std::size_t i = 0; i < dst.rgba.size(); i += 4) {
        const double a = src.rgba[i + 3] / 255.0;
        if (a <= 0) continue;
        const double da = dst.rgba[i + 3] / 255.0;
        const double oa = a + da * (1 - a);
        for (int c = 0; c < 3; ++c)
            dst.rgba[i + static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(
                std::lround((src.rgba[i + static_cast<std::size_t>(c)] * a + dst.rgba[i + static_cast<std::size_t>(c)] * da * (1 - a)) / oa));
        dst.rgba[i + 3] = static_cast<std::uint8_t>(std::lround(oa * 255));
    }
}

const VectorStyle& style_of(const detail::LayerState& l, const std::string& name) {
    if (name.empty() || name == "default") return l.styles.front();
    for (const auto& s : l.styles)
        if (s.name == name) return s;
    throw OgcError("StyleNotDefined", fmt::format("layer '{}' has no style '{}'", l.info.id, name), "STYLES");
}

void check_map(const MapRequest& r, const ServicesOptions& o) {
    if (r.width == 0 || r.height == 0 || r.width > o.max_map_size || r.height > o.max_map_size)
        throw OgcError("InvalidParameterValue",
                       fmt::format("WIDTH and HEIGHT must be in 1..{} (got {}×{})", o.max_map_size, r.width, r.height),
                       r.width == 0 || r.width > o.max_map_size ? "WIDTH" : "HEIGHT");
    if (!(r.bbox.min_x < r.bbox.max_x && r.bbox.min_y < r.bbox.max_y) ||
        !std::isfinite(r.bbox.min_x + r.bbox.min_y + r.bbox.max_x + r.bbox.max_y))
        throw OgcError("InvalidParameterValue", "BBOX must have min < max on both axes", "BBOX");
    if (r.layers.empty()) throw OgcError("LayerNotDefined", "LAYERS is empty", "LAYERS");
    if (!r.styles.empty() && r.styles.size() != r.layers.size())
        throw OgcError("StyleNotDefined", "STYLES must have one entry per layer (or be empty)", "STYLES");
}

}  // namespace

MapImage Services::get_map(const MapRequest& r) const {
    const auto& im = *m_impl;
    check_map(r, im.options);
    detail::QuietGdal quiet;
    const std::string crs = detail::normalize_crs(r.crs);
    Srs map_srs(crs);
    Image img;
    img.width = r.width;
    img.height = r.height;
    img.rgba.resize(static_cast<std::size_t>(r.width) * r.height * 4);
    for (std::size_t i = 0; i < img.rgba.size(); i += 4) {
        img.rgba[i] = r.background.r;
        img.rgba[i + 1] = r.background.g;
        img.rgba[i + 2] = r.background.b;
        img.rgba[i + 3] = r.transparent ? 0 : 255;
    }
    // Every layer and style is checked before drawing anything.
    std::vector<std::pair<const detail::LayerState*, const VectorStyle*>> plan;
    for (std::size_t k = 0; k < r.layers.size(); ++k) {
        const auto& l = im.layer(r.layers[k]);
        const std::string style = r.styles.empty() ? std::string() : r.styles[k];
        if (l.raster && !style.empty() && style != "default")
            throw OgcError("StyleNotDefined", fmt::format("layer '{}' has no style '{}'", l.info.id, style), "STYLES");
        plan.emplace_back(&l, l.vector ? &style_of(l, style) : nullptr);
    }
    Rasterizer ras(static_cast<int>(r.width), static_cast<int>(r.height));
    for (const auto& [l, style] : plan) {
        if (l->raster) {
            if (auto part = l->raster->render_area(crs == "OGC:CRS84" ? "OGC:CRS84" : crs, r.bbox, r.width, r.height)) blend(img, *part);
            continue;
        }
        Borrowed b(*l->vector);
        Srs src = detail::source_srs(*l->vector, b.lyr);
        Transform to_src(map_srs.h, src.h);
        Transform to_map(src.h, map_srs.h);
        // Features whose symbol reaches into the map: widen the box by the largest symbol.
        const double margin_px = std::max(style->stroke_width, style->point_radius) + 1;
        const double mx = (r.bbox.max_x - r.bbox.min_x) / r.width * margin_px;
        const double my = (r.bbox.max_y - r.bbox.min_y) / r.height * margin_px;
        double x0 = r.bbox.min_x - mx, y0 = r.bbox.min_y - my, x1 = r.bbox.max_x + mx, y1 = r.bbox.max_y + my;
        if (to_src.h != nullptr && OCTTransformBounds(to_src.h, x0, y0, x1, y1, &x0, &y0, &x1, &y1, 21) == 0) continue;
        OGR_L_SetSpatialFilterRect(b.lyr, x0, y0, x1, y1);
        OGR_L_ResetReading(b.lyr);
        const Projector proj{r.bbox, r.width / (r.bbox.max_x - r.bbox.min_x), r.height / (r.bbox.max_y - r.bbox.min_y)};
        while (OGRFeatureH f = OGR_L_GetNextFeature(b.lyr)) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (g != nullptr && (to_map.h == nullptr || OGR_G_Transform(g, to_map.h) == OGRERR_NONE))
                draw(g, proj, *style, ras, img);
            OGR_F_Destroy(f);
        }
    }
    MapImage out;
    out.mime = std::string(tiles::mime_type(r.format));
    out.bytes = tiles::detail::encode_image(img, r.format, r.quality);
    return out;
}

std::vector<std::string> Services::feature_info(const MapRequest& r, const std::vector<std::string>& layers, int i, int j,
                                                std::size_t max_features) const {
    const auto& im = *m_impl;
    check_map(r, im.options);
    if (i < 0 || j < 0 || i >= static_cast<int>(r.width) || j >= static_cast<int>(r.height))
        throw OgcError("InvalidPoint", fmt::format("I/J ({}, {}) outside the {}×{} map", i, j, r.width, r.height), i < 0 || i >= static_cast<int>(r.width) ? "I" : "J");
    detail::QuietGdal quiet;
    const std::string crs = detail::normalize_crs(r.crs);
    Srs map_srs(crs);
    const double rx = (r.bbox.max_x - r.bbox.min_x) / r.width, ry = (r.bbox.max_y - r.bbox.min_y) / r.height;
    const double x = r.bbox.min_x + (i + 0.5) * rx, y = r.bbox.max_y - (j + 0.5) * ry;
    std::vector<std::string> out;
    using json = nlohmann::ordered_json;
    for (const auto& id : layers) {
        const auto& l = im.layer(id);
        if (std::find(r.layers.begin(), r.layers.end(), id) == r.layers.end())
            throw OgcError("LayerNotQueryable", fmt::format("layer '{}' is not in LAYERS", id), "QUERY_LAYERS");
        if (l.raster) {
            if (auto v = l.raster->sample(crs, x, y)) {
                json f{{"type", "Feature"}, {"id", l.info.id}, {"geometry", nullptr}, {"properties", json::object()}};
                f["properties"]["layer"] = l.info.id;
                for (std::size_t k = 0; k < v->size(); ++k) f["properties"][fmt::format("band_{}", k + 1)] = (*v)[k];
                out.push_back(f.dump(-1, ' ', false, json::error_handler_t::replace));
            }
            continue;
        }
        // Vector: the features within a few pixels of the point, through the same engine as WFS.
        FeatureQuery q;
        q.layer = id;
        const double t = im.options.info_tolerance_px;
        q.bbox = BBox::of(x - t * rx, y - t * ry, x + t * rx, y + t * ry);
        q.bbox_crs = crs;
        q.count = max_features;
        auto s = open_features(q, FeatureFormat::geojson);
        std::string all;
        while (s->next(all, 1 << 20)) {
        }
        // Split the comma-separated objects back (each starts with {"type":"Feature").
        std::size_t pos = 0;
        while (pos < all.size()) {
            const auto nextp = all.find(",{\"type\":\"Feature\"", pos + 1);
            out.push_back(all.substr(pos, nextp == std::string::npos ? std::string::npos : nextp - pos));
            if (nextp == std::string::npos) break;
            pos = nextp + 1;
        }
    }
    return out;
}

}  // namespace geoplex::ogc
