// Isochrones: snapping (routing's nearest), one-to-all searches (bounded Dijkstra on the graph,
// PHAST on the contraction hierarchy), reached pieces cut where the budget ends, contours.

#include "geoplex/isochrone/isochrone.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "isochrone/geometry.hpp"
#include "routing/detail.hpp"

namespace geoplex::isochrone {

using routing::ArcId;
using routing::Graph;
using routing::inf_weight;
using routing::invalid_id;
using routing::max_path_weight;

std::string_view to_string(CostType c) noexcept { return c == CostType::time ? "time" : "distance"; }
std::string_view to_string(Direction d) noexcept { return d == Direction::departure ? "departure" : "arrival"; }
std::string_view to_string(Algorithm a) noexcept {
    switch (a) {
    case Algorithm::automatic: return "automatic";
    case Algorithm::dijkstra: return "dijkstra";
    case Algorithm::phast: return "phast";
    }
    return "automatic";
}
std::optional<CostType> parse_cost_type(std::string_view s) noexcept {
    if (s == "time") return CostType::time;
    if (s == "distance") return CostType::distance;
    return std::nullopt;
}
std::optional<Direction> parse_direction(std::string_view s) noexcept {
    if (s == "departure") return Direction::departure;
    if (s == "arrival") return Direction::arrival;
    return std::nullopt;
}

std::vector<std::string> IsochroneRequest::validate() const {
    std::vector<std::string> p;
    if (resource.empty()) p.emplace_back("resource: empty");
    if (profile.empty()) p.emplace_back("profile: empty");
    if (!core::is_valid_lonlat(point)) p.push_back(fmt::format("point: ({}, {}) is not a WGS84 position", point.lon, point.lat));
    for (std::size_t i = 0; i < budgets.size(); ++i)
        if (!(budgets[i] > 0) || !std::isfinite(budgets[i]) || budgets[i] * routing::weight_units_per_second >= 1e9)
            p.push_back(fmt::format("budgets[{}]: {} is not a positive cost below 10^8", i, budgets[i]));
    for (std::size_t i = 0; i < constraints.size(); ++i)
        if (constraints[i].type != routing::ConstraintType::banned)
            p.push_back(fmt::format("constraints[{}]: isochrones accept 'banned' constraints only", i));
    if (!(snap_radius_m > 0)) p.emplace_back("snap_radius_m: must be > 0");
    if (!(phast_threshold >= 0)) p.emplace_back("phast_threshold: must be >= 0");
    if (!(polygon.buffer_m > 0)) p.emplace_back("polygon.buffer_m: must be > 0");
    if (polygon.cell_m < 0 || polygon.simplify_m < 0 || polygon.min_hole_area_m2 < 0)
        p.emplace_back("polygon: cell_m, simplify_m and min_hole_area_m2 must be >= 0");
    return p;
}

namespace {

/// Weight units per second or metre (both 10: deciseconds, decimetres).
constexpr double unit = routing::weight_units_per_second;
static_assert(routing::weight_units_per_second == routing::weight_units_per_meter);

routing::Optimization optimization_of(CostType c) {
    return c == CostType::time ? routing::Optimization::fastest : routing::Optimization::shortest;
}

/// A min-heap of (weight, node) with lazy deletion.
class Heap {
public:
    void clear() { m_items.clear(); }
    [[nodiscard]] bool empty() const { return m_items.empty(); }
    void push(Weight w, NodeId v) {
        m_items.emplace_back(w, v);
        std::push_heap(m_items.begin(), m_items.end(), std::greater<>{});
    }
    std::pair<Weight, NodeId> pop() {
        std::pop_heap(m_items.begin(), m_items.end(), std::greater<>{});
        const auto top = m_items.back();
        m_items.pop_back();
        return top;
    }

private:
    std::vector<std::pair<Weight, NodeId>> m_items;
};

}  // namespace

struct Isochrones::State {
    /// Reused between requests (the projected pieces' vectors keep their capacity).
    std::vector<detail::ProjectedPiece> projected;
    detail::PolygonScratch polygon_scratch;
    routing::Router router;
    // the graph of the last search
    const Graph* graph = nullptr;
    const routing::ContractionHierarchy* ch = nullptr;
    std::span<const Weight> weights;
    Direction direction = Direction::departure;
    std::vector<bool> banned_way;  // empty = none
    std::vector<routing::Snap> snaps;  // of the last compute()/node_costs()
    bool has_snaps = false;
    // per node, stamped
    std::vector<Weight> dist;
    std::vector<std::uint32_t> stamp;
    std::uint32_t round = 0;
    std::vector<NodeId> reached;
    std::vector<Weight> all;  // costs() materialised (full array)
    bool all_valid = false;
    // PHAST, per rank
    std::vector<Weight> rank_dist;
    Heap heap;
    // polygon input (merge()): per segment, stamped
    std::vector<double> seg_lo, seg_hi;
    std::vector<std::uint32_t> seg_stamp;
    std::uint32_t seg_round = 0;
    std::vector<SegmentId> seg_touched;
    std::vector<Piece> merged;

