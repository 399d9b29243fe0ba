// Constrained routes: CH then verify, else A* with lazily computed CH potentials (see
// constrained.hpp for why both are exact).

#include "routing/constrained.hpp"

#include "routing/adaptive_sets.hpp"
#include "routing/ch_recontract.hpp"
#include "routing/router_impl.hpp"

#include <algorithm>
#include <functional>

namespace geoplex::routing::detail {

namespace {

double factor_of(const WayCosts& wc, const Graph& g, ArcId a) { return wc.factor[g.segment_way[g.segment_of(a)]]; }

/// The potential scale c as num / 2^16 with c · w <= constrained_weight(w, f) for every weight
/// w >= 1 and factor f >= min_factor (constrained_weight is monotone in f). 2^16 = exact (c = 1).
std::uint64_t potential_scale(double min_factor) {
    if (min_factor >= 1.0) return std::uint64_t{1} << 16U;
    // round(w f) >= w f - 0.5 >= w (f - 0.5 / 1024) for w > 1024; small weights checked one by one.
    double c = min_factor - 0.5 / 1024.0;
    for (Weight w = 1; w <= 1024; ++w)
        c = std::min(c, static_cast<double>(constrained_weight(w, min_factor)) / static_cast<double>(w));
    const double scaled = std::floor(c * 65536.0) - 1.0;  // one unit of margin for rounding above
    return scaled <= 0 ? 0 : static_cast<std::uint64_t>(scaled);
}

}  // namespace

double min_factor(const WayCosts& wc) {
    double least = 1.0;
    for (const double f : wc.factor)
        if (f > 0) least = std::min(least, f);
    return least;
}

const WayCosts& WayCostsCache::get(const Graph& g, const std::vector<Constraint>& constraints) {
    auto same = [](const Constraint& a, const Constraint& b) {
        return a.type == b.type && a.key == b.key && a.op == b.op && a.value == b.value && a.number == b.number;
    };
    const void* graph = g.way_flags.data();
    if (graph != m_graph || !std::equal(constraints.begin(), constraints.end(), m_constraints.begin(),
                                        m_constraints.end(), same)) {
        m_graph = nullptr;  // a throwing way_costs() leaves the cache empty
        m_costs = way_costs(g, constraints);
        m_graph = graph;
        m_constraints = constraints;
        m_min_factor = detail::min_factor(m_costs);
        m_inert = std::all_of(m_costs.factor.begin(), m_costs.factor.end(), [](double f) { return f == 1.0; });
        m_component.clear();
        m_set_checked = false;
        m_set = nullptr;
    }
    return m_costs;
}

std::shared_ptr<const PrecomputedSet> WayCostsCache::precomputed(const LoadedProfile& lp, Optimization o,
                                                                 AdaptiveSets* registry) {
    if (!m_set_checked) {
        m_set = find_precomputed(lp, m_costs);
        m_entry.reset();
        if (m_set == nullptr && m_costs.any && registry != nullptr && registry->enabled())
            m_entry = registry->entry(lp, m_costs, m_constraints);
        m_set_checked = true;
    }
    if (m_set != nullptr) return {std::shared_ptr<const PrecomputedSet>(), m_set};  // not owned: lives with the Router
    if (m_entry) return registry->use(*m_entry, o);
    return nullptr;
}

std::span<const std::uint32_t> WayCostsCache::components(const Graph& g) {
    if (m_component.size() == g.node_count()) return m_component;
    // Union-find with path halving over the allowed arcs, then labels = roots.
    auto& parent = m_component;
    parent.resize(g.node_count());
    for (NodeId v = 0; v < g.node_count(); ++v) parent[v] = v;
    auto find = [&](NodeId v) {
        while (parent[v] != v) v = parent[v] = parent[parent[v]];
        return v;
    };
    for (NodeId v = 0; v < g.node_count(); ++v)
        for (auto a = g.first_out[v]; a < g.first_out[v + 1]; ++a) {
            if (m_costs.any && factor_of(m_costs, g, a) <= 0) continue;
            const NodeId x = find(v), y = find(g.head[a]);
            if (x != y) parent[std::max(x, y)] = std::min(x, y);
        }
    for (NodeId v = 0; v < g.node_count(); ++v) parent[v] = find(v);
    return m_component;
}

void ConstrainedSearch::ensure(std::uint32_t n) {
    if (m_dist.size() < n) {
        m_dist.assign(n, inf_weight);
        m_stamp.assign(n, 0);
        m_parent_arc.assign(n, invalid_id);
        m_parent.assign(n, invalid_id);
        m_bdist.assign(n, inf_weight);
        m_pot.assign(n, inf_weight);
        m_bstamp.assign(n, 0);
        m_pstamp.assign(n, 0);
        m_round = 0;
    }
    if (++m_round == 0) {  // wrapped: clear the stamps once every 4 billion searches
        std::fill(m_stamp.begin(), m_stamp.end(), 0);
        std::fill(m_bstamp.begin(), m_bstamp.end(), 0);
        std::fill(m_pstamp.begin(), m_pstamp.end(), 0);
        m_round = 1;
    }
    m_stats = {};
}

// Upward (backward) Dijkstra from the targets over the whole CH search space, with
// stall-on-demand. Stalled nodes keep their tentative distance: a real path weight, so the
// minimum taken by potential() stays exact.
void ConstrainedSearch::backward_search(const ContractionHierarchy& ch, std::span<const SearchSeed> targets) {
    m_heap.clear();
    auto bd = [&](NodeId r) { return m_bstamp[r] == m_round ? m_bdist[r] : inf_weight; };
    auto push = [&](NodeId r, Weight w) {
        if (w >= bd(r)) return;
        m_bstamp[r] = m_round;
        m_bdist[r] = w;
        m_heap.emplace_back(w, r);
        std::push_heap(m_heap.begin(), m_heap.end(), std::greater<>());
    };
    for (const auto& t : targets) push(ch.rank[t.node], t.weight);
    while (!m_heap.empty()) {
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        const auto [key, x] = m_heap.back();
        m_heap.pop_back();
        const Weight dx = bd(x);
        if (key != dx) continue;
        bool stalled = false;
        for (auto e = ch.forward_first_out[x]; e < ch.forward_first_out[x + 1] && !stalled; ++e) {
            const Weight dy = bd(ch.forward_head[e]);
            stalled = dy != inf_weight && dy + ch.forward_weight[e] < dx;
        }
        if (stalled) continue;
        for (auto e = ch.backward_first_out[x]; e < ch.backward_first_out[x + 1]; ++e)
            push(ch.backward_head[e], dx + ch.backward_weight[e]);
    }
}

// Exact unconstrained distance from rank r to the targets: the best of going up the forward
// CH arcs then down along the backward search (Strasser & Zeitz's lazy RPHAST), memoised.
Weight ConstrainedSearch::potential(const ContractionHierarchy& ch, NodeId r) {
    if (m_pstamp[r] == m_round) return m_pot[r];
    m_stack.clear();
    m_stack.push_back(r);
    while (!m_stack.empty()) {
        const NodeId x = m_stack.back();
        if (m_pstamp[x] == m_round) {
            m_stack.pop_back();
            continue;
        }
        bool ready = true;
        for (auto e = ch.forward_first_out[x]; e < ch.forward_first_out[x + 1]; ++e)
            if (m_pstamp[ch.forward_head[e]] != m_round) {
                m_stack.push_back(ch.forward_head[e]);  // heads rank higher: no cycle
                ready = false;
            }
        if (!ready) continue;
        m_stack.pop_back();
        Weight best = m_bstamp[x] == m_round ? m_bdist[x] : inf_weight;
        for (auto e = ch.forward_first_out[x]; e < ch.forward_first_out[x + 1]; ++e) {
            const Weight up = m_pot[ch.forward_head[e]];
            if (up != inf_weight) best = std::min(best, up + ch.forward_weight[e]);
        }
        m_pot[x] = best;
        m_pstamp[x] = m_round;
        ++m_stats.potentials;
    }
    return m_pot[r];
}

ConstrainedPath ConstrainedSearch::run(const Graph& g, const ContractionHierarchy& ch, ChQuery& ch_query,
                                       Optimization o, const WayCosts& wc, double least,
                                       std::span<const SearchSeed> sources, std::span<const SearchSeed> targets,
                                       Weight bound, std::span<const std::uint32_t> component) {
    ConstrainedPath out;
    if (sources.empty() || targets.empty()) return out;
    if (!component.empty()) {
        bool joined = false;
        for (const auto& s : sources)
            for (const auto& t : targets) joined = joined || component[s.node] == component[t.node];
        if (!joined) {  // no allowed path can cross components
            m_stats = {};
            return out;
        }
    }
    if (least >= 1.0) {
        // Step 1: every constrained weight is >= the CH's, the seeds already carry their
        // constrained weights, so the CH distance is a lower bound; a CH path on factor-1 ways
        // weighs exactly that under the constraints and is therefore optimal.
        ch_query.reset();
        for (const auto& s : sources) ch_query.add_source(s.node, s.weight);
        for (const auto& t : targets) ch_query.add_target(t.node, t.weight);
        ch_query.run();
        const Weight d = ch_query.distance();
        if (d == inf_weight || d >= bound) {  // no path lighter than the bound, constrained or not
            m_stats = {};
            return out;
        }
        auto arcs = ch_query.arc_path();
        if (std::all_of(arcs.begin(), arcs.end(), [&](ArcId a) { return factor_of(wc, g, a) == 1.0; })) {
            m_stats = {};
            m_stats.ch_path = true;
            out.weight = d;
            out.source = ch_query.path_source();
            out.target = ch_query.path_target();
            out.arcs = std::move(arcs);
            return out;
        }
    }
    return run_astar(g, ch, o, wc, least, sources, targets, bound);
}

ConstrainedPath ConstrainedSearch::run_astar(const Graph& g, const ContractionHierarchy& ch, Optimization o,
                                             const WayCosts& wc, double least, std::span<const SearchSeed> sources,
                                             std::span<const SearchSeed> targets, Weight bound) {
    ConstrainedPath out;
    ensure(g.node_count());
    if (sources.empty() || targets.empty()) return out;
    const auto W = g.weights(o);
    const std::uint64_t scale = potential_scale(least);
    backward_search(ch, targets);
    // p(v) = floor(c · exact distance): consistent since c · w <= the constrained weight.
    auto pot = [&](NodeId v) -> std::uint64_t {
        const Weight p = potential(ch, ch.rank[v]);
        return p == inf_weight ? UINT64_MAX : (std::uint64_t{p} * scale) >> 16U;
    };
    auto d = [&](NodeId v) { return m_stamp[v] == m_round ? m_dist[v] : inf_weight; };
    m_heap.clear();
    auto push = [&](NodeId v, Weight w, ArcId via, NodeId from) {
        if (w >= d(v)) return;
        const std::uint64_t p = pot(v);
        if (p == UINT64_MAX) return;  // cannot reach a target even without constraints
        m_stamp[v] = m_round;
        m_dist[v] = w;
        m_parent_arc[v] = via;
        m_parent[v] = from;
        m_heap.emplace_back(w + p, v);
        std::push_heap(m_heap.begin(), m_heap.end(), std::greater<>());
    };
    for (const auto& s : sources) push(s.node, s.weight, invalid_id, invalid_id);
    Weight best = bound;
    NodeId best_target = invalid_id;
    while (!m_heap.empty()) {
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        const auto [key, x] = m_heap.back();
        m_heap.pop_back();
        const Weight dx = d(x);
        if (key >= best) break;  // keys are lower bounds of every path still open
        if (key != dx + pot(x)) continue;  // stale entry
        ++m_stats.settled;
        for (const auto& t : targets)
            if (t.node == x && dx + t.weight < best) {
                best = dx + t.weight;
                best_target = x;
            }
        for (auto a = g.first_out[x]; a < g.first_out[x + 1]; ++a) {
            const double f = factor_of(wc, g, a);
            if (f <= 0) continue;
            push(g.head[a], dx + constrained_weight(W[a], f), a, x);
        }
    }
    if (best_target == invalid_id) return out;
    out.weight = best;
    out.target = best_target;
    NodeId x = best_target;
    for (; m_parent_arc[x] != invalid_id; x = m_parent[x]) out.arcs.push_back(m_parent_arc[x]);
    std::reverse(out.arcs.begin(), out.arcs.end());
    out.source = x;
    return out;
}

}  // namespace geoplex::routing::detail
