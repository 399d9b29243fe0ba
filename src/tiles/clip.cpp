// Weiler–Atherton clipping of valid polygons to a square, and an exact integer validity check.
//
// Clipping: a vertex is inside when it is strictly inside the square (a vertex on a side counts
// as outside: the square is shrunk by an infinitesimal ε). Walking a ring from an outside
// vertex cuts it into chains, each entering the square at one crossing and leaving it at
// another. Crossings are ordered along the square's perimeter, counter-clockwise, by their
// position s and, for crossings at the same place (a vertex on a side), by where they would be
// on the ε-shrunk square (k = tangential / inward component of the edge's direction). Every
// exit is linked to the next entry, square corners in between: with the interior on the left of
// every ring (exteriors positive, holes negative), the linked loops are the exteriors of the
// result, and holes entirely inside the square go into the loop containing them.
//
// Validity: edges bucketed on a uniform grid over the rings' box, every pair sharing a cell
// tested exactly (128-bit orientation), then one point-in-ring test per ring against the rings
// whose box holds it, for the nesting rules.

#include "tiles/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace geoplex::tiles::detail {

namespace {

__extension__ using Wide = __int128;

struct P64 {
    std::int64_t x, y;
    friend bool operator==(const P64&, const P64&) = default;
};
struct DPt {
    double x, y;
};

int orient(P64 a, P64 b, P64 c) {
    const Wide v = static_cast<Wide>(b.x - a.x) * (c.y - a.y) - static_cast<Wide>(b.y - a.y) * (c.x - a.x);
    return v > 0 ? 1 : (v < 0 ? -1 : 0);
}

// c on the closed segment [a, b], given orient(a, b, c) == 0.
bool on_segment(P64 a, P64 b, P64 c) {
    return std::min(a.x, b.x) <= c.x && c.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= c.y && c.y <= std::max(a.y, b.y);
}

// Closed segments [a, b] and [c, d] share at least one point.
bool segments_meet(P64 a, P64 b, P64 c, P64 d) {
    const int o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
    if (o1 * o2 < 0 && o3 * o4 < 0) return true;
    return (o1 == 0 && on_segment(a, b, c)) || (o2 == 0 && on_segment(a, b, d)) || (o3 == 0 && on_segment(c, d, a)) ||
           (o4 == 0 && on_segment(c, d, b));
}

Wide area2(const P64* p, std::size_t n) {  // closed ring of n points
    Wide a = 0;
    for (std::size_t i = 1; i < n; ++i) a += static_cast<Wide>(p[i - 1].x) * p[i].y - static_cast<Wide>(p[i].x) * p[i - 1].y;
    return a;
}

// Point strictly inside the closed ring p[0..n) (p not on it: the caller knows no edge meets it).
bool point_in_ring(P64 q, const P64* p, std::size_t n) {
    bool in = false;
    for (std::size_t i = 1; i < n; ++i) {
        const P64 a = p[i - 1], b = p[i];
        if ((a.y > q.y) == (b.y > q.y)) continue;
        const Wide cross = static_cast<Wide>(b.x - a.x) * (q.y - a.y) - static_cast<Wide>(q.x - a.x) * (b.y - a.y);
        if ((cross > 0) == (b.y > a.y)) in = !in;
    }
    return in;
}

bool point_in_ring(DPt q, const P64* p, std::size_t n) {
    bool in = false;
    for (std::size_t i = 1; i < n; ++i) {
        const P64 a = p[i - 1], b = p[i];
        if ((static_cast<double>(a.y) > q.y) == (static_cast<double>(b.y) > q.y)) continue;
        const double x = static_cast<double>(a.x) + (q.y - static_cast<double>(a.y)) * static_cast<double>(b.x - a.x) /
                                                        static_cast<double>(b.y - a.y);
        if (q.x < x) in = !in;
    }
    return in;
}

const P64* points(RingsView v, std::size_t r) { return reinterpret_cast<const P64*>(v.xy) + v.begin(r); }
std::size_t count(RingsView v, std::size_t r) { return v.end[r] - v.begin(r); }

struct Box {
    std::int64_t x0, y0, x1, y1;
};

// ---- validity ----------------------------------------------------------------------------------

struct ValidityScratch {
    std::vector<std::uint32_t> seg_ring;   // ring of each edge (edge g: point g → g + 1)
    struct Item {
        std::int64_t x0, y0, x1, y1;  // the edge's box
        std::uint32_t e;
    };
    std::vector<std::uint32_t> cell_start, cursor;
    std::vector<Item> items, cell_items;
    struct Range {
        std::uint32_t x0, x1, y0, y1;  // cells an edge's box covers
    };
    std::vector<Range> ranges;
    std::vector<std::uint32_t> edges;      // global point index of each edge's first point
    std::vector<Box> ring_box;
    std::vector<Wide> ring_area;
    std::vector<std::uint32_t> ring_polygon;
    std::vector<std::uint32_t> touch;      // vertices (global index, ring's first for its closing point) where rings touch
    std::vector<std::uint8_t> touch_vertex;  // per point: 1 = a touching vertex
    std::vector<std::uint32_t> uf;         // union-find over rings (interior connectivity)
    std::vector<std::uint32_t> others, other_ring;  // edges left out of the grid (see `border`)
    std::int64_t grid = 1;                 // the grid of bucket_edges
    Box gbb{};
    double fx = 0, fy = 0;
    [[nodiscard]] std::int64_t cx(std::int64_t x) const {
        return std::min<std::int64_t>(grid - 1, static_cast<std::int64_t>(static_cast<double>(x - gbb.x0) * fx));
    }
    [[nodiscard]] std::int64_t cy(std::int64_t y) const {
        return std::min<std::int64_t>(grid - 1, static_cast<std::int64_t>(static_cast<double>(y - gbb.y0) * fy));
    }
};

// Edges of rings that both pass through P = all[g] (the shared vertex): rays from P, outgoing
// (to the next vertex) or incoming reversed (to the previous one).
struct Ray {
    std::int64_t dx, dy;
    bool out;
    std::uint32_t ring;
};
bool ray_before(const Ray& a, const Ray& b) {  // counter-clockwise from the +x axis, exact
    const int ha = (a.dy > 0 || (a.dy == 0 && a.dx > 0)) ? 0 : 1, hb = (b.dy > 0 || (b.dy == 0 && b.dx > 0)) ? 0 : 1;
    if (ha != hb) return ha < hb;
    return static_cast<Wide>(a.dx) * b.dy - static_cast<Wide>(a.dy) * b.dx > 0;
}

std::uint32_t uf_find(std::vector<std::uint32_t>& uf, std::uint32_t a) {
    while (uf[a] != a) a = uf[a] = uf[uf[a]];
    return a;
}

}  // namespace