    explicit State(routing::Router r) : router(std::move(r)) {}

    [[nodiscard]] Weight cost(NodeId v) const { return stamp[v] == round ? dist[v] : inf_weight; }

    void new_round(std::uint32_t n) {
        if (dist.size() < n) {
            dist.assign(n, inf_weight);
            stamp.assign(n, 0);
            round = 0;
        }
        if (++round == 0) {
            std::fill(stamp.begin(), stamp.end(), 0);
            round = 1;
        }
        reached.clear();
        all_valid = false;
    }

    void select(std::string_view resource, std::string_view profile, CostType c, Direction d) {
        const auto o = optimization_of(c);
        graph = &router.graph(resource, profile);
        const auto* info = router.find(resource);
        const auto* pi = info != nullptr ? info->find_profile(profile) : nullptr;
        ch = nullptr;
        if (pi != nullptr && std::find(pi->optimizations.begin(), pi->optimizations.end(), o) != pi->optimizations.end())
            ch = &router.ch(resource, profile, o);
        weights = graph->weights(o);
        direction = d;
        banned_way.clear();
        has_snaps = false;
    }

    [[nodiscard]] bool banned(ArcId a) const {
        return !banned_way.empty() && banned_way[graph->segment_way[graph->segment_of(a)]];
    }

    bool relax(NodeId v, Weight w, Weight limit) {
        if (w > limit || w >= cost(v)) return false;
        if (stamp[v] != round) {
            stamp[v] = round;
            reached.push_back(v);
        }
        dist[v] = w;
        heap.push(w, v);
        return true;
    }

    /// Bounded Dijkstra; false (and an incomplete result) once more than `cap` nodes settled.
    bool dijkstra(std::span<const Seed> seeds, Weight limit, std::size_t cap) {
        const Graph& g = *graph;
        new_round(g.node_count());
        heap.clear();
        for (const Seed& s : seeds) relax(s.node, s.weight, limit);
        std::size_t settled = 0;
        const bool forward = direction == Direction::departure;
        while (!heap.empty()) {
            const auto [d, v] = heap.pop();
            if (d > dist[v]) continue;
            if (++settled > cap) return false;
            if (forward) {
                for (auto a = g.first_out[v]; a < g.first_out[v + 1]; ++a)
                    if (!banned(a)) relax(g.head[a], d + weights[a], limit);
            } else {
                for (auto i = g.first_in[v]; i < g.first_in[v + 1]; ++i)
                    if (!banned(g.in_arc[i])) relax(g.in_tail[i], d + weights[g.in_arc[i]], limit);
            }
        }
        return true;
    }

