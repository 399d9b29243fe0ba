#pragma once
// Independent references for the isochrone tests: a textbook Dijkstra (std::priority_queue,
// 64-bit sums) over the graph's forward CSR or over a reverse adjacency built here from
// first_out/head (not the graph's in-arc arrays), costs of sampled road points computed from
// it, and polygon checks through GEOS (validity, containment).

#include <cmath>
#include <cstdint>
#include <functional>
#include <queue>
#include <random>
#include <vector>

#include <catch2/catch.hpp>
#include <geos_c.h>

#include "geoplex/isochrone/isochrone.hpp"
#include "geoplex/routing/routing.hpp"

namespace geoplex::isochrone::test {

using routing::ArcId;
using routing::Graph;

constexpr std::uint64_t inf64 = UINT64_MAX;

struct RefSeed {
    NodeId node;
    std::uint64_t w;
};

/// Multi-source Dijkstra; `arrival` runs on the reverse graph. `banned(arc)` removes arcs.
inline std::vector<std::uint64_t> dijkstra(const Graph& g, std::span<const Weight> w, bool arrival,
                                           const std::vector<RefSeed>& seeds,
                                           const std::function<bool(ArcId)>& banned = {}) {
    const std::uint32_t n = g.node_count();
    // adjacency: (neighbour, arc)
    std::vector<std::vector<std::pair<NodeId, ArcId>>> adj(n);
    for (NodeId u = 0; u < n; ++u)
        for (auto a = g.first_out[u]; a < g.first_out[u + 1]; ++a) {
            if (banned && banned(a)) continue;
            if (arrival) adj[g.head[a]].emplace_back(u, a);
            else adj[u].emplace_back(g.head[a], a);
        }
    std::vector<std::uint64_t> dist(n, inf64);
    using Item = std::pair<std::uint64_t, NodeId>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
    for (const auto& s : seeds)
        if (s.w < dist[s.node]) {
            dist[s.node] = s.w;
            q.emplace(s.w, s.node);
        }
    while (!q.empty()) {
        const auto [d, x] = q.top();
        q.pop();
        if (d > dist[x]) continue;
        for (const auto& [y, a] : adj[x])
            if (d + w[a] < dist[y]) {
                dist[y] = d + w[a];
                q.emplace(dist[y], y);
            }
    }
    return dist;
}

/// Every node's cost from reach() equals the reference (inf beyond the limit), for both
/// algorithms, both directions, both cost types, from `sources` random nodes.
inline void check_exact(isochrone::Isochrones& iso, const routing::Router& router, const std::string& resource,
                        const std::string& profile, int sources, unsigned seed) {
    const Graph& g = router.graph(resource, profile);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> pick(0, g.node_count() - 1);
    std::size_t compared = 0;
    for (int i = 0; i < sources; ++i) {
        const NodeId s = pick(rng);
        for (const auto ct : {CostType::time, CostType::distance})
            for (const auto dir : {Direction::departure, Direction::arrival}) {
                const auto w = g.weights(ct == CostType::time ? routing::Optimization::fastest
                                                              : routing::Optimization::shortest);
                const auto ref = dijkstra(g, w, dir == Direction::arrival, {{s, 0}});
                // limits: everything, and the median cost (half the graph)
                std::vector<std::uint64_t> finite;
                for (const auto d : ref)
                    if (d != inf64) finite.push_back(d);
                std::nth_element(finite.begin(), finite.begin() + static_cast<long>(finite.size() / 2), finite.end());
                const auto median = static_cast<Weight>(finite[finite.size() / 2]);
                for (const Weight limit : {routing::inf_weight, median})
                    for (const auto algo : {Algorithm::dijkstra, Algorithm::phast, Algorithm::automatic}) {
                        ReachRequest rq;
                        rq.resource = resource;
                        rq.profile = profile;
                        rq.cost_type = ct;
                        rq.direction = dir;
                        rq.seeds = {{s, 0}};
                        rq.limit = limit;
                        rq.algorithm = algo;
                        const Algorithm ran = iso.reach(rq);
                        if (algo != Algorithm::automatic) REQUIRE(ran == algo);
                        const auto costs = iso.costs();
                        REQUIRE(costs.size() == g.node_count());
                        std::size_t bad = 0;
                        for (NodeId v = 0; v < g.node_count(); ++v) {
                            const std::uint64_t want = ref[v] <= limit ? ref[v] : inf64;
                            const std::uint64_t got = costs[v] == routing::inf_weight ? inf64 : costs[v];
                            if (want != got) ++bad;
                            ++compared;
                        }
                        INFO("source " << s << " " << to_string(ct) << " " << to_string(dir) << " "
                                       << to_string(algo) << " limit " << limit);
                        CHECK(bad == 0);
                    }
            }
    }
    CHECK(compared > 0);
}

// ---- road points and polygons ----

struct RoadPoint {
    LonLat p;
    double cost;  ///< seconds or metres; +inf unreachable
};

/// The position at fraction f of a segment (routing's planar metric of the segment).
inline LonLat at_fraction(const Graph& g, SegmentId s, double f) {
    const auto pts = g.segment_points(s);
    const std::size_t np = pts.size() / 2;
    const double cl = std::cos(pts[1] * 3.14159265358979323846 / 180.0);
    std::vector<double> cum(np, 0.0);
    for (std::size_t k = 0; k + 1 < np; ++k)
        cum[k + 1] = cum[k] + std::hypot((pts[2 * k + 2] - pts[2 * k]) * cl, pts[2 * k + 3] - pts[2 * k + 1]);
    if (np < 2) return {pts[0], pts[1]};
    const double target = f * cum[np - 1];
    std::size_t k = 0;
    while (k + 2 < np && cum[k + 1] < target) ++k;
    const double len = cum[k + 1] - cum[k];
    const double t = len > 0 ? std::min(1.0, std::max(0.0, (target - cum[k]) / len)) : 0.0;
    return {pts[2 * k] + t * (pts[2 * k + 2] - pts[2 * k]), pts[2 * k + 1] + t * (pts[2 * k + 3] - pts[2 * k + 1])};
}

/// Road points every ~`step_m` along every segment with their exact cost from the snapped point
/// (the reference Dijkstra from seeds derived here from the snap).
inline std::vector<RoadPoint> road_points(const Graph& g, std::span<const Weight> w, bool arrival,
                                          const routing::Snap& snap, double step_m) {
    const std::uint32_t n = g.node_count();
    std::vector<NodeId> tail(g.arc_count());
    for (NodeId u = 0; u < n; ++u)
        for (auto a = g.first_out[u]; a < g.first_out[u + 1]; ++a) tail[a] = u;
    std::vector<std::vector<ArcId>> seg_arcs(g.segment_count());
    for (ArcId a = 0; a < g.arc_count(); ++a) seg_arcs[g.segment_of(a)].push_back(a);
    // seeds: the snapped segment's arcs, from the point to their head (departure) or from their tail
    std::vector<RefSeed> seeds;
    for (const ArcId a : seg_arcs[snap.segment]) {
        const double from_tail = g.reversed(a) ? 1.0 - snap.fraction : snap.fraction;  // position of the point
        if (!arrival) seeds.push_back({g.head[a], static_cast<std::uint64_t>(std::llround(w[a] * (1.0 - from_tail)))});
        else seeds.push_back({tail[a], static_cast<std::uint64_t>(std::llround(w[a] * from_tail))});
    }
    const auto dist = dijkstra(g, w, arrival, seeds);
    std::vector<RoadPoint> out;
    for (SegmentId s = 0; s < g.segment_count(); ++s) {
        if (seg_arcs[s].empty()) continue;
        const auto m = static_cast<int>(std::ceil(g.segment_length_m[s] / step_m));
        for (int k = 0; k <= m; ++k) {
            const double f = m > 0 ? static_cast<double>(k) / m : 0.0;
            double best = INFINITY;
            for (const ArcId a : seg_arcs[s]) {
                const double pos = g.reversed(a) ? 1.0 - f : f;  // from the arc's tail
                if (!arrival && dist[tail[a]] != inf64) best = std::min(best, dist[tail[a]] + w[a] * pos);
                if (arrival && dist[g.head[a]] != inf64) best = std::min(best, dist[g.head[a]] + w[a] * (1.0 - pos));
                if (s == snap.segment) {
                    const double sp = g.reversed(a) ? 1.0 - snap.fraction : snap.fraction;
                    if (!arrival && pos >= sp) best = std::min(best, w[a] * (pos - sp));
                    if (arrival && pos <= sp) best = std::min(best, w[a] * (sp - pos));
                }
            }
            out.push_back({at_fraction(g, s, f), best / 10.0});
        }
    }
    return out;
}

struct Quality {
    double inside_reachable = 0;  ///< share of points with cost ≤ budget inside the polygon
    double outside_far = 0;       ///< share of points with cost > 1.25 budget outside
    std::size_t reachable = 0, far = 0;
    bool valid = false;
};

/// GEOS validity and the two containment shares of `poly` for `budget`.
inline Quality quality(const core::MultiPolygon& poly, const std::vector<RoadPoint>& pts, double budget) {
    GEOSContextHandle_t h = GEOS_init_r();
    std::vector<GEOSGeometry*> polys;
    auto ring = [&](const auto& r) {
        GEOSCoordSequence* cs = GEOSCoordSeq_create_r(h, static_cast<unsigned>(r.size()), 2);
        for (unsigned i = 0; i < r.size(); ++i) GEOSCoordSeq_setXY_r(h, cs, i, r[i].lon, r[i].lat);
        return GEOSGeom_createLinearRing_r(h, cs);
    };
    for (const auto& p : poly) {
        std::vector<GEOSGeometry*> holes;
        for (const auto& in : p.inners()) holes.push_back(ring(in));
        polys.push_back(GEOSGeom_createPolygon_r(h, ring(p.outer()), holes.data(), static_cast<unsigned>(holes.size())));
    }
    GEOSGeometry* mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size()));
    Quality q;
    q.valid = GEOSisValid_r(h, mp) == 1;
    const GEOSPreparedGeometry* prep = GEOSPrepare_r(h, mp);
    std::size_t in_ok = 0, out_ok = 0;
    for (const auto& rp : pts) {
        const bool reach = rp.cost <= budget, far = rp.cost > 1.25 * budget;
        if (!reach && !far) continue;
        GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(h, rp.p.lon, rp.p.lat);
        const bool inside = GEOSPreparedIntersects_r(h, prep, pt) == 1;
        GEOSGeom_destroy_r(h, pt);
        if (reach) {
            ++q.reachable;
            in_ok += inside ? 1 : 0;
        } else {
            ++q.far;
            out_ok += inside ? 0 : 1;
        }
    }
    q.inside_reachable = q.reachable > 0 ? static_cast<double>(in_ok) / static_cast<double>(q.reachable) : 1.0;
    q.outside_far = q.far > 0 ? static_cast<double>(out_ok) / static_cast<double>(q.far) : 1.0;
    GEOSPreparedGeom_destroy_r(h, prep);
    GEOSGeom_destroy_r(h, mp);
    GEOS_finish_r(h);
    return q;
}