namespace {

// Buckets the edges s.edges (global index of each edge's first point in `all`) on a uniform grid
// of about one cell per edge over the box `bb`: cell c holds s.cell_items[cell_start[c],
// cell_start[c+1]). Returns the number of cells.
std::size_t bucket_edges(const P64* all, Box bb, ValidityScratch& s) {
    const std::size_t ne = s.edges.size();
    const std::int64_t grid = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::sqrt(static_cast<double>(ne))), 1, 2048);
    const double w = static_cast<double>(bb.x1 - bb.x0) + 1, h = static_cast<double>(bb.y1 - bb.y0) + 1;
    s.grid = grid;
    s.gbb = bb;
    s.fx = static_cast<double>(grid) / w;
    s.fy = static_cast<double>(grid) / h;
    auto cx = [&](std::int64_t x) { return s.cx(x); };
    auto cy = [&](std::int64_t y) { return s.cy(y); };
    const auto cells = static_cast<std::size_t>(grid * grid);
    s.cell_start.assign(cells + 1, 0);
    s.items.resize(ne);
    for (std::size_t e = 0; e < ne; ++e) {
        const P64 a = all[s.edges[e]], b = all[s.edges[e] + 1];
        s.items[e] = ValidityScratch::Item{std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y),
                                           static_cast<std::uint32_t>(e)};
    }
    s.ranges.resize(ne);
    for (std::size_t e = 0; e < ne; ++e) {  // most edges lie in one cell
        const auto& it = s.items[e];
        auto& rg = s.ranges[e];
        rg = ValidityScratch::Range{static_cast<std::uint32_t>(cx(it.x0)), static_cast<std::uint32_t>(cx(it.x1)),
                                    static_cast<std::uint32_t>(cy(it.y0)), static_cast<std::uint32_t>(cy(it.y1))};
        for (std::uint32_t y = rg.y0; y <= rg.y1; ++y)
            for (std::uint32_t x = rg.x0; x <= rg.x1; ++x) ++s.cell_start[y * static_cast<std::size_t>(grid) + x + 1];
    }
    for (std::size_t c = 1; c <= cells; ++c) s.cell_start[c] += s.cell_start[c - 1];
    s.cell_items.resize(s.cell_start[cells]);
    s.cursor.assign(s.cell_start.begin(), s.cell_start.end() - 1);
    for (std::size_t e = 0; e < ne; ++e) {
        const auto& rg = s.ranges[e];
        for (std::uint32_t y = rg.y0; y <= rg.y1; ++y)
            for (std::uint32_t x = rg.x0; x <= rg.x1; ++x) s.cell_items[s.cursor[y * static_cast<std::size_t>(grid) + x]++] = s.items[e];
    }
    return cells;
}

// Calls f(e0, e1) on every pair of edges (indices into s.edges) sharing a cell whose boxes
// overlap, while it returns true; false when it returned false.
template <class F>
bool for_each_near_pair(const ValidityScratch& s, std::size_t cells, F&& f) {
    for (std::size_t c = 0; c < cells; ++c) {
        const std::uint32_t first = s.cell_start[c], last = s.cell_start[c + 1];
        for (std::uint32_t i = first; i < last; ++i) {
            const ValidityScratch::Item& ii = s.cell_items[i];
            for (std::uint32_t j = i + 1; j < last; ++j) {
                const ValidityScratch::Item& jj = s.cell_items[j];
                if (jj.x1 < ii.x0 || jj.x0 > ii.x1 || jj.y1 < ii.y0 || jj.y0 > ii.y1) continue;
                if (!f(ii.e, jj.e)) return false;
            }
        }
    }
    return true;
}

bool on_border(P64 p, const std::int64_t* border) {
    return p.x == border[0] || p.x == border[1] || p.y == border[0] || p.y == border[1];
}

// Rings touching at shared vertices (s.touch): around each such point the rays of the rings'
// edges must alternate outgoing / incoming (every sector between two rays is inside the polygons
// from both sides or from neither: no overlap, no crossing), no ring may pass the point twice,
// and the rings of one polygon must not touch in a cycle (its interior would be cut in two).
bool touches_ok(RingsView v, ValidityScratch& s) {
    const P64* all = reinterpret_cast<const P64*>(v.xy);
    std::sort(s.touch.begin(), s.touch.end(), [&](std::uint32_t a, std::uint32_t b) {
        return all[a].x != all[b].x ? all[a].x < all[b].x : (all[a].y != all[b].y ? all[a].y < all[b].y : a < b);
    });
    s.touch.erase(std::unique(s.touch.begin(), s.touch.end()), s.touch.end());
    s.touch_vertex.assign(v.end[v.rings - 1], 0);
    s.uf.resize(v.rings);
    for (std::uint32_t r = 0; r < v.rings; ++r) s.uf[r] = r;
    std::vector<Ray> rays;
    std::vector<std::uint32_t> ring_of(s.touch.size());
    for (std::size_t k = 0; k < s.touch.size(); ++k) {
        const std::uint32_t g = s.touch[k];
        ring_of[k] = static_cast<std::uint32_t>(std::upper_bound(v.end, v.end + v.rings, g) - v.end);
        s.touch_vertex[g] = 1;
        if (g == v.begin(ring_of[k])) s.touch_vertex[v.end[ring_of[k]] - 1] = 1;
    }
    for (std::size_t k0 = 0; k0 < s.touch.size();) {
        const P64 p = all[s.touch[k0]];
        std::size_t k1 = k0;
        rays.clear();
        while (k1 < s.touch.size() && all[s.touch[k1]] == p) {
            const std::uint32_t g = s.touch[k1], r = ring_of[k1];
            if (k1 > k0 && ring_of[k1 - 1] == r) return false;  // a ring passing the point twice
            const P64 next = all[g + 1], prev = all[g == v.begin(r) ? v.end[r] - 2 : g - 1];
            rays.push_back(Ray{next.x - p.x, next.y - p.y, true, r});
            rays.push_back(Ray{prev.x - p.x, prev.y - p.y, false, r});
            ++k1;
        }
        std::sort(rays.begin(), rays.end(), ray_before);
        for (std::size_t i = 0; i < rays.size(); ++i) {
            const Ray& a = rays[i];
            const Ray& b = rays[(i + 1) % rays.size()];
            if (a.out == b.out) return false;
            if (!ray_before(a, b) && !ray_before(b, a)) return false;  // two edges along the same ray
        }
        // Connectivity: rings of the same polygon meeting here join; joining twice is a cycle.
        for (std::size_t j = k0 + 1; j < k1; ++j) {
            std::size_t i = k0;  // the first ring of the same polygon here
            while (i < j && s.ring_polygon[ring_of[i]] != s.ring_polygon[ring_of[j]]) ++i;
            if (i == j) continue;
            const std::uint32_t a = uf_find(s.uf, ring_of[i]), b = uf_find(s.uf, ring_of[j]);
            if (a == b) return false;
            s.uf[a] = b;
        }
        k0 = k1;
    }
    return true;
}

