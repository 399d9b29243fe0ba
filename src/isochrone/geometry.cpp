// Reached pieces → contour polygons. The pieces are rasterised in a local metric projection,
// widened by `buffer_m` (chamfer distance transform), small unreachable pockets filled, the
// cell boundaries traced into rings (outer rings counter-clockwise, holes clockwise, grouped by
// 4-connected component, diagonal-only contacts removed so every ring is simple), and the
// staircase smoothed by GEOS's topology-preserving simplifier. GEOS checks validity last.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>
#include <geos_c.h>

#include "geoplex/core/error.hpp"
#include "isochrone/geometry.hpp"

namespace geoplex::isochrone::detail {

void project_piece(const routing::Graph& g, const Piece& piece, const LocalProjection& proj, ProjectedPiece& out) {
    out.points.clear();
    out.costs.clear();
    const auto pts = g.segment_points(piece.segment);
    const std::size_t np = pts.size() / 2;
    const double cl = std::cos(pts[1] * deg);  // routing's planar metric of the segment
    const double span = piece.f1 - piece.f0;
    auto cost_at = [&](double f) { return span > 0 ? piece.cost0 + (f - piece.f0) / span * (piece.cost1 - piece.cost0) : piece.cost0; };
    auto push = [&](LonLat p, double f) {
        out.points.push_back(proj.forward(p));
        out.costs.push_back(cost_at(f));
    };
    // Cumulative lengths go into out.costs first (turned into costs at the end for a whole
    // segment; copied aside otherwise), so no scratch buffer is looked up per piece.
    out.costs.resize(np);
    out.costs[0] = 0.0;
    for (std::size_t k = 0; k + 1 < np; ++k) {
        const double dx = (pts[2 * k + 2] - pts[2 * k]) * cl, dy = pts[2 * k + 3] - pts[2 * k + 1];
        out.costs[k + 1] = out.costs[k] + std::sqrt(dx * dx + dy * dy);
    }
    const double total = out.costs[np - 1];
    if (piece.f0 <= 0.0 && piece.f1 >= 1.0) {  // the whole segment: every vertex, in order
        out.points.reserve(np);
        for (std::size_t k = 0; k < np; ++k) {
            out.points.push_back(proj.forward({pts[2 * k], pts[2 * k + 1]}));
            out.costs[k] = cost_at(total > 0 ? out.costs[k] / total : (k == 0 ? 0.0 : 1.0));
        }
        return;
    }
    thread_local std::vector<double> cum;
    cum.swap(out.costs);
    out.costs.clear();
    auto at = [&](double f) -> LonLat {
        if (total <= 0.0) return {pts[0], pts[1]};
        const double target = std::clamp(f, 0.0, 1.0) * total;
        std::size_t k = 0;
        while (k + 2 < np && cum[k + 1] < target) ++k;
        const double len = cum[k + 1] - cum[k];
        const double t = len > 0 ? std::clamp((target - cum[k]) / len, 0.0, 1.0) : 0.0;
        return {pts[2 * k] + t * (pts[2 * k + 2] - pts[2 * k]), pts[2 * k + 1] + t * (pts[2 * k + 3] - pts[2 * k + 1])};
    };
    push(at(piece.f0), piece.f0);
    if (total > 0)
        for (std::size_t k = 1; k + 1 < np; ++k) {
            const double f = cum[k] / total;
            if (f > piece.f0 && f < piece.f1) push({pts[2 * k], pts[2 * k + 1]}, f);
        }
    push(at(piece.f1), piece.f1);
}

namespace {

struct Raster {
    double x0 = 0, y0 = 0, cell = 1;
    long w = 0, h = 0;
    [[nodiscard]] std::size_t index(long x, long y) const { return static_cast<std::size_t>(y * w + x); }
};

/// Calls f(cell index, cost) for points every half cell along every piece.
template <class F>
void sample_pieces(const std::vector<ProjectedPiece>& pieces, const Raster& r, F&& f) {
    const double step = r.cell * 0.5;
    const double inv_cell = 1.0 / r.cell;
    for (const auto& p : pieces)
        for (std::size_t k = 0; k + 1 < p.points.size(); ++k) {
            const XY a = p.points[k], b = p.points[k + 1];
            const double dx = b.x - a.x, dy = b.y - a.y;
            const auto n = static_cast<long>(std::ceil(std::sqrt(dx * dx + dy * dy) / step));
            const double ax = (a.x - r.x0) * inv_cell, ay = (a.y - r.y0) * inv_cell;
            const double sx = n > 0 ? dx * inv_cell / static_cast<double>(n) : 0.0;
            const double sy = n > 0 ? dy * inv_cell / static_cast<double>(n) : 0.0;
            const double c0 = p.costs[k], sc = n > 0 ? (p.costs[k + 1] - c0) / static_cast<double>(n) : 0.0;
            for (long i = 0; i <= n; ++i) {
                const double di = static_cast<double>(i);
                const auto cx = static_cast<long>(std::floor(ax + di * sx));
                const auto cy = static_cast<long>(std::floor(ay + di * sy));
                if (cx < 0 || cy < 0 || cx >= r.w || cy >= r.h) continue;
                f(r.index(cx, cy), c0 + di * sc);
            }
        }
}

/// Labels the 4-connected components of the cells equal to `value` (two raster passes with
/// union-find): comp[i] in 0..count-1 for those cells, -1 for the others; `sizes` gets the
/// cell count of each component. Returns count.
std::int32_t label_components(const std::vector<std::uint8_t>& in, std::uint8_t value, long w, long h,
                              std::vector<std::int32_t>& comp, std::vector<std::int32_t>& sizes) {
    thread_local std::vector<std::int32_t> parent;
    parent.clear();
    auto find = [&](std::int32_t a) {
        while (parent[static_cast<std::size_t>(a)] != a) {
            parent[static_cast<std::size_t>(a)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(a)])];
            a = parent[static_cast<std::size_t>(a)];
        }
        return a;
    };
    const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    comp.assign(n, -1);
    for (long y = 0; y < h; ++y) {
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (long x = 0; x < w; ++x) {
            const std::size_t i = row + static_cast<std::size_t>(x);
            if (in[i] != value) continue;
            const std::int32_t left = x > 0 ? comp[i - 1] : -1;
            const std::int32_t up = y > 0 ? comp[i - static_cast<std::size_t>(w)] : -1;
            if (left < 0 && up < 0) {
                comp[i] = static_cast<std::int32_t>(parent.size());
                parent.push_back(comp[i]);
            } else if (up < 0) {
                comp[i] = left;
            } else {
                comp[i] = up;
                if (left >= 0 && left != up) {
                    const std::int32_t a = find(left), b = find(up);
                    if (a != b) parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
                }
            }
        }
    }
    // compact the roots to 0..count-1 (a root is the smallest provisional label of its set)
    for (std::size_t l = 0; l < parent.size(); ++l) parent[l] = find(static_cast<std::int32_t>(l));
    thread_local std::vector<std::int32_t> label;
    label.resize(parent.size());
    std::int32_t count = 0;
    for (std::size_t l = 0; l < parent.size(); ++l)
        label[l] = parent[l] == static_cast<std::int32_t>(l) ? count++ : label[static_cast<std::size_t>(parent[l])];
    sizes.assign(static_cast<std::size_t>(count), 0);
    for (std::size_t i = 0; i < n; ++i)
        if (comp[i] >= 0) {
            comp[i] = label[static_cast<std::size_t>(comp[i])];
            ++sizes[static_cast<std::size_t>(comp[i])];
        }
    return count;
}

