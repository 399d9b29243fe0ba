// Reached pieces → contour polygons. The pieces are rasterised in a local metric projection,
// widened by `buffer_m` (chamfer distance transform), small unreachable pockets filled, the
// cell boundaries traced into rings (outer rings counter-clockwise, holes clockwise, grouped by
// 4-connected component, diagonal-only contacts removed so every ring is simple), and the
// staircase smoothed by Douglas-Peucker on the integer lattice; an exact check of the simplified
// rings proves the polygon valid without GEOS. When it cannot (rings that came to touch, or a
// tolerance of a cell or more), GEOS simplifies instead (topology-preserving when needed,
// GEOSMakeValid last).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>
#include <geos_c.h>

#include "geoplex/core/error.hpp"
#include "isochrone/geometry.hpp"

namespace geoplex::isochrone::detail {

void project_piece(const routing::Graph& g, const Piece& piece, const LocalProjection& proj, ProjectedPiece& out,
                   bool with_costs) {
    out.points.clear();
    out.costs.clear();
    const auto pts = g.segment_points(piece.segment);
    const std::size_t np = pts.size() / 2;
    if (!with_costs && piece.f0 <= 0.0 && piece.f1 >= 1.0) {  // a whole segment, shape only
        out.points.resize(np);
        for (std::size_t k = 0; k < np; ++k) out.points[k] = proj.forward({pts[2 * k], pts[2 * k + 1]});
        return;
    }
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
    thread_local std::vector<double> cum_tl;  // one TLS lookup per call, not per access
    auto& cum = cum_tl;
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

/// Calls f(cell index, cost) for points every half cell along every piece (cost 0 when the
/// pieces carry none).
template <class F>
void sample_pieces(const std::vector<ProjectedPiece>& pieces, const Raster& r, F&& f) {
    const double inv_cell = 1.0 / r.cell;
    const auto w = static_cast<double>(r.w), h = static_cast<double>(r.h);
    for (const auto& p : pieces) {
        const bool costs = !p.costs.empty();
        for (std::size_t k = 0; k + 1 < p.points.size(); ++k) {
            // in cells from the raster's corner
            const double ax = (p.points[k].x - r.x0) * inv_cell, ay = (p.points[k].y - r.y0) * inv_cell;
            const double dx = (p.points[k + 1].x - r.x0) * inv_cell - ax, dy = (p.points[k + 1].y - r.y0) * inv_cell - ay;
            const auto n = static_cast<long>(std::ceil(2.0 * std::sqrt(dx * dx + dy * dy)));
            const double inv_n = n > 0 ? 1.0 / static_cast<double>(n) : 0.0;
            const double sx = dx * inv_n, sy = dy * inv_n;
            const double c0 = costs ? p.costs[k] : 0.0, sc = costs ? (p.costs[k + 1] - c0) * inv_n : 0.0;
            for (long i = 0; i <= n; ++i) {
                const double di = static_cast<double>(i);
                const double x = ax + di * sx, y = ay + di * sy;
                if (!(x >= 0 && y >= 0 && x < w && y < h)) continue;
                // truncation is floor here (x, y >= 0)
                f(r.index(static_cast<long>(x), static_cast<long>(y)), c0 + di * sc);
            }
        }
    }
}

/// Labels the 4-connected components of the cells equal to `value` (two raster passes with
/// union-find): comp[i] in 0..count-1 for those cells, -1 for the others; `sizes` gets the
/// cell count of each component. Returns count.
std::int32_t label_components(const std::vector<std::uint8_t>& in, std::uint8_t value, long w, long h,
                              std::vector<std::int32_t>& comp, std::vector<std::int32_t>& sizes, PolygonScratch& scratch) {
    auto& parent = scratch.parent;
    auto& label = scratch.label;
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

// ---- traced rings on the raster's lattice (integer cell-corner coordinates) ----

/// A lattice vertex: cell-corner indices (x east, y north).
struct IP {
    std::int64_t x = 0, y = 0;
};

/// A traced ring: its corners only, not closed; `label` is its 4-connected component; shells
/// are counter-clockwise (filled cells on the left), holes clockwise.
struct LatticeRing {
    std::vector<IP> pts;
    std::int32_t label = -1;
    bool shell = false;
};

std::int64_t cross(IP o, IP a, IP b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

std::int64_t twice_area(const std::vector<IP>& ring) {
    std::int64_t a = 0;
    for (std::size_t i = 0, n = ring.size(); i < n; ++i) {
        const IP p = ring[i], q = ring[(i + 1) % n];
        a += p.x * q.y - q.x * p.y;
    }
    return a;
}

/// Squared distance from p to the segment [a, b].
double segment_distance2(IP p, IP a, IP b) {
    const auto dx = static_cast<double>(b.x - a.x), dy = static_cast<double>(b.y - a.y);
    const auto px = static_cast<double>(p.x - a.x), py = static_cast<double>(p.y - a.y);
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
    const double ex = px - t * dx, ey = py - t * dy;
    return ex * ex + ey * ey;
}

/// Douglas-Peucker of a closed ring, split at its first vertex and the vertex farthest from it:
/// keeps the vertices farther than `tol` (cells) from the chord of their part, like GEOS's
/// DouglasPeuckerLineSimplifier.
void simplify_ring(const std::vector<IP>& in, double tol, std::vector<IP>& out) {
    const std::size_t n = in.size();
    out.clear();
    std::size_t far = 0;
    std::int64_t best = -1;
    for (std::size_t i = 1; i < n; ++i) {
        const std::int64_t dx = in[i].x - in[0].x, dy = in[i].y - in[0].y;
        if (dx * dx + dy * dy > best) best = dx * dx + dy * dy, far = i;
    }
    thread_local std::vector<std::uint8_t> keep_tl;
    thread_local std::vector<std::pair<std::size_t, std::size_t>> todo_tl;
    auto& keep = keep_tl;
    auto& todo = todo_tl;
    keep.assign(n, 0);
    keep[0] = keep[far] = 1;
    todo.assign({{0, far}, {far, n}});  // index n is vertex 0 again
    const double tol2 = tol * tol;
    while (!todo.empty()) {
        const auto [a, b] = todo.back();
        todo.pop_back();
        if (b - a < 2) continue;
        const IP pa = in[a], pb = in[b % n];
        std::size_t worst = a;
        double worst_d2 = tol2;
        for (std::size_t k = a + 1; k < b; ++k)
            if (const double d2 = segment_distance2(in[k], pa, pb); d2 > worst_d2) worst_d2 = d2, worst = k;
        if (worst == a) continue;
        keep[worst] = 1;
        todo.emplace_back(a, worst);
        todo.emplace_back(worst, b);
    }
    for (std::size_t i = 0; i < n; ++i)
        if (keep[i] != 0) out.push_back(in[i]);
}

int sign(std::int64_t v) { return (v > 0) - (v < 0); }

/// q collinear with [a, b]: is it on the segment?
bool on_segment(IP a, IP b, IP q) {
    return std::min(a.x, b.x) <= q.x && q.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= q.y && q.y <= std::max(a.y, b.y);
}

/// Do the closed segments [p1, p2] and [q1, q2] share any point? (exact)
bool segments_touch(IP p1, IP p2, IP q1, IP q2) {
    const int d1 = sign(cross(q1, q2, p1)), d2 = sign(cross(q1, q2, p2));
    const int d3 = sign(cross(p1, p2, q1)), d4 = sign(cross(p1, p2, q2));
    if (d1 * d2 < 0 && d3 * d4 < 0) return true;
    return (d1 == 0 && on_segment(q1, q2, p1)) || (d2 == 0 && on_segment(q1, q2, p2)) ||
           (d3 == 0 && on_segment(p1, p2, q1)) || (d4 == 0 && on_segment(p1, p2, q2));
}

/// Whether Douglas-Peucker kept the traced rings valid, checked exactly on integer coordinates:
/// every ring keeps ≥ 3 vertices and its orientation, and no two edges share a point except
/// consecutive edges of a ring at their common vertex (without folding back onto each other).
/// The traced rings are simple and pairwise disjoint, their vertices at least one cell from any
/// other ring; with a tolerance under one cell every ring moves by less than that, so a kept
/// vertex of one ring stays on the same side of every other (simplified) ring, and rings that do
/// not touch keep their nesting: holes inside their shell, parts outside one another.
bool simplified_rings_valid(const std::vector<LatticeRing>& rings) {
    struct Edge {
        IP a, b;
        std::int64_t xmin, xmax, ymin, ymax;
        std::uint32_t ring, index, count;
    };
    thread_local std::vector<Edge> edges_tl;
    auto& edges = edges_tl;
    edges.clear();
    for (std::uint32_t ri = 0; ri < rings.size(); ++ri) {
        const auto& pts = rings[ri].pts;
        const auto n = static_cast<std::uint32_t>(pts.size());
        if (n < 3) return false;
        const std::int64_t area = twice_area(pts);
        if (area == 0 || (area > 0) != rings[ri].shell) return false;
        for (std::uint32_t i = 0; i < n; ++i) {
            const IP a = pts[i], b = pts[(i + 1) % n];
            edges.push_back({a, b, std::min(a.x, b.x), std::max(a.x, b.x), std::min(a.y, b.y), std::max(a.y, b.y), ri, i, n});
        }
    }
    std::sort(edges.begin(), edges.end(), [](const Edge& l, const Edge& r) { return l.xmin < r.xmin; });
    for (std::size_t i = 0; i < edges.size(); ++i) {
        const Edge& e = edges[i];
        for (std::size_t j = i + 1; j < edges.size() && edges[j].xmin <= e.xmax; ++j) {
            const Edge& f = edges[j];
            if (f.ymin > e.ymax || f.ymax < e.ymin) continue;
            const bool adjacent = e.ring == f.ring && ((e.index + 1) % e.count == f.index || (f.index + 1) % f.count == e.index);
            if (!adjacent) {
                if (segments_touch(e.a, e.b, f.a, f.b)) return false;
                continue;
            }
            // consecutive edges meet at one vertex; invalid if they fold back along each other
            const bool e_first = (e.index + 1) % e.count == f.index;
            const IP shared = e_first ? e.b : e.a, u = e_first ? e.a : e.b, v = e_first ? f.b : f.a;
            if (cross(shared, u, v) == 0 && (u.x - shared.x) * (v.x - shared.x) + (u.y - shared.y) * (v.y - shared.y) > 0)
                return false;
        }
    }
    return true;
}

XY to_metres(IP p, const Raster& r) {
    return {r.x0 + static_cast<double>(p.x) * r.cell, r.y0 + static_cast<double>(p.y) * r.cell};
}

/// Valid simplified rings → WGS84 polygons (one per component with a shell, in label order).
void to_multipolygon(const std::vector<LatticeRing>& rings, std::int32_t components, const Raster& r,
                     const LocalProjection& proj, core::MultiPolygon& out) {
    auto closed = [&](const std::vector<IP>& pts) {
        core::Polygon::ring_type ring;
        ring.reserve(pts.size() + 1);
        for (const IP p : pts) ring.push_back(proj.inverse(to_metres(p, r)));
        ring.push_back(ring.front());
        return ring;
    };
    std::vector<std::int32_t> index(static_cast<std::size_t>(components), -1);
    for (const auto& lr : rings)
        if (lr.shell) index[static_cast<std::size_t>(lr.label)] = 0;
    for (auto& k : index)
        if (k == 0) {
            k = static_cast<std::int32_t>(out.size());
            out.emplace_back();
        }
    for (const auto& lr : rings) {
        const std::int32_t k = index[static_cast<std::size_t>(lr.label)];
        if (k < 0) continue;
        auto& poly = out[static_cast<std::size_t>(k)];
        if (lr.shell) poly.outer() = closed(lr.pts);
        else poly.inners().push_back(closed(lr.pts));
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

GEOSGeometry* make_ring(const std::vector<IP>& ring, const Raster& r) {
    std::vector<double> xy;
    xy.reserve(2 * ring.size() + 2);
    for (std::size_t i = 0; i <= ring.size(); ++i) {
        const XY p = to_metres(ring[i % ring.size()], r);
        xy.push_back(p.x);
        xy.push_back(p.y);
    }
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
                                 const PolygonOptions& opt, PolygonScratch& scratch) {
    core::MultiPolygon result;
    Raster r;
    const double cell0 = opt.cell_m > 0 ? opt.cell_m : opt.buffer_m / 3.0;
    if (!raster_for(pieces, 0.0, cell0, opt.max_cells, r, opt.cell_m > 0 ? 0.0 : 200.0)) return result;
    // pad by the buffer (at least two cells) plus one empty cell on each side
    const double buffer = std::max(opt.buffer_m, 2.0 * r.cell);
    if (!raster_for(pieces, buffer + r.cell, r.cell, opt.max_cells, r)) return result;
    const std::size_t n = static_cast<std::size_t>(r.w) * static_cast<std::size_t>(r.h);

    // 1. chamfer (3-4) distance to the nearest sampled road point, in thirds of a cell
    auto& dist = scratch.dist;
    constexpr std::uint16_t far = std::numeric_limits<std::uint16_t>::max() - 8;
    dist.assign(n, far);
    sample_pieces(pieces, r, [&](std::size_t i, double) { dist[i] = 0; });
    // Two passes over the inner cells; the border cells (empty padding, farther than the buffer
    // from any road) stay `far`, so no neighbour test needs a bounds check.
    {
        const auto w = static_cast<std::size_t>(r.w);
        std::uint16_t* d = dist.data();
        auto relax = [](std::uint16_t& v, std::uint16_t other, int c) {
            if (other + c < v) v = static_cast<std::uint16_t>(other + c);
        };
        for (std::size_t y = 1; y + 1 < static_cast<std::size_t>(r.h); ++y) {
            std::uint16_t* row = d + y * w;
            const std::uint16_t* up = row - w;
            for (std::size_t x = 1; x + 1 < w; ++x) {
                std::uint16_t v = row[x];
                relax(v, row[x - 1], 3);
                relax(v, up[x], 3);
                relax(v, up[x - 1], 4);
                relax(v, up[x + 1], 4);
                row[x] = v;
            }
        }
        for (std::size_t y = static_cast<std::size_t>(r.h) - 1; y-- > 1;) {
            std::uint16_t* row = d + y * w;
            const std::uint16_t* down = row + w;
            for (std::size_t x = w - 1; x-- > 1;) {
                std::uint16_t v = row[x];
                relax(v, row[x + 1], 3);
                relax(v, down[x], 3);
                relax(v, down[x + 1], 4);
                relax(v, down[x - 1], 4);
                row[x] = v;
            }
        }
    }
    const double limit = buffer / r.cell * 3.0;
    auto& in = scratch.in;
    in.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) in[i] = dist[i] <= limit ? 1 : 0;

    // 2. fill unreachable pockets smaller than min_hole_area_m2 (the border cells are empty
    //    padding: the empty component of cell 0 is the outside)
    auto& comp = scratch.comp;
    auto& sizes = scratch.sizes;
    label_components(in, 0, r.w, r.h, comp, sizes, scratch);
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
    const std::int32_t components = label_components(in, 1, r.w, r.h, comp, sizes, scratch);
    if (components == 0) return result;

    // 4. boundary edges with the filled cell on their left; one outgoing edge per lattice vertex
    const long vw = r.w + 1;
    auto& next = scratch.next;
    constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    next.assign(static_cast<std::size_t>(vw) * static_cast<std::size_t>(r.h + 1), none);
    auto vid = [&](long x, long y) { return static_cast<std::uint32_t>(y * vw + x); };
    // filled cells are never on the border (empty padding): their neighbours are in the raster
    const auto rw = static_cast<std::size_t>(r.w);
    for (long y = 1; y + 1 < r.h; ++y)
        for (long x = 1; x + 1 < r.w; ++x) {
            const std::size_t i = r.index(x, y);
            if (in[i] == 0) continue;
            if (in[i - rw] == 0) next[vid(x, y)] = vid(x + 1, y);
            if (in[i + 1] == 0) next[vid(x + 1, y)] = vid(x + 1, y + 1);
            if (in[i + rw] == 0) next[vid(x + 1, y + 1)] = vid(x, y + 1);
            if (in[i - 1] == 0) next[vid(x, y + 1)] = vid(x, y);
        }
    std::vector<LatticeRing> rings;
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
        // corners only
        LatticeRing lr;
        lr.label = label;
        const std::size_t m = ring.size();
        for (std::size_t i = 0; i < m; ++i) {
            const auto& p = ring[(i + m - 1) % m];
            const auto& q = ring[i];
            const auto& s = ring[(i + 1) % m];
            if ((q.first - p.first) * (s.second - q.second) == (q.second - p.second) * (s.first - q.first)) continue;
            lr.pts.push_back({q.first, q.second});
        }
        if (lr.pts.size() < 3 || label < 0) continue;
        lr.shell = twice_area(lr.pts) > 0;
        rings.push_back(std::move(lr));
    }
    if (rings.empty()) return result;

    // 5. Douglas-Peucker on the lattice rings; when the result is provably valid (exact integer
    //    check, see simplified_rings_valid) it is the polygon, without GEOS
    const double tolerance = opt.simplify_m > 0 ? opt.simplify_m : 0.5 * r.cell;
    const double tol_cells = tolerance / r.cell;
    if (tol_cells < 1.0) {
        std::vector<LatticeRing> simple(rings.size());
        for (std::size_t i = 0; i < rings.size(); ++i) {
            simplify_ring(rings[i].pts, tol_cells, simple[i].pts);
            simple[i].label = rings[i].label;
            simple[i].shell = rings[i].shell;
        }
        if (simplified_rings_valid(simple)) {
            to_multipolygon(simple, components, r, proj, result);
            return result;
        }
    }
    // 6. otherwise GEOS: plain Douglas-Peucker, the topology-preserving variant when that broke
    //    validity, GEOSMakeValid as the last resort
    std::vector<std::vector<GEOSGeometry*>> holes(static_cast<std::size_t>(components));
    std::vector<GEOSGeometry*> shells(static_cast<std::size_t>(components), nullptr);
    for (const auto& lr : rings) {
        GEOSGeometry* g = make_ring(lr.pts, r);
        if (!lr.shell) holes[static_cast<std::size_t>(lr.label)].push_back(g);
        else if (shells[static_cast<std::size_t>(lr.label)] == nullptr) shells[static_cast<std::size_t>(lr.label)] = g;
        else GEOSGeom_destroy_r(geos(), g);
    }
    std::vector<GEOSGeometry*> polys;
    for (std::size_t c = 0; c < shells.size(); ++c) {
        if (shells[c] == nullptr) {
            for (GEOSGeometry* h : holes[c]) GEOSGeom_destroy_r(geos(), h);
            continue;
        }
        polys.push_back(GEOSGeom_createPolygon_r(geos(), shells[c], holes[c].data(), static_cast<unsigned>(holes[c].size())));
    }
    if (polys.empty()) return result;
    const GeomPtr multi(GEOSGeom_createCollection_r(geos(), GEOS_MULTIPOLYGON, polys.data(),
                                                    static_cast<unsigned>(polys.size())));
    GeomPtr simple(GEOSSimplify_r(geos(), multi.g, tolerance));
    bool valid = simple.g != nullptr && GEOSisValid_r(geos(), simple.g) == 1;
    if (!valid) {
        GeomPtr tps(GEOSTopologyPreserveSimplify_r(geos(), multi.g, tolerance));
        std::swap(simple.g, tps.g);
        if (simple.g == nullptr) throw Error(errc::dependency_error, "GEOS could not simplify an isochrone polygon");
        valid = GEOSisValid_r(geos(), simple.g) == 1;
    }
    if (!valid) {
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
