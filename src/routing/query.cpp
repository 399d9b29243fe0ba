// Query: snapping (grid over road pieces), routes (CH, or an exact Dijkstra when constraints
// change the weights), steps, many-to-many matrices (CH buckets) and nearest.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "routing/constrained.hpp"
#include "routing/router_impl.hpp"

namespace geoplex::routing {

namespace {

constexpr double m_per_deg = 111'319.49;
constexpr double deg = std::numbers::pi / 180.0;

using detail::LoadedProfile;
using detail::WayCosts;

/// Planar length metric of a segment (equirectangular at its first point): fractions along a
/// segment are defined with it, both when snapping and when cutting geometry.
double seg_coslat(const Graph& g, SegmentId s) { return std::cos(g.segment_points(s)[1] * deg); }

double piece_len(std::span<const double> pts, std::size_t k, double coslat) {
    const double dx = (pts[2 * k + 2] - pts[2 * k]) * coslat, dy = pts[2 * k + 3] - pts[2 * k + 1];
    return std::sqrt(dx * dx + dy * dy);
}

/// Points of segment s between fractions f0 and f1, in traversal order (f0 > f1 = backwards).
void cut(const Graph& g, SegmentId s, double f0, double f1, std::vector<LonLat>& out) {
    const auto pts = g.segment_points(s);
    const std::size_t np = pts.size() / 2;
    const double cl = seg_coslat(g, s);
    thread_local std::vector<double> cum;  // hot path: no allocation once warm
    cum.assign(np, 0.0);
    for (std::size_t k = 0; k + 1 < np; ++k) cum[k + 1] = cum[k] + piece_len(pts, k, cl);
    const double total = cum.back();
    auto at = [&](double f) -> LonLat {
        if (total <= 0.0) return {pts[0], pts[1]};
        const double target = std::clamp(f, 0.0, 1.0) * total;
        std::size_t k = 0;
        while (k + 2 < np && cum[k + 1] < target) ++k;
        const double len = cum[k + 1] - cum[k];
        const double t = len > 0 ? std::clamp((target - cum[k]) / len, 0.0, 1.0) : 0.0;
        return {pts[2 * k] + t * (pts[2 * k + 2] - pts[2 * k]), pts[2 * k + 1] + t * (pts[2 * k + 3] - pts[2 * k + 1])};
    };
    auto push = [&](LonLat p) {
        if (out.empty() || !(out.back() == p)) out.push_back(p);
    };
    const double lo = std::min(f0, f1) * total, hi = std::max(f0, f1) * total;
    push(at(f0));
    if (f0 <= f1) {
        for (std::size_t k = 1; k + 1 < np; ++k)
            if (cum[k] > lo && cum[k] < hi) push({pts[2 * k], pts[2 * k + 1]});
    } else {
        for (std::size_t k = np - 1; k-- > 1;)
            if (cum[k] > lo && cum[k] < hi) push({pts[2 * k], pts[2 * k + 1]});
    }
    push(at(f1));
    if (out.size() == 1) out.push_back(out.back());  // a line needs two positions
}

struct Cand {
    SegmentId seg = invalid_id;
    double planar = 0;  // metres, ranking only
    double fraction = 0;
    LonLat point;
};

/// A road piece near the query point: segment, piece index, parameter along the piece.
struct PieceHit {
    SegmentId seg;
    std::uint32_t piece;
    double t;
    double planar;
};

/// Fraction along the whole segment (in the segment's own metric) of a point on one piece.
Cand to_cand(const Graph& g, const PieceHit& h) {
    const auto pts = g.segment_points(h.seg);
    const double cl = seg_coslat(g, h.seg);
    double before = 0, total = 0;
    const std::size_t np = pts.size() / 2;
    for (std::size_t q = 0; q + 1 < np; ++q) {
        const double len = piece_len(pts, q, cl);
        if (q < h.piece) before += len;
        total += len;
    }
    const double here = piece_len(pts, h.piece, cl);
    const std::size_t k = h.piece;
    Cand c;
    c.seg = h.seg;
    c.planar = h.planar;
    c.fraction = total > 0 ? std::clamp((before + h.t * here) / total, 0.0, 1.0) : 0.0;
    c.point = {pts[2 * k] + h.t * (pts[2 * k + 2] - pts[2 * k]), pts[2 * k + 1] + h.t * (pts[2 * k + 3] - pts[2 * k + 1])};
    return c;
}

/// Keeps the nearest hit per segment, sorted by distance then segment.
void best_per_segment(std::vector<PieceHit>& hits) {
    std::sort(hits.begin(), hits.end(), [](const PieceHit& a, const PieceHit& b) {
        return a.seg != b.seg ? a.seg < b.seg : a.planar < b.planar;
    });
    hits.erase(std::unique(hits.begin(), hits.end(), [](const PieceHit& a, const PieceHit& b) { return a.seg == b.seg; }),
               hits.end());
    std::sort(hits.begin(), hits.end(), [](const PieceHit& a, const PieceHit& b) {
        return a.planar != b.planar ? a.planar < b.planar : a.seg < b.seg;
    });
}

/// Nearest road pieces to p within radius (one candidate per segment, nearest first). Rings of
/// grid cells are scanned outwards until `count` segments are nearer than the next ring can be;
/// fractions along segments are computed only for the candidates returned.
std::vector<Cand> nearest_segments(const LoadedProfile& lp, LonLat p, double radius, std::size_t count,
                                   const std::function<bool(SegmentId)>& accept, bool with_ties = false) {
    const Graph& g = lp.graph;
    const auto& gp = lp.grid;
    const auto nx = static_cast<long>(gp.nx), ny = static_cast<long>(gp.ny);
    const double coslat = std::cos(p.lat * deg);
    const double cell_m = std::min(gp.cell_lat * m_per_deg, gp.cell_lon * m_per_deg * coslat);
    const auto cx = static_cast<long>(std::floor((p.lon - gp.min_lon) / gp.cell_lon));
    const auto cy = static_cast<long>(std::floor((p.lat - gp.min_lat) / gp.cell_lat));
    thread_local std::vector<PieceHit> hits, scratch;  // hot path: no allocation once warm
    hits.clear();
    // One nearest piece wanted (route ends): a cell farther than the nearest hit so far (+ the
    // tie tolerance and a metre for rounding) cannot hold a piece that is kept, so it is not read.
    double nearest_so_far = std::numeric_limits<double>::infinity();
    auto visit = [&](long x, long y) {
        if (x < 0 || y < 0 || x >= nx || y >= ny) return;
        if (count == 1 && nearest_so_far < std::numeric_limits<double>::infinity()) {
            const double x0 = gp.min_lon + static_cast<double>(x) * gp.cell_lon;
            const double y0 = gp.min_lat + static_cast<double>(y) * gp.cell_lat;
            const double ddx = std::max({0.0, x0 - p.lon, p.lon - (x0 + gp.cell_lon)}) * coslat * m_per_deg;
            const double ddy = std::max({0.0, y0 - p.lat, p.lat - (y0 + gp.cell_lat)}) * m_per_deg;
            if (std::sqrt(ddx * ddx + ddy * ddy) > nearest_so_far + 1.01) return;
        }
        const auto cell = static_cast<std::size_t>(y * nx + x);
        for (auto i = lp.grid_first[cell]; i < lp.grid_first[cell + 1]; ++i) {
            const SegmentId s = lp.grid_items[2 * std::size_t{i}];
            const std::uint32_t k = lp.grid_items[2 * std::size_t{i} + 1];
            if (accept && !accept(s)) continue;
            const double* pts = g.points.data() + 2 * std::size_t{g.segment_first_point[s]};
            const double ax = (pts[2 * k] - p.lon) * coslat * m_per_deg, ay = (pts[2 * k + 1] - p.lat) * m_per_deg;
            const double bx = (pts[2 * k + 2] - p.lon) * coslat * m_per_deg, by = (pts[2 * k + 3] - p.lat) * m_per_deg;
            const double vx = bx - ax, vy = by - ay;
            const double l2 = vx * vx + vy * vy;
            const double t = l2 > 0 ? std::clamp(-(ax * vx + ay * vy) / l2, 0.0, 1.0) : 0.0;
            const double qx = ax + t * vx, qy = ay + t * vy;
            hits.push_back({s, k, t, std::sqrt(qx * qx + qy * qy)});
            nearest_so_far = std::min(nearest_so_far, hits.back().planar);
        }
    };
    for (long k = 0;; ++k) {
        const double lower = static_cast<double>(std::max(0L, k - 1)) * cell_m;
        if (lower > radius) break;
        if (hits.size() >= count) {
            // Enough distinct segments nearer than anything in the rings still to scan?
            std::size_t nearer = 0;
            if (count == 1) {
                for (const auto& h : hits) nearer += h.planar < lower ? 1 : 0;
            } else {
                scratch = hits;
                best_per_segment(scratch);
                for (const auto& h : scratch) nearer += h.planar < lower ? 1 : 0;
            }
            if (nearer >= count) break;
        }
        for (long dy = -k; dy <= k; ++dy) {
            if (dy == -k || dy == k) {
                for (long dx = -k; dx <= k; ++dx) visit(cx + dx, cy + dy);
            } else {
                visit(cx - k, cy + dy);
                if (k > 0) visit(cx + k, cy + dy);
            }
        }
    }
    if (count == 1 && !hits.empty()) {
        // The usual case (route ends): only the nearest piece and its ties matter.
        double nearest = hits.front().planar;
        for (const auto& h : hits) nearest = std::min(nearest, h.planar);
        const double cut_off = nearest + (with_ties ? 0.01 : 0.0);
        std::erase_if(hits, [cut_off](const PieceHit& h) { return h.planar > cut_off; });
    }
    best_per_segment(hits);
    std::size_t keep = 0;
    while (keep < hits.size() && hits[keep].planar <= radius * 1.01 + 1.0) ++keep;
    hits.resize(keep);
    // Ties: pieces as near as the nearest (to the centimetre), e.g. all the roads of a junction.
    keep = std::min(count, hits.size());
    if (with_ties)
        while (keep < hits.size() && hits[keep].planar <= hits[0].planar + 0.01) ++keep;
    std::vector<Cand> out;
    out.reserve(keep);
    for (std::size_t i = 0; i < keep; ++i) out.push_back(to_cand(g, hits[i]));
    return out;
}

Snap to_snap(LonLat input, const Cand& c) {
    Snap s;
    s.input = input;
    s.snapped = c.point;
    s.segment = c.seg;
    s.fraction = c.fraction;
    s.distance_m = core::geodesic_distance(input, c.point);
    return s;
}

Weight scaled(Weight w, double factor) { return detail::constrained_weight(w, factor); }

/// A traversed part of a road piece: fractions f0 → f1 in the segment's stored direction.
struct Piece {
    ArcId arc;
    SegmentId seg;
    double f0, f1;
};

struct Seed {
    NodeId node;
    Weight w, aux;
    ArcId arc;
    std::size_t snap = 0;  // which of the tied snaps it comes from
};

}  // namespace

struct Query::State {
    Router router;
    std::map<std::tuple<const void*, int>, std::unique_ptr<ChQuery>> ch_queries;
    // constrained Dijkstra / matrix scratch, sized to the largest graph seen
    std::vector<Weight> dist;
    std::vector<std::uint32_t> stamp;
    std::vector<ArcId> parent_arc;
    std::vector<Weight> dist2, aux1, aux2;
    std::vector<std::uint32_t> stamp2;
    std::uint32_t round = 0;
    detail::ConstrainedSearch constrained;  // constrained routes (CH then verify, else A*)
    detail::WayCostsCache costs_cache;      // of the last constraint set
    // Queries on constraint-set hierarchies, keyed by the hierarchy; `hold` keeps an adaptive
    // set (and so the key's address) alive until its eviction is noticed here.
    struct SetQuery {
        std::shared_ptr<const detail::PrecomputedSet> hold;
        std::unique_ptr<ChQuery> query;
    };
    std::map<const void*, SetQuery> set_queries;
    explicit State(Router r) : router(std::move(r)) {}