/// Extent of the pieces padded by `pad` metres, with cells of `cell` metres (coarsened to stay
/// under max_cells). false when there is no point.
bool raster_for(const std::vector<ProjectedPiece>& pieces, double pad, double cell, std::size_t max_cells, Raster& r,
                double min_cells_per_side = 0) {
    double minx = std::numeric_limits<double>::max(), miny = minx, maxx = -minx, maxy = -minx;
    for (const auto& p : pieces)
        for (const XY q : p.points) {
            minx = std::min(minx, q.x);
            miny = std::min(miny, q.y);
            maxx = std::max(maxx, q.x);
            maxy = std::max(maxy, q.y);
        }
    if (minx > maxx) return false;
    if (min_cells_per_side > 0) cell = std::max(cell, std::max(maxx - minx, maxy - miny) / min_cells_per_side);
    for (;;) {
        r.cell = cell;
        r.x0 = minx - pad - cell;
        r.y0 = miny - pad - cell;
        r.w = static_cast<long>(std::ceil((maxx - minx + 2 * pad) / cell)) + 3;
        r.h = static_cast<long>(std::ceil((maxy - miny + 2 * pad) / cell)) + 3;
        const double cells = static_cast<double>(r.w) * static_cast<double>(r.h);
        if (cells <= static_cast<double>(max_cells)) return true;
        cell *= std::sqrt(cells / static_cast<double>(max_cells)) * 1.01;
    }
}

// ---- GEOS (one handle per thread) ----