    /// PHAST: upward search from the seeds in the CH, then one downward sweep over all ranks.
    /// Departure goes up the forward arcs and sweeps the backward ones; arrival the reverse.
    void phast(std::span<const Seed> seeds, Weight limit) {
        const Graph& g = *graph;
        const auto& c = *ch;
        const std::uint32_t n = g.node_count();
        const bool forward = direction == Direction::departure;
        const auto up_first = forward ? c.forward_first_out : c.backward_first_out;
        const auto up_head = forward ? c.forward_head : c.backward_head;
        const auto up_weight = forward ? c.forward_weight : c.backward_weight;
        const auto down_first = forward ? c.backward_first_out : c.forward_first_out;
        const auto down_head = forward ? c.backward_head : c.forward_head;
        const auto down_weight = forward ? c.backward_weight : c.forward_weight;
        // max_path_weight as "unreachable": adding any arc weight stays below 2^32.
        rank_dist.assign(n, max_path_weight);
        heap.clear();
        for (const Seed& s : seeds)
            if (s.weight <= limit && s.weight < rank_dist[c.rank[s.node]]) {
                rank_dist[c.rank[s.node]] = s.weight;
                heap.push(s.weight, c.rank[s.node]);
            }
        while (!heap.empty()) {
            const auto [d, r] = heap.pop();
            if (d > rank_dist[r]) continue;
            for (auto e = up_first[r]; e < up_first[r + 1]; ++e) {
                const Weight nd = d + up_weight[e];
                if (nd <= limit && nd < rank_dist[up_head[e]]) {
                    rank_dist[up_head[e]] = nd;
                    heap.push(nd, up_head[e]);
                }
            }
        }
        Weight* rd = rank_dist.data();
        const NodeId* dh = down_head.data();
        const Weight* dw = down_weight.data();
        for (std::uint32_t r = n; r-- > 0;) {
            Weight best = rd[r];
            for (auto e = down_first[r], end = down_first[r + 1]; e < end; ++e) best = std::min(best, rd[dh[e]] + dw[e]);
            rd[r] = best;
        }
        new_round(n);
        for (NodeId r = 0; r < n; ++r) {
            const Weight d = rd[r];
            if (d > limit || d >= max_path_weight) continue;
            const NodeId v = c.order[r];
            stamp[v] = round;
            dist[v] = d;
            reached.push_back(v);
        }
    }

    Algorithm run(std::span<const Seed> seeds, Weight limit, Algorithm algorithm, double threshold) {
        const bool can_phast = ch != nullptr && banned_way.empty();
        if (algorithm == Algorithm::phast && !can_phast) algorithm = Algorithm::dijkstra;
        if (algorithm == Algorithm::phast) {
            phast(seeds, limit);
            return Algorithm::phast;
        }
        if (algorithm == Algorithm::dijkstra || !can_phast) {
            dijkstra(seeds, limit, std::numeric_limits<std::size_t>::max());
            return Algorithm::dijkstra;
        }
        const auto cap = static_cast<std::size_t>(threshold * graph->node_count());
        if (dijkstra(seeds, limit, cap)) return Algorithm::dijkstra;
        phast(seeds, limit);
        return Algorithm::phast;
    }

    /// The first non-banned arc of segment s in direction dir (0 = stored direction) and its tail(s).
    template <class F>
    void arcs_of(SegmentId s, unsigned dir, F&& f) const {
        const Graph& g = *graph;
        const NodeId h = g.segment_head[2 * s + dir];
        if (h == invalid_id) return;
        for (auto i = g.first_in[h]; i < g.first_in[h + 1]; ++i) {
            const ArcId a = g.in_arc[i];
            if (g.arc_segment[a] == (s << 1U | dir) && !banned(a)) f(g.in_tail[i], a);
        }
    }

    /// Snaps `p` to the nearest allowed road (with ties: a point on a junction is on every road
    /// of it); false when none within the radius.
    bool snap(const IsochroneRequest& req) {
        snaps.clear();
        routing::Query q(router);
        routing::NearestRequest nr;
        nr.resource = req.resource;
        nr.profile = req.profile;
        nr.point = req.point;
        nr.radius_m = req.snap_radius_m;
        nr.count = banned_way.empty() ? 8 : 64;
        const auto cands = q.nearest(nr);
        for (const auto& c : cands) {
            bool allowed = false;
            for (unsigned dir = 0; dir < 2; ++dir) arcs_of(c.segment, dir, [&](NodeId, ArcId) { allowed = true; });
            if (!allowed) continue;
            if (!snaps.empty() && c.distance_m > snaps.front().distance_m + 0.01) break;
            snaps.push_back(c);
        }
        has_snaps = !snaps.empty();
        return has_snaps;
    }