// The check, with its scratch passed in: GCC re-derives the address of a thread_local at every
// use in a shared library (a __tls_get_addr call each, ~6 % of the instructions of a tile run).
[[gnu::noipa]] bool strictly_valid(RingsView v, std::vector<std::uint32_t>* touching, bool* touches, const std::int64_t* border,
                                    ValidityScratch& s) {
    if (touching != nullptr) touching->clear();
    if (touches != nullptr) *touches = false;
    if (v.rings == 0) return true;
    if (v.outer[0] == 0) return false;
    const P64* all = reinterpret_cast<const P64*>(v.xy);
    // Edge lists written through indices (push_back is not inlined here: ~2 % of a tile run).
    const std::size_t max_edges = v.end[v.rings - 1];
    s.edges.resize(max_edges);
    s.seg_ring.resize(max_edges);
    s.others.resize(border != nullptr ? max_edges : 0);
    s.other_ring.resize(s.others.size());
    std::size_t n_edges = 0, n_others = 0;
    s.ring_box.clear();
    s.ring_area.clear();
    s.ring_polygon.clear();
    s.touch.clear();
    Box bb{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(),
           std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::min()};
    std::uint32_t polygon = 0;
    for (std::size_t r = 0; r < v.rings; ++r) {
        const P64* p = points(v, r);
        const std::size_t n = count(v, r);
        if (n < 4 || !(p[0] == p[n - 1])) return false;
        Box rb{p[0].x, p[0].y, p[0].x, p[0].y};
        for (std::size_t i = 0; i < n; ++i) {
            if (i > 0 && p[i] == p[i - 1]) return false;
            rb.x0 = std::min(rb.x0, p[i].x);
            rb.x1 = std::max(rb.x1, p[i].x);
            rb.y0 = std::min(rb.y0, p[i].y);
            rb.y1 = std::max(rb.y1, p[i].y);
        }
        const Wide a = area2(p, n);
        if (a == 0 || (a > 0) != (v.outer[r] != 0)) return false;
        if (v.outer[r] != 0) polygon = static_cast<std::uint32_t>(r);
        s.ring_box.push_back(rb);
        s.ring_area.push_back(a > 0 ? a : -a);
        s.ring_polygon.push_back(polygon);
        bb.x0 = std::min(bb.x0, rb.x0);
        bb.x1 = std::max(bb.x1, rb.x1);
        bb.y0 = std::min(bb.y0, rb.y0);
        bb.y1 = std::max(bb.y1, rb.y1);
        for (std::size_t i = 0; i + 1 < n; ++i) {
            const std::uint32_t g = v.begin(r) + static_cast<std::uint32_t>(i);
            if (border != nullptr && !on_border(p[i], border) && !on_border(p[i + 1], border)) {
                s.others[n_others] = g;
                s.other_ring[n_others++] = static_cast<std::uint32_t>(r);
            } else {
                s.edges[n_edges] = g;
                s.seg_ring[n_edges++] = static_cast<std::uint32_t>(r);
            }
        }
    }
    s.edges.resize(n_edges);
    s.seg_ring.resize(n_edges);
    s.others.resize(n_others);
    s.other_ring.resize(n_others);

    // Edges gi (of ring r) and gj (of ring rj): false stops the check (invalid).
    auto pair_ok = [&](std::uint32_t gi, std::uint32_t gj, std::uint32_t r, std::uint32_t rj) {
        const P64 a = all[gi], b = all[gi + 1], c2 = all[gj], d = all[gj + 1];
        if (r == rj) {
            const std::uint32_t rb = v.begin(r), re = v.end[r] - 2;  // first and last edges of the ring
            const std::uint32_t lo_e = std::min(gi, gj), hi_e = std::max(gi, gj);
            P64 shared{}, p{}, q{};
            bool adjacent = true;
            if (hi_e == lo_e + 1) {
                shared = all[hi_e];
                p = all[lo_e];
                q = all[hi_e + 1];
            } else if (lo_e == rb && hi_e == re) {
                shared = all[rb];
                p = all[re];
                q = all[rb + 1];
            } else {
                adjacent = false;
            }
            if (adjacent) {
                // Consecutive edges meet at their shared vertex only, unless they fold back.
                if (orient(p, shared, q) == 0 &&
                    static_cast<Wide>(p.x - shared.x) * (q.x - shared.x) + static_cast<Wide>(p.y - shared.y) * (q.y - shared.y) > 0)
                    return false;
                return true;
            }
        }
        if (segments_meet(a, b, c2, d)) {
            // Two rings touching at a vertex of both, and only there: allowed if the
            // sectors around the vertex agree (checked below). Anything else is refused.
            if (r != rj) {
                std::uint32_t vi = 0, vj = 0;
                int shared = 0;
                if (a == c2) { vi = gi; vj = gj; ++shared; }
                if (a == d) { vi = gi; vj = gj + 1; ++shared; }
                if (b == c2) { vi = gi + 1; vj = gj; ++shared; }
                if (b == d) { vi = gi + 1; vj = gj + 1; ++shared; }
                if (shared == 1) {
                    const P64 pv = all[vi], oi = vi == gi ? b : a, oj = vj == gj ? d : c2;
                    const bool overlap = orient(pv, oi, oj) == 0 &&
                                         static_cast<Wide>(oi.x - pv.x) * (oj.x - pv.x) + static_cast<Wide>(oi.y - pv.y) * (oj.y - pv.y) > 0;
                    if (!overlap) {
                        s.touch.push_back(vi == v.end[r] - 1 ? v.begin(r) : vi);
                        s.touch.push_back(vj == v.end[rj] - 1 ? v.begin(rj) : vj);
                        return true;
                    }
                }
            }
            if (touching == nullptr) return false;
            touching->push_back(r);
            touching->push_back(rj);
        }
        return true;
    };
    const std::size_t cells = bucket_edges(all, bb, s);
    if (!for_each_near_pair(s, cells, [&](std::uint32_t ei, std::uint32_t ej) {
            return pair_ok(s.edges[ei], s.edges[ej], s.seg_ring[ei], s.seg_ring[ej]);
        }))
        return false;
    // With `border`: the other edges against the border edges near them.
    for (std::size_t k = 0; k < s.others.size() && !s.edges.empty(); ++k) {
        const std::uint32_t g = s.others[k];
        const P64 a = all[g], b = all[g + 1];
        const std::int64_t x0 = std::min(a.x, b.x), x1 = std::max(a.x, b.x), y0 = std::min(a.y, b.y), y1 = std::max(a.y, b.y);
        for (std::int64_t cy = s.cy(y0); cy <= s.cy(y1); ++cy)
            for (std::int64_t cx = s.cx(x0); cx <= s.cx(x1); ++cx) {
                const auto c = static_cast<std::size_t>(cy * s.grid + cx);
                for (std::uint32_t i = s.cell_start[c]; i < s.cell_start[c + 1]; ++i) {
                    const ValidityScratch::Item& it = s.cell_items[i];
                    if (it.x1 < x0 || it.x0 > x1 || it.y1 < y0 || it.y0 > y1) continue;
                    if (!pair_ok(g, s.edges[it.e], s.other_ring[k], s.seg_ring[it.e])) return false;
                }
            }
    }
    if (touching != nullptr && !touching->empty()) return false;
    if (!s.touch.empty() && !touches_ok(v, s)) return false;
    if (touches != nullptr) *touches = !s.touch.empty();

    // Nesting: the innermost ring around a vertex of each ring where no other ring touches it.
    for (std::size_t r = 0; r < v.rings; ++r) {
        P64 q = points(v, r)[0];
        if (!s.touch.empty()) {
            std::uint32_t g = v.begin(r);
            while (g + 1 < v.end[r] && s.touch_vertex[g] != 0) ++g;
            if (g + 1 == v.end[r]) return false;
            q = all[g];
        }
        std::size_t inner = v.rings;
        for (std::size_t o = 0; o < v.rings; ++o) {
            if (o == r) continue;
            const Box& b = s.ring_box[o];
            if (q.x < b.x0 || q.x > b.x1 || q.y < b.y0 || q.y > b.y1) continue;
            if (inner != v.rings && s.ring_area[o] >= s.ring_area[inner]) continue;
            if (point_in_ring(q, points(v, o), count(v, o))) inner = o;
        }
        if (v.outer[r] == 0) {
            if (inner != s.ring_polygon[r]) return false;  // a hole directly inside its exterior
        } else if (inner != v.rings && v.outer[inner] != 0) {
            return false;  // an exterior inside another polygon, not in one of its holes
        }
    }
    return true;
}

}  // namespace