struct GeosContext {
    GEOSContextHandle_t h;
    GeosContext() : h(GEOS_init_r()) {}
    ~GeosContext() { GEOS_finish_r(h); }
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;
};

GEOSContextHandle_t geos() {
    thread_local GeosContext ctx;
    return ctx.h;
}

struct GeomPtr {
    GEOSGeometry* g = nullptr;
    explicit GeomPtr(GEOSGeometry* p) : g(p) {}
    ~GeomPtr() {
        if (g != nullptr) GEOSGeom_destroy_r(geos(), g);
    }
    GeomPtr(const GeomPtr&) = delete;
    GeomPtr& operator=(const GeomPtr&) = delete;
};

GEOSGeometry* make_ring(const std::vector<XY>& ring) {
    std::vector<double> xy;
    xy.reserve(2 * ring.size() + 2);
    for (const XY p : ring) {
        xy.push_back(p.x);
        xy.push_back(p.y);
    }
    xy.push_back(ring.front().x);
    xy.push_back(ring.front().y);
    GEOSCoordSequence* cs =
        GEOSCoordSeq_copyFromBuffer_r(geos(), xy.data(), static_cast<unsigned>(ring.size() + 1), 0, 0);
    return GEOSGeom_createLinearRing_r(geos(), cs);
}

double signed_area(const std::vector<LonLat>& ring) {
    double a = 0;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) a += ring[i].lon * ring[i + 1].lat - ring[i + 1].lon * ring[i].lat;
    return a / 2;
}

/// A GEOS ring back to WGS84 with the wanted orientation (counter-clockwise or not).
core::Polygon::ring_type read_ring(const GEOSGeometry* ring, const LocalProjection& proj, bool ccw) {
    const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(geos(), ring);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(geos(), cs, &n);
    std::vector<double> xy(2 * std::size_t{n});
    GEOSCoordSeq_copyToBuffer_r(geos(), cs, xy.data(), 0, 0);
    core::Polygon::ring_type out;
    for (unsigned i = 0; i < n; ++i) out.push_back(proj.inverse({xy[2 * i], xy[2 * i + 1]}));
    if ((signed_area({out.begin(), out.end()}) > 0) != ccw) std::reverse(out.begin(), out.end());
    return out;
}

void read_polygons(const GEOSGeometry* g, const LocalProjection& proj, core::MultiPolygon& out) {
    const int type = GEOSGeomTypeId_r(geos(), g);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(geos(), g) != 0) return;
        core::Polygon poly;
        poly.outer() = read_ring(GEOSGetExteriorRing_r(geos(), g), proj, true);
        const int holes = GEOSGetNumInteriorRings_r(geos(), g);
        for (int i = 0; i < holes; ++i) poly.inners().push_back(read_ring(GEOSGetInteriorRingN_r(geos(), g, i), proj, false));
        out.push_back(std::move(poly));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(geos(), g);
        for (int i = 0; i < n; ++i) read_polygons(GEOSGetGeometryN_r(geos(), g, i), proj, out);
    }
}

}  // namespace