    [[nodiscard]] std::vector<Seed> seeds() const {
        std::vector<Seed> out;
        const bool forward = direction == Direction::departure;
        for (const auto& s : snaps)
            for (unsigned dir = 0; dir < 2; ++dir) {
                // departure: from the point to the head of the arc; arrival: from each tail to the point
                const double part = (dir == 0) == forward ? 1.0 - s.fraction : s.fraction;
                bool done = false;
                arcs_of(s.segment, dir, [&](NodeId tail, ArcId a) {
                    const auto w = static_cast<Weight>(std::llround(weights[a] * part));
                    if (forward) {
                        if (!done) out.push_back({graph->segment_head[2 * s.segment + dir], w});
                        done = true;
                    } else {
                        out.push_back({tail, w});
                    }
                });
            }
        return out;
    }

    void prepare(const IsochroneRequest& req) {
        if (auto problems = req.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
        select(req.resource, req.profile, req.cost_type, req.direction);
        if (!req.constraints.empty()) {
            const auto wc = routing::detail::way_costs(*graph, req.constraints);
            banned_way.assign(wc.factor.size(), false);
            for (std::size_t w = 0; w < wc.factor.size(); ++w) banned_way[w] = wc.factor[w] <= 0;
        }
    }

    /// The parts of the segments covered by `in`, each once, for the polygon: a street reached
    /// in both directions (two pieces, one from each end) or through split nodes is rasterised
    /// once. Pieces from an end of their segment are merged per segment; pieces inside one (on
    /// both sides of the snapped point) are kept as they are. Costs are not carried.
    const std::vector<Piece>& merge(const std::vector<Piece>& in) {
        const std::size_t ns = graph->segment_count();
        if (seg_stamp.size() < ns) {
            seg_lo.resize(ns);
            seg_hi.resize(ns);
            seg_stamp.assign(ns, 0);
            seg_round = 0;
        }
        if (++seg_round == 0) {
            std::fill(seg_stamp.begin(), seg_stamp.end(), 0);
            seg_round = 1;
        }
        merged.clear();
        seg_touched.clear();
        for (const Piece& p : in) {
            const bool from_start = p.f0 <= 0.0, to_end = p.f1 >= 1.0;
            if (!from_start && !to_end) {
                merged.push_back({p.segment, p.f0, p.f1, 0.0, 0.0});
                continue;
            }
            if (seg_stamp[p.segment] != seg_round) {
                seg_stamp[p.segment] = seg_round;
                seg_lo[p.segment] = -1.0;  // none from the start
                seg_hi[p.segment] = 2.0;   // none to the end
                seg_touched.push_back(p.segment);
            }
            if (from_start) seg_lo[p.segment] = std::max(seg_lo[p.segment], p.f1);
            if (to_end) seg_hi[p.segment] = std::min(seg_hi[p.segment], p.f0);
        }
        for (const SegmentId s : seg_touched) {
            const double lo = seg_lo[s], hi = seg_hi[s];
            if (lo >= hi) {
                merged.push_back({s, 0.0, 1.0, 0.0, 0.0});
                continue;
            }
            if (lo >= 0.0) merged.push_back({s, 0.0, lo, 0.0, 0.0});
            if (hi <= 1.0) merged.push_back({s, hi, 1.0, 0.0, 0.0});
        }
        return merged;
    }

    /// Reached pieces within `budget` weight units: arcs out of (departure) or into (arrival)
    /// reached nodes, cut where the budget ends, plus the parts of the snapped pieces.
    [[nodiscard]] std::vector<Piece> pieces(double budget) const {
        std::vector<Piece> out;
        const Graph& g = *graph;
        const bool forward = direction == Direction::departure;
        auto add = [&](SegmentId s, double f0, double f1, double c0, double c1) {
            if (f1 < f0) {
                std::swap(f0, f1);
                std::swap(c0, c1);
            }
            out.push_back({s, f0, f1, c0 / unit, c1 / unit});
        };
        for (const NodeId v : reached) {
            const double dv = dist[v];
            if (dv > budget) continue;
            auto arc = [&](ArcId a) {
                const double w = weights[a];
                const double x = w > 0 ? std::min(1.0, (budget - dv) / w) : 1.0;
                const bool rev = g.reversed(a);
                // the reached part starts at the tail (departure) or ends at the head (arrival)
                const bool from_zero = forward != rev;
                if (from_zero) add(g.segment_of(a), 0.0, x, dv, dv + x * w);
                else add(g.segment_of(a), 1.0 - x, 1.0, dv + x * w, dv);
            };
            if (forward) {
                for (auto a = g.first_out[v]; a < g.first_out[v + 1]; ++a)
                    if (!banned(a)) arc(a);
            } else {
                for (auto i = g.first_in[v]; i < g.first_in[v + 1]; ++i)
                    if (!banned(g.in_arc[i])) arc(g.in_arc[i]);
            }
        }
        for (const auto& s : snaps)
            for (unsigned dir = 0; dir < 2; ++dir) {
                bool done = false;
                arcs_of(s.segment, dir, [&](NodeId, ArcId a) {
                    if (done) return;
                    done = true;
                    const double w = weights[a];
                    // departure reaches downstream of the point, arrival upstream
                    const bool up = (dir == 0) == forward;
                    const double room = up ? 1.0 - s.fraction : s.fraction;
                    const double x = w > 0 ? std::min(room, budget / w) : room;
                    if (up) add(s.segment, s.fraction, s.fraction + x, 0.0, x * w);
                    else add(s.segment, s.fraction - x, s.fraction, x * w, 0.0);
                });
            }
        return out;
    }
};

Isochrones::Isochrones(const routing::Router& router) : m_state(std::make_unique<State>(router)) {}
Isochrones::~Isochrones() = default;
Isochrones::Isochrones(Isochrones&&) noexcept = default;
Isochrones& Isochrones::operator=(Isochrones&&) noexcept = default;
const routing::Router& Isochrones::router() const noexcept { return m_state->router; }

Algorithm Isochrones::reach(const ReachRequest& req) {
    State& st = *m_state;
    st.select(req.resource, req.profile, req.cost_type, req.direction);
    for (const Seed& s : req.seeds)
        if (s.node >= st.graph->node_count())
            throw InvalidArgument(fmt::format("seed node {} is out of range (graph of {} nodes)", s.node,
                                              st.graph->node_count()));
    return st.run(req.seeds, req.limit, req.algorithm, req.phast_threshold);
}

std::span<const Weight> Isochrones::costs() const noexcept {
    State& st = *m_state;
    if (st.graph == nullptr) return {};
    if (!st.all_valid) {
        const std::uint32_t n = st.graph->node_count();
        st.all.assign(n, inf_weight);
        for (const NodeId v : st.reached) st.all[v] = st.dist[v];
        st.all_valid = true;
    }
    return st.all;
}

namespace {

Weight limit_of(const IsochroneRequest& req) {
    if (req.budgets.empty()) return inf_weight;
    const double b = *std::max_element(req.budgets.begin(), req.budgets.end());
    return static_cast<Weight>(std::floor(b * unit));
}

}  // namespace

std::vector<double> Isochrones::node_costs(const IsochroneRequest& req, IsochroneStatus* status) {
    State& st = *m_state;
    st.prepare(req);
    std::vector<double> out(st.graph->node_count(), std::numeric_limits<double>::infinity());
    if (!st.snap(req)) {
        if (status != nullptr) *status = IsochroneStatus::no_road;
        st.new_round(st.graph->node_count());
        return out;
    }
    if (status != nullptr) *status = IsochroneStatus::ok;
    const auto seeds = st.seeds();
    st.run(seeds, limit_of(req), req.algorithm, req.phast_threshold);
    for (const NodeId v : st.reached) out[v] = st.dist[v] / unit;
    return out;
}

std::vector<Piece> Isochrones::pieces(double budget) const {
    const State& st = *m_state;
    if (st.graph == nullptr || !st.has_snaps) return {};
    return st.pieces(budget * unit);
}

double Isochrones::cost_at(SegmentId segment, double fraction) const {
    const State& st = *m_state;
    double best = std::numeric_limits<double>::infinity();
    if (st.graph == nullptr || !st.has_snaps || segment >= st.graph->segment_count()) return best;
    const Graph& g = *st.graph;
    const bool forward = st.direction == Direction::departure;
    for (unsigned dir = 0; dir < 2; ++dir)
        st.arcs_of(segment, dir, [&](NodeId tail, ArcId a) {
            const double w = st.weights[a];
            const double pos = dir == 0 ? fraction : 1.0 - fraction;  // from the arc's tail
            const Weight d = forward ? st.cost(tail) : st.cost(g.head[a]);
            if (d != inf_weight) best = std::min(best, d + w * (forward ? pos : 1.0 - pos));
            for (const auto& s : st.snaps) {
                if (s.segment != segment) continue;
                const double sp = dir == 0 ? s.fraction : 1.0 - s.fraction;
                if (forward && pos >= sp) best = std::min(best, w * (pos - sp));
                if (!forward && pos <= sp) best = std::min(best, w * (sp - pos));
            }
        });
    return best / unit;
}

IsochroneResult Isochrones::compute(const IsochroneRequest& req) {
    State& st = *m_state;
    IsochroneResult res;
    if (req.budgets.empty()) throw InvalidArgument(std::vector<std::string>{"budgets: at least one is needed"});
    st.prepare(req);
    if (!st.snap(req)) {
        st.new_round(st.graph->node_count());
        res.status = IsochroneStatus::no_road;
        res.message = fmt::format("no road within {} m of the point ({}, {})", req.snap_radius_m, req.point.lon,
                                  req.point.lat);
        return res;
    }
    res.snap = st.snaps.front();
    const auto seeds = st.seeds();
    res.algorithm = st.run(seeds, limit_of(req), req.algorithm, req.phast_threshold);
    res.reached_nodes = st.reached.size();
    const detail::LocalProjection proj(res.snap.snapped);
    auto& projected = st.projected;
    for (const double budget : req.budgets) {
        Contour c;
        c.budget = budget;
        const auto pieces = st.pieces(std::floor(budget * unit));
        c.pieces = pieces.size();
        if (req.polygons) {
            const auto& parts = st.merge(pieces);
            projected.resize(parts.size());
            for (std::size_t i = 0; i < parts.size(); ++i)
                detail::project_piece(*st.graph, parts[i], proj, projected[i], /*with_costs=*/false);
            c.geometry = detail::build_polygon(projected, proj, req.polygon, st.polygon_scratch);
        }
        res.contours.push_back(std::move(c));
    }
    return res;
}

CostGrid Isochrones::grid(const IsochroneRequest& req, double cell_m) {
    if (!(cell_m > 0)) throw InvalidArgument(std::vector<std::string>{"cell_m: must be > 0"});
    State& st = *m_state;
    IsochroneStatus status = IsochroneStatus::ok;
    (void)node_costs(req, &status);
    if (status != IsochroneStatus::ok) return {};
    const double limit = req.budgets.empty() ? std::numeric_limits<double>::max()
                                             : static_cast<double>(limit_of(req));
    const auto pieces = st.pieces(limit);
    const detail::LocalProjection proj(st.snaps.front().snapped);
    auto& projected = st.projected;
    projected.resize(pieces.size());
    for (std::size_t i = 0; i < pieces.size(); ++i) detail::project_piece(*st.graph, pieces[i], proj, projected[i]);
    return detail::build_grid(projected, proj, cell_m);
}

}  // namespace geoplex::isochrone