bool polygons_strictly_valid(RingsView v, std::vector<std::uint32_t>* touching, bool* touches, const std::int64_t* border) {
    thread_local ValidityScratch scratch;
    return strictly_valid(v, touching, touches, border, scratch);
}

// ---- pinches --------------------------------------------------------------------------------------

namespace {

// 1 strictly inside the closed ring p[0..n), 0 on it, -1 outside.
int locate(P64 q, const P64* p, std::size_t n) {
    for (std::size_t i = 1; i < n; ++i)
        if (orient(p[i - 1], p[i], q) == 0 && on_segment(p[i - 1], p[i], q)) return 0;
    return point_in_ring(q, p, n) ? 1 : -1;
}

struct PinchScratch {
    ValidityScratch grid;
    struct Insert {
        std::uint32_t edge;
        P64 p;
    };
    std::vector<Insert> inserts;
    std::vector<P64> ring, path, loops;
    std::vector<std::uint32_t> loop_end, order, owner;
    std::vector<Wide> loop_area;
};

struct P64Hash {
    std::size_t operator()(P64 p) const noexcept {
        return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(p.x) * 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(p.y));
    }
};

[[gnu::noipa]] bool split_with(RingSet& rs, PinchScratch& ps) {
    ValidityScratch& s = ps.grid;
    const P64* all = reinterpret_cast<const P64*>(rs.xy.data());
    const RingsView v = rs.view();
    s.edges.clear();
    s.seg_ring.clear();
    Box bb{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(),
           std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::min()};
    for (std::size_t r = 0; r < v.rings; ++r) {
        const std::uint32_t b = v.begin(r), e = v.end[r];
        if (e - b < 4 || !(all[b] == all[e - 1])) return false;
        for (std::uint32_t g = b; g < e; ++g) {
            bb.x0 = std::min(bb.x0, all[g].x);
            bb.x1 = std::max(bb.x1, all[g].x);
            bb.y0 = std::min(bb.y0, all[g].y);
            bb.y1 = std::max(bb.y1, all[g].y);
            if (g + 1 < e) {
                if (all[g] == all[g + 1]) return false;
                s.edges.push_back(g);
                s.seg_ring.push_back(static_cast<std::uint32_t>(r));
            }
        }
    }
    if (s.edges.empty()) return false;
    // Vertices lying inside another edge are inserted into it; crossing edges cannot be mended
    // by splitting.
    ps.inserts.clear();
    const bool mendable = for_each_near_pair(s, bucket_edges(all, bb, s), [&](std::uint32_t ei, std::uint32_t ej) {
        const std::uint32_t gi = s.edges[ei], gj = s.edges[ej];
        const P64 a = all[gi], b = all[gi + 1], c2 = all[gj], d = all[gj + 1];
        const int o1 = orient(a, b, c2), o2 = orient(a, b, d), o3 = orient(c2, d, a), o4 = orient(c2, d, b);
        // Overlapping collinear edges are noded like touches: a part of a ring going
        // back over itself (a spike) becomes a loop of two points, dropped.
        if (o1 * o2 < 0 && o3 * o4 < 0) return false;  // crossing
        auto inside_edge = [](P64 p, P64 q, P64 x, int o) { return o == 0 && on_segment(p, q, x) && !(x == p) && !(x == q); };
        if (inside_edge(a, b, c2, o1)) ps.inserts.push_back({gi, c2});
        if (inside_edge(a, b, d, o2)) ps.inserts.push_back({gi, d});
        if (inside_edge(c2, d, a, o3)) ps.inserts.push_back({gj, a});
        if (inside_edge(c2, d, b, o4)) ps.inserts.push_back({gj, b});
        return true;
    });
    if (!mendable) return false;
    std::sort(ps.inserts.begin(), ps.inserts.end(), [&](const PinchScratch::Insert& x, const PinchScratch::Insert& y) {
        if (x.edge != y.edge) return x.edge < y.edge;
        const P64 o = all[x.edge];
        return std::abs(x.p.x - o.x) + std::abs(x.p.y - o.y) < std::abs(y.p.x - o.x) + std::abs(y.p.y - o.y);
    });
    ps.inserts.erase(std::unique(ps.inserts.begin(), ps.inserts.end(),
                                 [](const PinchScratch::Insert& x, const PinchScratch::Insert& y) { return x.edge == y.edge && x.p == y.p; }),
                     ps.inserts.end());

    // Every ring (with the inserted vertices) cut at its repeated vertices into loops.
    ps.loops.clear();
    ps.loop_end.clear();
    ps.loop_area.clear();
    std::unordered_map<P64, std::uint32_t, P64Hash> at;
    std::size_t ins = 0;
    auto close_loop = [&](std::size_t from) {
        const std::size_t n = ps.path.size() - from;
        if (n >= 3) {
            const std::size_t start = ps.loops.size();
            ps.loops.insert(ps.loops.end(), ps.path.begin() + static_cast<std::ptrdiff_t>(from), ps.path.end());
            ps.loops.push_back(ps.path[from]);
            const Wide a = area2(ps.loops.data() + start, n + 1);
            if (a == 0) {
                ps.loops.resize(start);
            } else {
                ps.loop_end.push_back(static_cast<std::uint32_t>(ps.loops.size()));
                ps.loop_area.push_back(a);
            }
        }
        for (std::size_t k = from + 1; k < ps.path.size(); ++k) at.erase(ps.path[k]);
        ps.path.resize(from + 1);
    };
    for (std::size_t r = 0; r < v.rings; ++r) {
        ps.ring.clear();
        for (std::uint32_t g = v.begin(r); g + 1 < v.end[r]; ++g) {
            ps.ring.push_back(all[g]);
            for (; ins < ps.inserts.size() && ps.inserts[ins].edge == g; ++ins) ps.ring.push_back(ps.inserts[ins].p);
        }
        ps.ring.push_back(ps.ring.front());
        ps.path.clear();
        at.clear();
        for (const P64 p : ps.ring) {
            const auto [it, fresh] = at.try_emplace(p, static_cast<std::uint32_t>(ps.path.size()));
            if (fresh) ps.path.push_back(p);
            else close_loop(it->second);
        }
    }
    // Positive loops are exteriors, negative ones holes of the smallest exterior around them.
    const std::size_t nl = ps.loop_end.size();
    auto loop_pts = [&](std::size_t k) { return ps.loops.data() + (k == 0 ? 0 : ps.loop_end[k - 1]); };
    auto loop_n = [&](std::size_t k) { return ps.loop_end[k] - (k == 0 ? 0 : ps.loop_end[k - 1]); };
    ps.owner.assign(nl, std::numeric_limits<std::uint32_t>::max());
    for (std::size_t h = 0; h < nl; ++h) {
        if (ps.loop_area[h] > 0) continue;
        for (std::size_t e = 0; e < nl; ++e) {
            if (ps.loop_area[e] < 0) continue;
            if (ps.owner[h] != std::numeric_limits<std::uint32_t>::max() && ps.loop_area[e] >= ps.loop_area[ps.owner[h]]) continue;
            int where = 0;
            for (std::size_t i = 0; i + 1 < loop_n(h) && where == 0; ++i) where = locate(loop_pts(h)[i], loop_pts(e), loop_n(e));
            if (where > 0) ps.owner[h] = static_cast<std::uint32_t>(e);
        }
    }
    RingSet out;
    auto emit = [&](std::size_t k, bool exterior) {
        for (std::size_t i = 0; i < loop_n(k); ++i) {
            out.xy.push_back(loop_pts(k)[i].x);
            out.xy.push_back(loop_pts(k)[i].y);
        }
        out.end.push_back(static_cast<std::uint32_t>(out.xy.size() / 2));
        out.outer.push_back(exterior ? 1 : 0);
    };
    for (std::size_t h = 0; h < nl; ++h)  // a negative loop outside every exterior is a lobe (even–odd rule)
        if (ps.loop_area[h] < 0 && ps.owner[h] == std::numeric_limits<std::uint32_t>::max()) {
            std::reverse(ps.loops.begin() + (h == 0 ? 0 : ps.loop_end[h - 1]), ps.loops.begin() + ps.loop_end[h]);
            ps.loop_area[h] = -ps.loop_area[h];
        }
    for (std::size_t e = 0; e < nl; ++e) {
        if (ps.loop_area[e] < 0) continue;
        emit(e, true);
        for (std::size_t h = 0; h < nl; ++h)
            if (ps.owner[h] == e) emit(h, false);
    }
    rs = std::move(out);
    return true;
}

}  // namespace