core::MultiPolygon build_polygon(const std::vector<ProjectedPiece>& pieces, const LocalProjection& proj,
                                 const PolygonOptions& opt) {
    core::MultiPolygon result;
    Raster r;
    const double cell0 = opt.cell_m > 0 ? opt.cell_m : opt.buffer_m / 3.0;
    if (!raster_for(pieces, 0.0, cell0, opt.max_cells, r, opt.cell_m > 0 ? 0.0 : 200.0)) return result;
    // pad by the buffer (at least two cells) plus one empty cell on each side
    const double buffer = std::max(opt.buffer_m, 2.0 * r.cell);
    if (!raster_for(pieces, buffer + r.cell, r.cell, opt.max_cells, r)) return result;
    const std::size_t n = static_cast<std::size_t>(r.w) * static_cast<std::size_t>(r.h);

    // 1. chamfer (3-4) distance to the nearest sampled road point, in thirds of a cell
    thread_local std::vector<std::uint16_t> dist;
    constexpr std::uint16_t far = std::numeric_limits<std::uint16_t>::max() - 8;
    dist.assign(n, far);
    sample_pieces(pieces, r, [&](std::size_t i, double) { dist[i] = 0; });
    auto relax = [&](std::size_t i, std::size_t j, std::uint16_t c) {
        if (dist[j] + c < dist[i]) dist[i] = static_cast<std::uint16_t>(dist[j] + c);
    };
    for (long y = 0; y < r.h; ++y)
        for (long x = 0; x < r.w; ++x) {
            const std::size_t i = r.index(x, y);
            if (x > 0) relax(i, i - 1, 3);
            if (y > 0) {
                relax(i, i - static_cast<std::size_t>(r.w), 3);
                if (x > 0) relax(i, i - static_cast<std::size_t>(r.w) - 1, 4);
                if (x + 1 < r.w) relax(i, i - static_cast<std::size_t>(r.w) + 1, 4);
            }
        }
    for (long y = r.h; y-- > 0;)
        for (long x = r.w; x-- > 0;) {
            const std::size_t i = r.index(x, y);
            if (x + 1 < r.w) relax(i, i + 1, 3);
            if (y + 1 < r.h) {
                relax(i, i + static_cast<std::size_t>(r.w), 3);
                if (x + 1 < r.w) relax(i, i + static_cast<std::size_t>(r.w) + 1, 4);
                if (x > 0) relax(i, i + static_cast<std::size_t>(r.w) - 1, 4);
            }
        }
    const double limit = buffer / r.cell * 3.0;
    thread_local std::vector<std::uint8_t> in;
    in.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) in[i] = dist[i] <= limit ? 1 : 0;

    // 2. fill unreachable pockets smaller than min_hole_area_m2 (the border cells are empty
    //    padding: the empty component of cell 0 is the outside)
    thread_local std::vector<std::int32_t> comp;
    thread_local std::vector<std::int32_t> sizes;
    label_components(in, 0, r.w, r.h, comp, sizes);
    const std::int32_t outside = comp[0];
    const double max_hole_cells = opt.min_hole_area_m2 / (r.cell * r.cell);
    for (std::size_t i = 0; i < n; ++i)
        if (in[i] == 0 && comp[i] != outside && static_cast<double>(sizes[static_cast<std::size_t>(comp[i])]) < max_hole_cells)
            in[i] = 1;
    // 3. no two cells touching by a corner only (keeps every traced ring simple)
    for (int pass = 0; pass < 16; ++pass) {
        bool changed = false;
        for (long y = 0; y + 1 < r.h; ++y)
            for (long x = 0; x + 1 < r.w; ++x) {
                const std::size_t a = r.index(x, y), b = a + 1, c = a + static_cast<std::size_t>(r.w), d = c + 1;
                if ((in[a] != 0 && in[d] != 0 && in[b] == 0 && in[c] == 0) ||
                    (in[b] != 0 && in[c] != 0 && in[a] == 0 && in[d] == 0)) {
                    in[a] = in[b] = 1;
                    changed = true;
                }
            }
        if (!changed) break;
    }
    const std::int32_t components = label_components(in, 1, r.w, r.h, comp, sizes);
    if (components == 0) return result;

    // 4. boundary edges with the filled cell on their left; one outgoing edge per lattice vertex
    const long vw = r.w + 1;
    thread_local std::vector<std::uint32_t> next;
    constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    next.assign(static_cast<std::size_t>(vw) * static_cast<std::size_t>(r.h + 1), none);
    auto vid = [&](long x, long y) { return static_cast<std::uint32_t>(y * vw + x); };
    auto filled = [&](long x, long y) { return x >= 0 && y >= 0 && x < r.w && y < r.h && in[r.index(x, y)] != 0; };
    for (long y = 0; y < r.h; ++y)
        for (long x = 0; x < r.w; ++x) {
            if (in[r.index(x, y)] == 0) continue;
            if (!filled(x, y - 1)) next[vid(x, y)] = vid(x + 1, y);
            if (!filled(x + 1, y)) next[vid(x + 1, y)] = vid(x + 1, y + 1);
            if (!filled(x, y + 1)) next[vid(x + 1, y + 1)] = vid(x, y + 1);
            if (!filled(x - 1, y)) next[vid(x, y + 1)] = vid(x, y);
        }
    std::vector<std::vector<XY>> shells(static_cast<std::size_t>(components));
    std::vector<std::vector<std::vector<XY>>> holes(static_cast<std::size_t>(components));
    std::vector<std::pair<long, long>> ring;
    for (std::size_t v0 = 0; v0 < next.size(); ++v0) {
        if (next[v0] == none) continue;
        ring.clear();
        std::uint32_t v = static_cast<std::uint32_t>(v0);
        while (next[v] != none) {
            ring.emplace_back(static_cast<long>(v) % vw, static_cast<long>(v) / vw);
            const std::uint32_t nv = next[v];
            next[v] = none;
            v = nv;
        }
        if (ring.size() < 4) continue;
        // the cell on the left of the first edge names the component
        const auto [x0, y0] = ring[0];
        const auto [x1, y1] = ring[1];
        long cx = x0, cy = y0;
        if (x1 > x0) cy = y0;
        else if (y1 > y0) cx = x0 - 1;
        else if (x1 < x0) cx = x0 - 1, cy = y0 - 1;
        else cy = y0 - 1;
        const std::int32_t label = comp[r.index(cx, cy)];
        // corners only, in metres
        std::vector<XY> pts;
        double area = 0;
        const std::size_t m = ring.size();
        for (std::size_t i = 0; i < m; ++i) {
            const auto& p = ring[(i + m - 1) % m];
            const auto& q = ring[i];
            const auto& s = ring[(i + 1) % m];
            area += static_cast<double>(q.first * s.second - s.first * q.second);
            if ((q.first - p.first) * (s.second - q.second) == (q.second - p.second) * (s.first - q.first)) continue;
            pts.push_back({r.x0 + static_cast<double>(q.first) * r.cell, r.y0 + static_cast<double>(q.second) * r.cell});
        }
        if (pts.size() < 3 || label < 0) continue;
        if (area > 0) shells[static_cast<std::size_t>(label)] = std::move(pts);
        else holes[static_cast<std::size_t>(label)].push_back(std::move(pts));
    }

    // 5. GEOS: polygons, topology-preserving simplification, validity
    std::vector<GEOSGeometry*> polys;
    for (std::size_t c = 0; c < shells.size(); ++c) {
        if (shells[c].empty()) continue;
        std::vector<GEOSGeometry*> hs;
        for (const auto& h : holes[c]) hs.push_back(make_ring(h));
        polys.push_back(GEOSGeom_createPolygon_r(geos(), make_ring(shells[c]), hs.data(), static_cast<unsigned>(hs.size())));
    }
    if (polys.empty()) return result;
    const GeomPtr multi(GEOSGeom_createCollection_r(geos(), GEOS_MULTIPOLYGON, polys.data(),
                                                    static_cast<unsigned>(polys.size())));
    const double tolerance = opt.simplify_m > 0 ? opt.simplify_m : 0.5 * r.cell;
    // Plain Douglas-Peucker first (fast); the topology-preserving variant only when that broke
    // validity (rings of a raster boundary rarely come close enough for it to matter).
    GeomPtr simple(GEOSSimplify_r(geos(), multi.g, tolerance));
    if (simple.g == nullptr || GEOSisValid_r(geos(), simple.g) != 1) {
        GeomPtr tps(GEOSTopologyPreserveSimplify_r(geos(), multi.g, tolerance));
        std::swap(simple.g, tps.g);
    }
    if (simple.g == nullptr) throw Error(errc::dependency_error, "GEOS could not simplify an isochrone polygon");
    if (GEOSisValid_r(geos(), simple.g) != 1) {
        GeomPtr fixed(GEOSMakeValid_r(geos(), simple.g));
        if (fixed.g == nullptr) throw Error(errc::dependency_error, "GEOS could not repair an isochrone polygon");
        std::swap(simple.g, fixed.g);
    }
    read_polygons(simple.g, proj, result);
    return result;
}