    ChQuery& set_query(const Graph& g, const std::shared_ptr<const detail::PrecomputedSet>& set, Optimization o) {
        const ContractionHierarchy& sch = set->ch[static_cast<std::size_t>(o)];
        auto& sq = set_queries[&sch];
        if (!sq.query) {
            std::erase_if(set_queries, [](const auto& kv) { return kv.second.hold && kv.second.hold->evicted; });
            auto& fresh = set_queries[&sch];
            if (set->adaptive) fresh.hold = set;
            fresh.query = std::make_unique<ChQuery>(g, sch);
            return *fresh.query;
        }
        return *sq.query;
    }

    ChQuery& ch_query(const LoadedProfile& lp, Optimization o) {
        auto& q = ch_queries[{&lp, static_cast<int>(o)}];
        if (!q) q = std::make_unique<ChQuery>(lp.graph, lp.ch[static_cast<std::size_t>(o)]);
        return *q;
    }
    void ensure(std::uint32_t n) {
        if (dist.size() < n) {
            dist.assign(n, inf_weight);
            stamp.assign(n, 0);
            parent_arc.assign(n, invalid_id);
            dist2.assign(n, inf_weight);
            aux1.assign(n, 0);
            aux2.assign(n, 0);
            stamp2.assign(n, 0);
            round = 0;
        }
        if (++round == 0) {
            std::fill(stamp.begin(), stamp.end(), 0);
            std::fill(stamp2.begin(), stamp2.end(), 0);
            round = 1;
        }
    }
};

Query::Query(const Router& router) : m_state(std::make_unique<State>(router)) {}
Query::~Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
const Router& Query::router() const noexcept { return m_state->router; }

namespace {

const LoadedProfile& lookup(const Router& r, std::string_view resource, std::string_view profile, Optimization o) {
    const auto& lp = r.impl().profile(resource, profile);
    if (!lp.has_ch[static_cast<std::size_t>(o)])
        throw Error(errc::not_found, fmt::format("routing resource '{}', profile '{}' has no '{}' optimization",
                                                 resource, profile, to_string(o)));
    return lp;
}

/// Arcs of segment s in direction dir (0 forward) that end at its head: (tail, arc).
template <class F>
void arcs_of(const Graph& g, SegmentId s, unsigned dir, F&& f) {
    const NodeId h = g.segment_head[2 * s + dir];
    if (h == invalid_id) return;
    for (auto i = g.first_in[h]; i < g.first_in[h + 1]; ++i) {
        const ArcId a = g.in_arc[i];
        if (g.arc_segment[a] == (s << 1U | dir)) f(g.in_tail[i], a);
    }
}

double factor_of(const WayCosts& wc, const Graph& g, ArcId a) {
    return wc.any ? wc.factor[g.segment_way[g.segment_of(a)]] : 1.0;
}

struct LegPath {
    Weight weight = inf_weight;
    Weight aux = 0;           // the other metric (CH aux), set on the summary-only path
    bool summary_only = false;
    RouteEngine engine = RouteEngine::direct;
    std::vector<Piece> pieces;
};

/// One leg: CH when no constraint changes the weights, else an exact Dijkstra. (A template
/// only so that it can take the query's private scratch state.)
template <class State>
LegPath solve_leg(State& st, const LoadedProfile& lp, Optimization o, const std::vector<Snap>& froms,
                  const std::vector<Snap>& tos, const WayCosts& wc, bool need_path) {
    const Graph& g = lp.graph;
    const auto W = g.weights(o);
    const auto A = g.weights(o == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
    std::vector<Seed> sources, targets;
    // Several snaps per point when road pieces tie (a point on a junction is on all of them):
    // their seeds together let the route leave or reach the junction by any road.
    for (std::size_t fi = 0; fi < froms.size(); ++fi) {
        const Snap& from = froms[fi];
        for (unsigned dir = 0; dir < 2; ++dir) {
            const double rem = dir == 0 ? 1.0 - from.fraction : from.fraction;
            bool done = false;
            arcs_of(g, from.segment, dir, [&](NodeId, ArcId a) {
                if (done) return;
                const double f = factor_of(wc, g, a);
                if (f <= 0) return;
                done = true;
                sources.push_back({g.segment_head[2 * from.segment + dir],
                                   static_cast<Weight>(std::llround(scaled(W[a], f) * rem)),
                                   static_cast<Weight>(std::llround(A[a] * rem)), a, fi});
            });
        }
    }
    for (std::size_t ti = 0; ti < tos.size(); ++ti) {
        const Snap& to = tos[ti];
        for (unsigned dir = 0; dir < 2; ++dir) {
            const double cov = dir == 0 ? to.fraction : 1.0 - to.fraction;
            arcs_of(g, to.segment, dir, [&](NodeId tail, ArcId a) {
                const double f = factor_of(wc, g, a);
                if (f <= 0) return;
                targets.push_back({tail, static_cast<Weight>(std::llround(scaled(W[a], f) * cov)),
                                   static_cast<Weight>(std::llround(A[a] * cov)), a, ti});
            });
        }
    }
    LegPath best;
    // Same road piece, downstream: no graph node in between.
    for (const Snap& from : froms)
        for (const Snap& to : tos) {
            if (from.segment != to.segment) continue;
            for (unsigned dir = 0; dir < 2; ++dir) {
                const bool ok = dir == 0 ? to.fraction >= from.fraction : to.fraction <= from.fraction;
                if (!ok) continue;
                arcs_of(g, from.segment, dir, [&](NodeId, ArcId a) {
                    const double f = factor_of(wc, g, a);
                    if (f <= 0) return;
                    const auto w =
                        static_cast<Weight>(std::llround(scaled(W[a], f) * std::abs(to.fraction - from.fraction)));
                    if (w < best.weight) {
                        best.weight = w;
                        best.aux = static_cast<Weight>(std::llround(A[a] * std::abs(to.fraction - from.fraction)));
                        best.pieces = {Piece{a, from.segment, from.fraction, to.fraction}};
                    }
                });
            }
        }
    if (sources.empty() || targets.empty()) return best;

    Weight dist = inf_weight;
    std::vector<ArcId> arcs;
    NodeId src = invalid_id, tgt = invalid_id;
    RouteEngine engine = RouteEngine::ch;
    if (!wc.any || st.costs_cache.inert()) {  // no factor other than 1: the CH's answer is exact
        ChQuery& q = st.ch_query(lp, o);
        q.reset();
        for (const auto& s : sources) q.add_source(s.node, s.w, s.aux);
        for (const auto& t : targets) q.add_target(t.node, t.w, t.aux);
        q.run();
        dist = q.distance();
        if (!need_path) {
            // Distance and duration only: the CH carries the other metric, no unpacking.
            if (dist < best.weight) {
                best.weight = dist;
                best.aux = q.aux();
                best.pieces.clear();
                best.engine = engine;
            }
            best.summary_only = true;
            return best;
        }
        if (dist != inf_weight) {
            arcs = q.arc_path();
            src = q.path_source();
            tgt = q.path_target();
        }
    } else if (const auto set = st.costs_cache.precomputed(lp, o, st.router.impl().adaptive_sets.get());
               set != nullptr && set->has_ch[static_cast<std::size_t>(o)]) {
        // A constraint set with the same factors, declared in the bundle or built by the Router
        // (routing/adaptive_sets.hpp): a plain CH query on its own hierarchy
        // (routing/ch_recontract.hpp); the seeds already carry the constrained weights.
        engine = set->adaptive ? RouteEngine::adaptive_set : RouteEngine::declared_set;
        ChQuery* q = &st.set_query(g, set, o);
        q->reset();
        for (const auto& s : sources) q->add_source(s.node, s.w, s.aux);
        for (const auto& t : targets) q->add_target(t.node, t.w, t.aux);
        q->run();
        dist = q->distance();
        if (!need_path && set->bans_only) {
            // Bans only: the weights are the true metric, the CH carries the other; no unpacking.
            if (dist < best.weight) {
                best.weight = dist;
                best.aux = q->aux();
                best.pieces.clear();
                best.engine = engine;
            }
            best.summary_only = true;
            return best;
        }
        if (dist != inf_weight && dist < best.weight) {
            arcs = q->arc_path();
            src = q->path_source();
            tgt = q->path_target();
        }
    } else {
        // Exact search on the constrained weights: the CH path when it is provably optimal,
        // else A* with CH potentials (routing/constrained.hpp).
        std::vector<detail::SearchSeed> from_seeds, to_seeds;
        for (const auto& s : sources) from_seeds.push_back({s.node, s.w});
        for (const auto& t : targets) to_seeds.push_back({t.node, t.w});
        auto found = st.constrained.run(g, lp.ch[static_cast<std::size_t>(o)], st.ch_query(lp, o), o, wc,
                                        st.costs_cache.min_factor(), from_seeds, to_seeds, best.weight,
                                        st.costs_cache.components(g));
        engine = st.constrained.stats().ch_path ? RouteEngine::ch_verified : RouteEngine::astar;
        dist = found.weight;
        arcs = std::move(found.arcs);
        src = found.source;
        tgt = found.target;
    }
    if (dist == inf_weight || dist >= best.weight) return best;
    best.weight = dist;
    best.engine = engine;
    best.pieces.clear();
    const Seed* first = nullptr;
    for (const auto& s : sources)
        if (s.node == src && (first == nullptr || s.w < first->w)) first = &s;
    if (first != nullptr) {
        const unsigned dir = g.reversed(first->arc) ? 1U : 0U;
        const Snap& from = froms[first->snap];
        best.pieces.push_back({first->arc, from.segment, from.fraction, dir == 0 ? 1.0 : 0.0});
    }
    for (const ArcId a : arcs) {
        const bool rev = g.reversed(a);
        best.pieces.push_back({a, g.segment_of(a), rev ? 1.0 : 0.0, rev ? 0.0 : 1.0});
    }
    Weight best_final = inf_weight;
    const Seed* chosen = nullptr;
    for (const auto& t : targets)
        if (t.node == tgt && t.w < best_final) {
            best_final = t.w;
            chosen = &t;
        }
    if (chosen != nullptr) {
        const unsigned dir = g.reversed(chosen->arc) ? 1U : 0U;
        const Snap& to = tos[chosen->snap];
        best.pieces.push_back({chosen->arc, to.segment, dir == 0 ? 0.0 : 1.0, to.fraction});
    }
    return best;
}

double bearing(LonLat a, LonLat b) {
    const double y = std::sin((b.lon - a.lon) * deg) * std::cos(b.lat * deg);
    const double x = std::cos(a.lat * deg) * std::sin(b.lat * deg) -
                     std::sin(a.lat * deg) * std::cos(b.lat * deg) * std::cos((b.lon - a.lon) * deg);
    return std::atan2(y, x) / deg;
}

std::string modifier_for(double turn) {
    const double a = std::abs(turn);
    if (a <= 15) return "straight";
    const char* side = turn > 0 ? "right" : "left";
    if (a <= 45) return fmt::format("slight {}", side);
    if (a <= 135) return side;
    if (a <= 170) return fmt::format("sharp {}", side);
    return "uturn";
}

/// The last heading of `line` and the first heading of `next` (skipping repeated positions).
double out_bearing(const std::vector<LonLat>& line) {
    for (std::size_t i = line.size(); i-- > 1;)
        if (!(line[i] == line[i - 1])) return bearing(line[i - 1], line[i]);
    return 0;
}
double in_bearing(const std::vector<LonLat>& line) {
    for (std::size_t i = 0; i + 1 < line.size(); ++i)
        if (!(line[i] == line[i + 1])) return bearing(line[i], line[i + 1]);
    return 0;
}

/// Road pieces → steps: one step per stretch of the same road (name, ref, roundabout).
std::vector<Step> make_steps(const Graph& g, const std::vector<Piece>& pieces) {
    std::vector<Step> steps;
    WayId prev_way = invalid_id;
    auto same_road = [&](WayId a, WayId b) {
        if (a == b) return true;
        const bool ra = (g.way_flags[a] & way_flag::roundabout) != 0, rb = (g.way_flags[b] & way_flag::roundabout) != 0;
        if (ra != rb) return false;
        if (ra) return true;
        const auto na = g.string(g.way_name[a]), nb = g.string(g.way_name[b]);
        const auto fa = g.string(g.way_ref[a]), fb = g.string(g.way_ref[b]);
        return (!na.empty() || !fa.empty()) && na == nb && fa == fb;
    };
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const Piece& p = pieces[i];
        const WayId w = g.segment_way[p.seg];
        const double frac = std::abs(p.f1 - p.f0);
        if (steps.empty() || !same_road(prev_way, w)) {
            Step s;
            s.way = w;
            s.name = std::string(g.string(g.way_name[w]));
            s.ref = std::string(g.string(g.way_ref[w]));
            if (steps.empty()) {
                s.maneuver.type = "depart";
            } else {
                std::vector<LonLat> tmp;
                cut(g, p.seg, p.f0, p.f1, tmp);
                const double turn = std::remainder(in_bearing(tmp) - out_bearing(steps.back().geometry), 360.0);
                const bool round_in = (g.way_flags[w] & way_flag::roundabout) != 0;
                const bool link_in = (g.way_flags[w] & way_flag::link) != 0;
                const bool link_prev = (g.way_flags[prev_way] & way_flag::link) != 0;
                s.maneuver.modifier = modifier_for(turn);
                if (round_in) {
                    s.maneuver.type = "roundabout";
                    s.maneuver.exit = 1;
                } else if (link_in && !link_prev) {
                    s.maneuver.type = "on ramp";
                } else if (!link_in && link_prev) {
                    s.maneuver.type = "off ramp";
                } else {
                    s.maneuver.type = s.maneuver.modifier == "straight" ? "new name" : "turn";
                }
            }
            steps.push_back(std::move(s));
        } else if (steps.back().maneuver.type == "roundabout") {
            // A junction inside the roundabout with a way out counts as an exit passed.
            const NodeId at = g.segment_head[2 * pieces[i - 1].seg + (g.reversed(pieces[i - 1].arc) ? 1U : 0U)];
            if (at != invalid_id) {
                bool exit = false;
                for (auto a = g.first_out[at]; a < g.first_out[at + 1]; ++a)
                    if ((g.way_flags[g.segment_way[g.segment_of(a)]] & way_flag::roundabout) == 0) exit = true;
                if (exit) ++steps.back().maneuver.exit;
            }
        }
        Step& s = steps.back();
        cut(g, p.seg, p.f0, p.f1, s.geometry);
        s.distance_m += g.segment_length_m[p.seg] * frac;
        s.duration_s += g.weight_fastest[p.arc] / weight_units_per_second * frac;
        prev_way = w;
    }
    return steps;
}

}  // namespace

RouteResult Query::route(const RouteRequest& req) {
    if (auto problems = req.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    auto& st = *m_state;
    const LoadedProfile& lp = lookup(st.router, req.resource, req.profile, req.optimization);
    const Graph& g = lp.graph;
    const WayCosts& wc = st.costs_cache.get(g, req.constraints);
    RouteResult res;
    const std::function<bool(SegmentId)> accept =
        wc.any ? std::function<bool(SegmentId)>([&](SegmentId s) { return wc.factor[g.segment_way[s]] > 0; })
               : std::function<bool(SegmentId)>();
    std::vector<std::vector<Snap>> ties(req.points.size());
    for (std::size_t i = 0; i < req.points.size(); ++i) {
        const auto c = nearest_segments(lp, req.points[i], req.snap_radius_m, 1, accept, true);
        if (c.empty()) {
            res.status = RouteStatus::no_road;
            res.failed_point = i;
            res.message = fmt::format("no road within {} m of point {} ({}, {})", req.snap_radius_m, i,
                                      req.points[i].lon, req.points[i].lat);
            return res;
        }
        res.snaps.push_back(to_snap(req.points[i], c.front()));
        for (const auto& cand : c)
            if (cand.planar <= c.front().planar + 0.01) ties[i].push_back(to_snap(req.points[i], cand));
    }
    for (std::size_t i = 0; i + 1 < res.snaps.size(); ++i) {
        LegPath path = solve_leg(st, lp, req.optimization, ties[i], ties[i + 1], wc, req.geometry || req.steps);
        if (path.weight == inf_weight) {
            res.status = RouteStatus::no_route;
            res.failed_point = i;
            res.message = fmt::format("no route between point {} and point {}", i, i + 1);
            res.legs.clear();
            res.geometry.clear();
            return res;
        }
        Leg leg;
        leg.engine = path.engine;
        leg.start = res.snaps[i].snapped;
        leg.end = res.snaps[i + 1].snapped;
        if (path.summary_only) {
            const bool fastest = req.optimization == Optimization::fastest;
            leg.duration_s = (fastest ? path.weight : path.aux) / weight_units_per_second;
            leg.distance_m = (fastest ? path.aux : path.weight) / weight_units_per_meter;
            res.distance_m += leg.distance_m;
            res.duration_s += leg.duration_s;
            res.legs.push_back(std::move(leg));
            continue;
        }
        leg.first_point = res.geometry.empty() ? 0 : res.geometry.size() - 1;
        std::vector<LonLat> line;
        for (const Piece& p : path.pieces) {
            cut(g, p.seg, p.f0, p.f1, line);
            const double frac = std::abs(p.f1 - p.f0);
            leg.distance_m += g.segment_length_m[p.seg] * frac;
            leg.duration_s += g.weight_fastest[p.arc] / weight_units_per_second * frac;
        }
        if (line.empty()) line = {leg.start, leg.end};
        for (const auto& pt : line) {
            leg.bbox.extend(pt);
            if (res.geometry.empty() || !(res.geometry.back() == pt)) res.geometry.push_back(pt);
        }
        leg.last_point = res.geometry.size() - 1;
        if (req.steps) {
            leg.steps = make_steps(g, path.pieces);
            Step arrive;
            arrive.geometry = {line.back(), line.back()};
            arrive.maneuver.type = "arrive";
            leg.steps.push_back(std::move(arrive));
        }
        res.distance_m += leg.distance_m;
        res.duration_s += leg.duration_s;
        res.legs.push_back(std::move(leg));
    }
    for (const auto& p : res.geometry) res.bbox.extend(p);
    if (!req.geometry) res.geometry.clear();
    return res;
}

MatrixResult Query::matrix(const MatrixRequest& req) {
    if (auto problems = req.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    auto& st = *m_state;
    const LoadedProfile& lp = lookup(st.router, req.resource, req.profile, req.optimization);
    const Graph& g = lp.graph;
    const ContractionHierarchy& c = lp.ch[static_cast<std::size_t>(req.optimization)];
    const auto W = g.weights(req.optimization);
    const auto A = g.weights(req.optimization == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
    MatrixResult res;
    res.rows = req.sources.size();
    res.cols = req.targets.size();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    res.durations_s.assign(res.rows * res.cols, nan);
    res.distances_m.assign(res.rows * res.cols, nan);
    std::vector<std::vector<Snap>> source_ties, target_ties;
    auto snap_all = [&](const std::vector<LonLat>& pts, std::vector<Snap>& out, std::vector<std::vector<Snap>>& ties) {
        for (const auto& p : pts) {
            const auto cands = nearest_segments(lp, p, req.snap_radius_m, 1, {}, true);
            Snap s;
            s.input = p;
            ties.emplace_back();
            if (!cands.empty()) {
                s = to_snap(p, cands.front());
                for (const auto& c2 : cands)
                    if (c2.planar <= cands.front().planar + 0.01) ties.back().push_back(to_snap(p, c2));
            }
            out.push_back(s);
        }
    };
    snap_all(req.sources, res.source_snaps, source_ties);
    snap_all(req.targets, res.target_snaps, target_ties);
    std::vector<Weight> best(res.rows * res.cols, inf_weight), best_aux(res.rows * res.cols, 0);

    // Backward searches from every target fill buckets: (rank) → (target, weight, aux).
    struct Entry {
        std::uint32_t target;
        Weight w, aux;
        std::uint32_t next;
    };
    std::vector<Entry> entries;
    const std::uint32_t n = g.node_count();
    st.ensure(n);
    std::vector<std::uint32_t>& bucket_stamp = st.stamp2;
    std::vector<Weight>& bucket_head = st.dist2;  // reused as "first entry" per rank
    const auto round = st.round;
    using Item = std::pair<Weight, NodeId>;
    std::vector<Item> heap;
    std::vector<NodeId> touched;
    std::vector<Weight> local(n, inf_weight);  // per-search distances (cleared through `touched`)
    std::vector<Weight> local_aux(n, 0);
    auto upward = [&](const std::vector<Seed>& seeds, std::span<const std::uint32_t> first, std::span<const NodeId> head,
                      std::span<const Weight> w, std::span<const Weight> aux, std::span<const std::uint32_t> down_first,
                      std::span<const NodeId> down_head, std::span<const Weight> down_w, auto&& on_settle) {
        heap.clear();
        for (const NodeId x : touched) local[x] = inf_weight;
        touched.clear();
        for (const auto& s : seeds) {
            const NodeId r = c.rank[s.node];
            if (s.w < local[r]) {
                if (local[r] == inf_weight) touched.push_back(r);
                local[r] = s.w;
                local_aux[r] = s.aux;
                heap.emplace_back(s.w, r);
                std::push_heap(heap.begin(), heap.end(), std::greater<>());
            }
        }
        while (!heap.empty()) {
            std::pop_heap(heap.begin(), heap.end(), std::greater<>());
            const auto [dx, x] = heap.back();
            heap.pop_back();
            if (dx != local[x]) continue;
            bool stalled = false;
            for (auto e = down_first[x]; e < down_first[x + 1] && !stalled; ++e)
                stalled = local[down_head[e]] != inf_weight && local[down_head[e]] + down_w[e] < dx;
            if (stalled) continue;
            on_settle(x, dx, local_aux[x]);
            for (auto e = first[x]; e < first[x + 1]; ++e) {
                const NodeId y = head[e];
                const Weight nd = dx + w[e];
                if (nd < local[y]) {
                    if (local[y] == inf_weight) touched.push_back(y);
                    local[y] = nd;
                    local_aux[y] = local_aux[x] + aux[e];
                    heap.emplace_back(nd, y);
                    std::push_heap(heap.begin(), heap.end(), std::greater<>());
                }
            }
        }
    };
    auto seeds_from = [&](const std::vector<Snap>& snaps, bool as_source) {
        std::vector<Seed> seeds;
        for (const Snap& s : snaps) {
            for (unsigned dir = 0; dir < 2; ++dir) {
                if (as_source) {
                    const double rem = dir == 0 ? 1.0 - s.fraction : s.fraction;
                    bool done = false;
                    arcs_of(g, s.segment, dir, [&](NodeId, ArcId a) {
                        if (done) return;
                        done = true;
                        seeds.push_back({g.segment_head[2 * s.segment + dir],
                                         static_cast<Weight>(std::llround(W[a] * rem)),
                                         static_cast<Weight>(std::llround(A[a] * rem)), a});
                    });
                } else {
                    const double cov = dir == 0 ? s.fraction : 1.0 - s.fraction;
                    arcs_of(g, s.segment, dir, [&](NodeId tail, ArcId a) {
                        seeds.push_back({tail, static_cast<Weight>(std::llround(W[a] * cov)),
                                         static_cast<Weight>(std::llround(A[a] * cov)), a});
                    });
                }
            }
        }
        return seeds;
    };
    for (std::uint32_t j = 0; j < res.cols; ++j) {
        upward(seeds_from(target_ties[j], false), c.backward_first_out, c.backward_head, c.backward_weight,
               c.backward_aux, c.forward_first_out, c.forward_head, c.forward_weight,
               [&](NodeId x, Weight d, Weight a) {
                   const std::uint32_t prev = bucket_stamp[x] == round ? bucket_head[x] : invalid_id;
                   bucket_stamp[x] = round;
                   bucket_head[x] = static_cast<Weight>(entries.size());
                   entries.push_back({j, d, a, prev});
               });
    }
    for (std::uint32_t i = 0; i < res.rows; ++i) {
        upward(seeds_from(source_ties[i], true), c.forward_first_out, c.forward_head, c.forward_weight,
               c.forward_aux, c.backward_first_out, c.backward_head, c.backward_weight,
               [&](NodeId x, Weight d, Weight a) {
                   if (bucket_stamp[x] != round) return;
                   for (auto e = bucket_head[x]; e != invalid_id; e = entries[e].next) {
                       const Entry& en = entries[e];
                       const std::size_t cell = i * res.cols + en.target;
                       if (d + en.w < best[cell]) {
                           best[cell] = d + en.w;
                           best_aux[cell] = a + en.aux;
                       }
                   }
               });
    }
    // Same road piece, downstream (no graph node in between).
    for (std::uint32_t i = 0; i < res.rows; ++i)
        for (std::uint32_t j = 0; j < res.cols; ++j) {
          for (const Snap& s : source_ties[i])
           for (const Snap& t : target_ties[j]) {
            if (s.segment != t.segment) continue;
            for (unsigned dir = 0; dir < 2; ++dir) {
                if (!(dir == 0 ? t.fraction >= s.fraction : t.fraction <= s.fraction)) continue;
                arcs_of(g, s.segment, dir, [&](NodeId, ArcId a) {
                    const double f = std::abs(t.fraction - s.fraction);
                    const auto w = static_cast<Weight>(std::llround(W[a] * f));
                    const std::size_t cell = i * res.cols + j;
                    if (w < best[cell]) {
                        best[cell] = w;
                        best_aux[cell] = static_cast<Weight>(std::llround(A[a] * f));
                    }
                });
            }
           }
        }
    for (std::size_t k = 0; k < best.size(); ++k) {
        if (best[k] == inf_weight) continue;
        const double w = best[k], a = best_aux[k];
        if (req.optimization == Optimization::fastest) {
            res.durations_s[k] = w / weight_units_per_second;
            res.distances_m[k] = a / weight_units_per_meter;
        } else {
            res.distances_m[k] = w / weight_units_per_meter;
            res.durations_s[k] = a / weight_units_per_second;
        }
    }
    return res;
}

std::vector<Snap> Query::nearest(const NearestRequest& req) {
    std::vector<std::string> problems;
    if (!core::is_valid_lonlat(req.point) || !std::isfinite(req.point.lon) || !std::isfinite(req.point.lat))
        problems.emplace_back("point: not a valid longitude, latitude");
    if (req.count == 0 || req.count > 1000) problems.emplace_back("count: must be in 1..1000");
    if (!(req.radius_m > 0 && req.radius_m <= 100000.0)) problems.emplace_back("radius_m: must be in ]0, 100000]");
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    const auto& lp = m_state->router.impl().profile(req.resource, req.profile);
    std::vector<Snap> out;
    for (const auto& c : nearest_segments(lp, req.point, req.radius_m, req.count, {}))
        out.push_back(to_snap(req.point, c));
    return out;
}

}  // namespace geoplex::routing