bool split_pinches(RingSet& rings) {
    thread_local PinchScratch scratch;
    return split_with(rings, scratch);
}

// ---- clipping ------------------------------------------------------------------------------------

namespace {

struct Crossing {
    double s;   // perimeter position, counter-clockwise from (lo, lo)
    double k;   // tie-break: position on the ε-shrunk square
    std::uint32_t chain;
    bool entry;
};
struct Chain {
    std::uint32_t first, last;  // points [first, last) of ClipScratch::pts
    std::uint32_t entry_pos = 0, exit_pos = 0;  // in the sorted crossings
    bool used = false;
};

struct ClipScratch {
    std::vector<DPt> pts;
    std::vector<Chain> chains;
    std::vector<Crossing> xs;
    std::vector<std::uint32_t> inside_holes;  // input rings inside the square
    std::vector<P64> ring;                    // output ring being built
    std::vector<P64> loops;                   // output exteriors, flat
    std::vector<std::uint32_t> loop_end;
    std::vector<std::int32_t> hole_owner;
};

class Clipper {
public:
    Clipper(RingsView in, std::int64_t ox, std::int64_t oy, std::int64_t lo, std::int64_t hi, RingSet& out, ClipScratch& s)
        : m_in(in), m_ox(ox), m_oy(oy), m_lo(static_cast<double>(lo)), m_hi(static_cast<double>(hi)), m_out(out), m_s(s) {}