CostGrid build_grid(const std::vector<ProjectedPiece>& pieces, const LocalProjection& proj, double cell_m) {
    CostGrid out;
    Raster r;
    constexpr std::size_t max_cells = 64'000'000;
    if (!raster_for(pieces, 0.0, cell_m, std::numeric_limits<std::size_t>::max(), r)) return out;
    const double cells = static_cast<double>(r.w) * static_cast<double>(r.h);
    if (cells > static_cast<double>(max_cells))
        throw InvalidArgument(std::vector<std::string>{
            fmt::format("cell_m: a grid of {} × {} cells is too large (at most {}); use larger cells", r.w, r.h, max_cells)});
    out.cell_m = r.cell;
    out.width = static_cast<std::size_t>(r.w);
    out.height = static_cast<std::size_t>(r.h);
    out.cost.assign(out.width * out.height, std::numeric_limits<float>::quiet_NaN());
    sample_pieces(pieces, r, [&](std::size_t i, double cost) {
        // row 0 = north
        const std::size_t x = i % out.width, y = i / out.width;
        float& c = out.cost[(out.height - 1 - y) * out.width + x];
        const auto f = static_cast<float>(cost);
        if (std::isnan(c) || f < c) c = f;
    });
    const LonLat sw = proj.inverse({r.x0, r.y0});
    const LonLat ne = proj.inverse({r.x0 + static_cast<double>(r.w) * r.cell, r.y0 + static_cast<double>(r.h) * r.cell});
    out.bbox = BBox{sw.lon, sw.lat, ne.lon, ne.lat};
    return out;
}

}  // namespace geoplex::isochrone::detail