/// compute() at `point` for each budget: valid polygons meeting the quality bar, and per-node
/// costs (node_costs) equal to the reference from the same snap.
inline void check_contours(isochrone::Isochrones& iso, const std::string& resource, const std::string& profile,
                           LonLat point, CostType ct, Direction dir, const std::vector<double>& budgets,
                           double min_outside_far = 0.95) {
    const Graph& g = iso.router().graph(resource, profile);
    const auto w = g.weights(ct == CostType::time ? routing::Optimization::fastest : routing::Optimization::shortest);
    IsochroneRequest rq;
    rq.resource = resource;
    rq.profile = profile;
    rq.point = point;
    rq.cost_type = ct;
    rq.direction = dir;
    rq.budgets = budgets;
    const auto res = iso.compute(rq);
    REQUIRE(res.status == IsochroneStatus::ok);
    REQUIRE(res.contours.size() == budgets.size());
    const auto pts = road_points(g, w, dir == Direction::arrival, res.snap, 20.0);
    for (std::size_t i = 0; i < budgets.size(); ++i) {
        const auto q = quality(res.contours[i].geometry, pts, budgets[i]);
        INFO(to_string(ct) << " " << to_string(dir) << " budget " << budgets[i] << ": " << q.reachable
                           << " reachable points, " << q.far << " far points, inside " << q.inside_reachable
                           << ", outside " << q.outside_far << ", " << res.contours[i].geometry.size() << " polygons");
        CHECK(q.valid);
        CHECK(q.reachable > 0);
        CHECK(q.inside_reachable >= 0.99);
        CHECK(q.outside_far >= min_outside_far);
    }
    // node costs equal the reference from the same snap (exact, incl. the mid-piece start)
    rq.budgets.clear();
    const auto costs = iso.node_costs(rq);
    std::vector<RefSeed> seeds;
    for (ArcId a = 0; a < g.arc_count(); ++a) {
        if (g.segment_of(a) != res.snap.segment) continue;
        NodeId t = 0;
        while (g.first_out[t + 1] <= a) ++t;
        const double from_tail = g.reversed(a) ? 1.0 - res.snap.fraction : res.snap.fraction;
        if (dir == Direction::departure)
            seeds.push_back({g.head[a], static_cast<std::uint64_t>(std::llround(w[a] * (1.0 - from_tail)))});
        else
            seeds.push_back({t, static_cast<std::uint64_t>(std::llround(w[a] * from_tail))});
    }
    const auto ref = dijkstra(g, w, dir == Direction::arrival, seeds);
    std::size_t bad = 0;
    for (NodeId v = 0; v < g.node_count(); ++v) {
        const double want = ref[v] == inf64 ? INFINITY : static_cast<double>(ref[v]) / 10.0;
        if (!(want == costs[v] || std::abs(want - costs[v]) < 1e-9)) ++bad;
    }
    CHECK(bad == 0);
}

}  // namespace geoplex::isochrone::test