    bool run() {
        std::size_t r = 0;
        while (r < m_in.rings) {
            std::size_t next = r + 1;
            while (next < m_in.rings && m_in.outer[next] == 0) ++next;
            if (!polygon(r, next)) return false;
            r = next;
        }
        return true;
    }

private:
    DPt at(std::uint32_t g) const {
        return DPt{static_cast<double>(m_in.xy[2 * g] - m_ox), static_cast<double>(m_in.xy[2 * g + 1] - m_oy)};
    }
    bool inside(DPt p) const { return p.x > m_lo && p.x < m_hi && p.y > m_lo && p.y < m_hi; }

    // Perimeter position of a point on side `side` (0 bottom y = lo, 1 right x = hi, 2 top
    // y = hi, 3 left x = lo), and the tie-break for an edge going from it towards `d`.
    Crossing crossing(int side, DPt p, DPt toward, std::uint32_t chain, bool entry) const {
        const double l = m_hi - m_lo;
        const double dx = toward.x - p.x, dy = toward.y - p.y;
        double s = 0, tang = 0, inward = 0;
        switch (side) {
            case 0: s = p.x - m_lo; tang = dx; inward = dy; break;
            case 1: s = l + p.y - m_lo; tang = dy; inward = -dx; break;
            case 2: s = 2 * l + m_hi - p.x; tang = -dx; inward = -dy; break;
            default: s = 3 * l + m_hi - p.y; tang = -dy; inward = dx; break;
        }
        return Crossing{s, inward > 0 ? tang / inward : 0.0, chain, entry};
    }

    // Liang–Barsky against the closed square: [t0, t1] of a → b inside it, and the sides
    // bounding the interval. False when the segment misses the square.
    bool clip_segment(DPt a, DPt b, double& t0, double& t1, int& side0, int& side1) const {
        const double dx = b.x - a.x, dy = b.y - a.y;
        const double p[4] = {-dx, dx, -dy, dy};
        const double q[4] = {a.x - m_lo, m_hi - a.x, a.y - m_lo, m_hi - a.y};
        constexpr int side_of[4] = {3, 1, 0, 2};
        t0 = 0;
        t1 = 1;
        side0 = side1 = -1;
        for (int k = 0; k < 4; ++k) {
            if (p[k] == 0) {
                if (q[k] < 0) return false;
                continue;
            }
            const double r = q[k] / p[k];
            if (p[k] < 0) {
                if (r > t1) return false;
                if (r >= t0) { t0 = r; side0 = side_of[k]; }
            } else {
                if (r < t0) return false;
                if (r <= t1) { t1 = r; side1 = side_of[k]; }
            }
        }
        return true;
    }

    // The point at t on a → b, exactly on the side's line.
    DPt point_on(DPt a, DPt b, double t, int side) const {
        DPt p{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
        if (t == 0) return a;
        if (t == 1) return b;
        switch (side) {
            case 0: p.y = m_lo; break;
            case 1: p.x = m_hi; break;
            case 2: p.y = m_hi; break;
            case 3: p.x = m_lo; break;
            default: break;
        }
        return p;
    }

    void start_chain(int side, DPt e, DPt toward) {
        m_s.chains.push_back(Chain{static_cast<std::uint32_t>(m_s.pts.size()), 0});
        m_s.xs.push_back(crossing(side, e, toward, static_cast<std::uint32_t>(m_s.chains.size() - 1), true));
        m_s.pts.push_back(e);
    }
    void end_chain(int side, DPt x, DPt from) {
        m_s.pts.push_back(x);
        m_s.chains.back().last = static_cast<std::uint32_t>(m_s.pts.size());
        m_s.xs.push_back(crossing(side, x, from, static_cast<std::uint32_t>(m_s.chains.size() - 1), false));
    }

    // Cuts ring r into chains; false when a side could not be found (degenerate).
    bool walk(std::size_t r) {
        const std::uint32_t b = m_in.begin(r), n = m_in.end[r] - b - 1;  // n edges
        std::uint32_t start = n;
        for (std::uint32_t i = 0; i < n; ++i)
            if (!inside(at(b + i))) { start = i; break; }
        if (start == n) return true;  // cannot happen: the caller handles rings inside the square
        bool open = false;
        for (std::uint32_t e = 0; e < n; ++e) {
            const std::uint32_t i = (start + e) % n;
            // A whole block of edges away from the square (then its first vertex is outside,
            // no chain is open): nothing to do.
            if (m_in.block_box != nullptr && (b + i) % block_size == 0 && i + block_size <= n && e + block_size <= n) {
                const std::int64_t* bb = m_in.block_box + 4 * ((b + i) / block_size);
                if (static_cast<double>(bb[2] - m_ox) < m_lo || static_cast<double>(bb[0] - m_ox) > m_hi ||
                    static_cast<double>(bb[3] - m_oy) < m_lo || static_cast<double>(bb[1] - m_oy) > m_hi) {
                    e += block_size - 1;
                    continue;
                }
            }
            const DPt pa = at(b + i), pb = at(b + i + 1);
            const bool ain = inside(pa), bin = inside(pb);
            if (ain && bin) {
                m_s.pts.push_back(pb);
                continue;
            }
            double t0 = 0, t1 = 1;
            int s0 = -1, s1 = -1;
            const bool hit = clip_segment(pa, pb, t0, t1, s0, s1);
            if (ain) {  // leaves
                if (!hit || s1 < 0 || !open) return false;
                end_chain(s1, point_on(pa, pb, t1, s1), pa);
                open = false;
            } else if (bin) {  // enters
                if (!hit || s0 < 0 || open) return false;
                start_chain(s0, point_on(pa, pb, t0, s0), pb);
                m_s.pts.push_back(pb);
                open = true;
            } else if (hit && t0 < t1 && s0 >= 0 && s1 >= 0) {  // may pass through
                const double tm = 0.5 * (t0 + t1);
                if (!inside(DPt{pa.x + tm * (pb.x - pa.x), pa.y + tm * (pb.y - pa.y)})) continue;
                const DPt enter = point_on(pa, pb, t0, s0), leave = point_on(pa, pb, t1, s1);
                start_chain(s0, enter, leave);
                end_chain(s1, leave, enter);
            }
        }
        return !open;
    }

    void add_point(DPt p) {
        const P64 q{round_to_grid(p.x), round_to_grid(p.y)};
        m_s.ring.push_back(q);
    }

    // Drops repeated and collinear points (zero-width spikes included) of the open ring; true
    // when a ring with a non-zero area remains, closed.
    static bool clean(std::vector<P64>& r) {
        std::size_t n = 0;
        for (const P64& p : r) {
            while (n >= 2 && orient(r[n - 2], r[n - 1], p) == 0) --n;
            if (n == 1 && r[0] == p) continue;
            r[n++] = p;
        }
        r.resize(n);
        bool changed = true;
        std::size_t first = 0;
        while (changed && r.size() - first >= 3) {
            changed = false;
            if (orient(r[r.size() - 2], r.back(), r[first]) == 0) { r.pop_back(); changed = true; }
            else if (orient(r.back(), r[first], r[first + 1]) == 0) { ++first; changed = true; }
        }
        if (first > 0) r.erase(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(first));
        if (r.size() < 3) return false;
        r.push_back(r.front());
        return area2(r.data(), r.size()) != 0;
    }

    void emit_ring(const P64* p, std::size_t n, bool exterior) {
        for (std::size_t i = 0; i < n; ++i) {
            m_out.xy.push_back(p[i].x);
            m_out.xy.push_back(p[i].y);
        }
        m_out.end.push_back(static_cast<std::uint32_t>(m_out.xy.size() / 2));
        m_out.outer.push_back(exterior ? 1 : 0);
    }
    void emit_input_ring(std::size_t r, bool exterior) {
        for (std::uint32_t g = m_in.begin(r); g < m_in.end[r]; ++g) {
            m_out.xy.push_back(m_in.xy[2 * g] - m_ox);
            m_out.xy.push_back(m_in.xy[2 * g + 1] - m_oy);
        }
        m_out.end.push_back(static_cast<std::uint32_t>(m_out.xy.size() / 2));
        m_out.outer.push_back(exterior ? 1 : 0);
    }

    // Polygon = rings [first, last) (exterior first).
    bool polygon(std::size_t first, std::size_t last) {
        m_s.pts.clear();
        m_s.chains.clear();
        m_s.xs.clear();
        m_s.inside_holes.clear();
        bool exterior_inside = false;
        for (std::size_t r = first; r < last; ++r) {
            double x0 = std::numeric_limits<double>::max(), y0 = x0, x1 = -x0, y1 = -x0;
            if (m_in.ring_box != nullptr) {
                const std::int64_t* b = m_in.ring_box + 4 * r;
                x0 = static_cast<double>(b[0] - m_ox);
                y0 = static_cast<double>(b[1] - m_oy);
                x1 = static_cast<double>(b[2] - m_ox);
                y1 = static_cast<double>(b[3] - m_oy);
            } else {
                for (std::uint32_t g = m_in.begin(r); g < m_in.end[r]; ++g) {
                    const DPt p = at(g);
                    x0 = std::min(x0, p.x);
                    x1 = std::max(x1, p.x);
                    y0 = std::min(y0, p.y);
                    y1 = std::max(y1, p.y);
                }
            }
            if (x1 < m_lo || x0 > m_hi || y1 < m_lo || y0 > m_hi) {
                if (r == first) return true;  // the exterior misses the square: so do its holes
                continue;
            }
            if (x0 >= m_lo && x1 <= m_hi && y0 >= m_lo && y1 <= m_hi) {  // within the closed square
                if (r == first) exterior_inside = true;
                else m_s.inside_holes.push_back(static_cast<std::uint32_t>(r));
                continue;
            }
            if (!walk(r)) return false;
        }
        if (exterior_inside) {  // the whole polygon
            for (std::size_t r = first; r < last; ++r) emit_input_ring(r, r == first);
            return true;
        }
        if (m_s.chains.empty()) {
            // No ring enters the open square: it is all inside the polygon or all outside.
            const DPt probe{m_lo + 0.5, m_lo + 0.5};
            bool in = false;
            const P64* all = reinterpret_cast<const P64*>(m_in.xy);
            for (std::size_t r = first; r < last; ++r) {
                if (std::find(m_s.inside_holes.begin(), m_s.inside_holes.end(), r) != m_s.inside_holes.end()) continue;
                m_s.ring.clear();
                for (std::uint32_t g = m_in.begin(r); g < m_in.end[r]; ++g) m_s.ring.push_back(P64{all[g].x - m_ox, all[g].y - m_oy});
                if (point_in_ring(probe, m_s.ring.data(), m_s.ring.size())) in = !in;
            }
            if (!in) return true;
            const auto lo = static_cast<std::int64_t>(m_lo), hi = static_cast<std::int64_t>(m_hi);
            const P64 square[5] = {{lo, lo}, {hi, lo}, {hi, hi}, {lo, hi}, {lo, lo}};
            emit_ring(square, 5, true);
            for (const auto h : m_s.inside_holes) emit_input_ring(h, false);
            return true;
        }
        return link();
    }

    bool link() {
        auto& xs = m_s.xs;
        std::sort(xs.begin(), xs.end(), [](const Crossing& a, const Crossing& b) { return a.s != b.s ? a.s < b.s : a.k < b.k; });
        for (std::uint32_t i = 0; i < xs.size(); ++i) {
            Chain& c = m_s.chains[xs[i].chain];
            (xs[i].entry ? c.entry_pos : c.exit_pos) = i;
        }
        const double l = m_hi - m_lo;
        const double corner_s[4] = {0, l, 2 * l, 3 * l};
        const DPt corner[4] = {{m_lo, m_lo}, {m_hi, m_lo}, {m_hi, m_hi}, {m_lo, m_hi}};
        m_s.loops.clear();
        m_s.loop_end.clear();
        const auto n = static_cast<std::uint32_t>(xs.size());
        for (std::uint32_t c0 = 0; c0 < m_s.chains.size(); ++c0) {
            if (m_s.chains[c0].used) continue;
            m_s.ring.clear();
            std::uint32_t cur = c0;
            for (std::size_t guard = 0;; ++guard) {
                if (guard > m_s.chains.size()) return false;
                Chain& c = m_s.chains[cur];
                c.used = true;
                for (std::uint32_t i = c.first; i < c.last; ++i) add_point(m_s.pts[i]);
                const std::uint32_t p = c.exit_pos, q = (p + 1) % n;
                if (!xs[q].entry) return false;
                const double sa = xs[p].s, sb = xs[q].s;
                if (q > p) {
                    for (int k = 0; k < 4; ++k)
                        if (corner_s[k] > sa && corner_s[k] < sb) add_point(corner[k]);
                } else {
                    for (int k = 0; k < 4; ++k)
                        if (corner_s[k] > sa) add_point(corner[k]);
                    for (int k = 0; k < 4; ++k)
                        if (corner_s[k] < sb) add_point(corner[k]);
                }
                const std::uint32_t nxt = xs[q].chain;
                if (nxt == c0) break;
                if (m_s.chains[nxt].used) return false;
                cur = nxt;
            }
            if (!clean(m_s.ring)) continue;
            if (area2(m_s.ring.data(), m_s.ring.size()) < 0) return false;  // loops are exteriors
            m_s.loops.insert(m_s.loops.end(), m_s.ring.begin(), m_s.ring.end());
            m_s.loop_end.push_back(static_cast<std::uint32_t>(m_s.loops.size()));
        }
        // Holes inside the square go into the loop around them.
        const P64* all = reinterpret_cast<const P64*>(m_in.xy);
        m_s.hole_owner.assign(m_s.inside_holes.size(), -1);
        for (std::size_t h = 0; h < m_s.inside_holes.size(); ++h) {
            const std::uint32_t hr = m_s.inside_holes[h];
            for (std::size_t k = 0; k < m_s.loop_end.size() && m_s.hole_owner[h] < 0; ++k) {
                const std::uint32_t b = k == 0 ? 0 : m_s.loop_end[k - 1];
                // The first vertex of the hole not on the loop (a hole may touch its shell) decides.
                int where = 0;
                for (std::uint32_t g = m_in.begin(hr); g + 1 < m_in.end[hr] && where == 0; ++g)
                    where = locate(P64{all[g].x - m_ox, all[g].y - m_oy}, m_s.loops.data() + b, m_s.loop_end[k] - b);
                if (where > 0) m_s.hole_owner[h] = static_cast<std::int32_t>(k);
            }
            if (m_s.hole_owner[h] < 0) return false;
        }
        for (std::size_t k = 0; k < m_s.loop_end.size(); ++k) {
            const std::uint32_t b = k == 0 ? 0 : m_s.loop_end[k - 1];
            emit_ring(m_s.loops.data() + b, m_s.loop_end[k] - b, true);
            for (std::size_t h = 0; h < m_s.inside_holes.size(); ++h)
                if (m_s.hole_owner[h] == static_cast<std::int32_t>(k)) emit_input_ring(m_s.inside_holes[h], false);
        }
        return true;
    }

    RingsView m_in;
    std::int64_t m_ox, m_oy;
    double m_lo, m_hi;
    RingSet& m_out;
    ClipScratch& m_s;
};

}  // namespace

void ring_boxes(const std::vector<std::int64_t>& xy, const std::vector<std::uint32_t>& end, std::vector<std::int64_t>& ring_box,
                std::vector<std::int64_t>& block_box) {
    auto box_of = [&](std::size_t first, std::size_t last, std::vector<std::int64_t>& out) {  // points [first, last)
        std::int64_t x0 = std::numeric_limits<std::int64_t>::max(), y0 = x0, x1 = std::numeric_limits<std::int64_t>::min(), y1 = x1;
        for (std::size_t i = first; i < last; ++i) {
            x0 = std::min(x0, xy[2 * i]);
            x1 = std::max(x1, xy[2 * i]);
            y0 = std::min(y0, xy[2 * i + 1]);
            y1 = std::max(y1, xy[2 * i + 1]);
        }
        out.insert(out.end(), {x0, y0, x1, y1});
    };
    ring_box.clear();
    block_box.clear();
    for (std::size_t r = 0; r < end.size(); ++r) box_of(r == 0 ? 0 : end[r - 1], end[r], ring_box);
    const std::size_t n = xy.size() / 2;
    for (std::size_t k = 0; k * block_size < n; ++k) box_of(k * block_size, std::min(n, (k + 1) * block_size + 1), block_box);
}

namespace {
[[gnu::noipa]] bool clip_with(RingsView polygons, std::int64_t ox, std::int64_t oy, std::int64_t lo, std::int64_t hi, RingSet& out,
                                 ClipScratch& scratch) {
    return Clipper(polygons, ox, oy, lo, hi, out, scratch).run();
}
}  // namespace

bool clip_polygons(RingsView polygons, std::int64_t ox, std::int64_t oy, std::int64_t lo, std::int64_t hi, RingSet& out) {
    thread_local ClipScratch scratch;
    return clip_with(polygons, ox, oy, lo, hi, out, scratch);
}

}  // namespace geoplex::tiles::detail
