// Views over the mapped files, their consistency checks, and the bidirectional CH query
// (upward searches with stall-on-demand, timestamped scratch arrays so reset() is O(1)).

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing {

namespace detail {

Graph graph_view(const SectionReader& f) {
    namespace s = graph_section;
    Graph g;
    g.node_lonlat = f.get<double>(s::node_lonlat);
    g.first_out = f.get<std::uint32_t>(s::first_out);
    g.head = f.get<NodeId>(s::head);
    g.arc_segment = f.get<std::uint32_t>(s::arc_segment);
    g.weight_fastest = f.get<Weight>(s::weight_fastest);
    g.weight_shortest = f.get<Weight>(s::weight_shortest);
    g.first_in = f.get<std::uint32_t>(s::first_in);
    g.in_arc = f.get<ArcId>(s::in_arc);
    g.in_tail = f.get<NodeId>(s::in_tail);
    g.segment_first_point = f.get<std::uint32_t>(s::segment_first_point);
    g.points = f.get<double>(s::points);
    g.segment_length_m = f.get<double>(s::segment_length);
    g.segment_way = f.get<WayId>(s::segment_way);
    g.segment_head = f.get<NodeId>(s::segment_head);
    g.way_name = f.get<std::uint32_t>(s::way_name);
    g.way_ref = f.get<std::uint32_t>(s::way_ref);
    g.way_class = f.get<std::uint32_t>(s::way_class);
    g.way_attributes = f.get<std::uint32_t>(s::way_attributes);
    g.way_flags = f.get<std::uint16_t>(s::way_flags);
    g.strings = f.get<char>(s::strings);
    // Sizes only (cheap); check_graph_for_errors() verifies contents.
    const bool ok = !g.first_out.empty() && g.node_lonlat.size() == 2 * (g.first_out.size() - 1) &&
                    g.head.size() == g.arc_segment.size() && g.head.size() == g.weight_fastest.size() &&
                    g.head.size() == g.weight_shortest.size() && g.first_in.size() == g.first_out.size() &&
                    g.in_arc.size() == g.head.size() && g.in_tail.size() == g.head.size() &&
                    !g.segment_first_point.empty() && g.segment_length_m.size() == g.segment_count() &&
                    g.segment_way.size() == g.segment_count() && g.segment_head.size() == 2 * g.segment_count() &&
                    g.way_name.size() == g.way_ref.size() && g.way_name.size() == g.way_class.size() &&
                    g.way_name.size() == g.way_attributes.size() && g.way_name.size() == g.way_flags.size() &&
                    !g.strings.empty() && g.strings.back() == '\0' && g.first_out.back() == g.head.size() &&
                    g.first_in.back() == g.head.size() &&
                    g.points.size() == 2 * std::size_t{g.segment_first_point.back()};
    if (!ok)
        throw FormatError(fmt::format("'{}': inconsistent graph sections; rebuild the bundle", f.path().string()));
    return g;
}

ContractionHierarchy ch_view(const SectionReader& f, const Graph& g) {
    namespace s = ch_section;
    ContractionHierarchy c;
    c.rank = f.get<NodeId>(s::rank);
    c.order = f.get<NodeId>(s::order);
    c.forward_first_out = f.get<std::uint32_t>(s::fwd_first_out);
    c.forward_head = f.get<NodeId>(s::fwd_head);
    c.forward_weight = f.get<Weight>(s::fwd_weight);
    c.forward_aux = f.get<Weight>(s::fwd_aux);
    c.forward_unpack = f.get<std::uint32_t>(s::fwd_unpack);
    c.backward_first_out = f.get<std::uint32_t>(s::bwd_first_out);
    c.backward_head = f.get<NodeId>(s::bwd_head);
    c.backward_weight = f.get<Weight>(s::bwd_weight);
    c.backward_aux = f.get<Weight>(s::bwd_aux);
    c.backward_unpack = f.get<std::uint32_t>(s::bwd_unpack);
    const auto n = g.node_count();
    const bool ok = c.rank.size() == n && c.order.size() == n && c.forward_first_out.size() == n + std::size_t{1} &&
                    c.backward_first_out.size() == n + std::size_t{1} &&
                    c.forward_first_out.back() == c.forward_head.size() &&
                    c.backward_first_out.back() == c.backward_head.size() &&
                    c.forward_weight.size() == c.forward_head.size() && c.forward_aux.size() == c.forward_head.size() &&
                    c.forward_unpack.size() == c.forward_head.size() &&
                    c.backward_weight.size() == c.backward_head.size() &&
                    c.backward_aux.size() == c.backward_head.size() &&
                    c.backward_unpack.size() == c.backward_head.size();
    if (!ok)
        throw FormatError(fmt::format("'{}': the contraction hierarchy does not match its graph; rebuild the bundle",
                                      f.path().string()));
    return c;
}

}  // namespace detail

std::vector<std::string> check_graph_for_errors(const Graph& g) {
    std::vector<std::string> p;
    auto bad = [&](std::string what) { p.push_back("the graph is invalid because: " + std::move(what)); };
    const auto n = g.node_count();
    const auto m = g.arc_count();
    const auto ns = g.segment_count();
    for (std::uint32_t v = 0; v < n; ++v)
        if (g.first_out[v] > g.first_out[v + 1] || g.first_in[v] > g.first_in[v + 1]) {
            bad(fmt::format("first_out/first_in decrease at node {}", v));
            return p;
        }
    for (NodeId v = 0; v < n; ++v) {
        for (auto a = g.first_out[v]; a < g.first_out[v + 1]; ++a) {
            if (g.head[a] >= n) bad(fmt::format("arc {} has head {} >= node count {}", a, g.head[a], n));
            if (g.segment_of(a) >= ns) bad(fmt::format("arc {} refers to segment {} >= {}", a, g.segment_of(a), ns));
            if (g.weight_fastest[a] == 0 || g.weight_fastest[a] >= max_path_weight || g.weight_shortest[a] == 0 ||
                g.weight_shortest[a] >= max_path_weight)
                bad(fmt::format("arc {} has a weight outside [1, max_path_weight)", a));
        }
        for (auto i = g.first_in[v]; i < g.first_in[v + 1]; ++i) {
            const ArcId a = g.in_arc[i];
            if (a >= m || g.head[a] != v) {
                bad(fmt::format("in_arc[{}] = {} does not end at node {}", i, a, v));
                continue;
            }
            const NodeId t = g.in_tail[i];
            if (t >= n || a < g.first_out[t] || a >= g.first_out[t + 1])
                bad(fmt::format("in_tail[{}] = {} is not the tail of arc {}", i, t, a));
        }
        if (p.size() > 20) return p;
    }
    for (SegmentId s = 0; s < ns; ++s) {
        if (g.segment_first_point[s + 1] < g.segment_first_point[s] + 2)
            bad(fmt::format("segment {} has fewer than 2 points", s));
        if (g.segment_way[s] >= g.way_flags.size()) bad(fmt::format("segment {} refers to a missing way", s));
        for (int d = 0; d < 2; ++d)
            if (g.segment_head[2 * s + d] != invalid_id && g.segment_head[2 * s + d] >= n)
                bad(fmt::format("segment {} has a head out of range", s));
        if (p.size() > 20) return p;
    }
    for (std::size_t w = 0; w < g.way_name.size(); ++w)
        if (g.way_name[w] >= g.strings.size() || g.way_ref[w] >= g.strings.size() ||
            g.way_class[w] >= g.strings.size() || g.way_attributes[w] >= g.strings.size())
            bad(fmt::format("way {} has a string offset out of range", w));
    return p;
}

std::vector<std::string> check_ch_for_errors(const Graph& g, const ContractionHierarchy& c) {
    std::vector<std::string> p;
    auto bad = [&](std::string what) { p.push_back("the contraction hierarchy is invalid because: " + std::move(what)); };
    const auto n = g.node_count();
    if (c.rank.size() != n || c.order.size() != n) {
        bad("rank/order sizes differ from the node count");
        return p;
    }
    for (NodeId v = 0; v < n; ++v)
        if (c.rank[v] >= n || c.order[c.rank[v]] != v) {
            bad(fmt::format("rank and order are not inverse permutations at node {}", v));
            return p;
        }
    auto check_side = [&](std::span<const std::uint32_t> first, std::span<const NodeId> head,
                          std::span<const std::uint32_t> unpack, const char* side) {
        for (NodeId r = 0; r < n; ++r) {
            if (first[r] > first[r + 1]) {
                bad(fmt::format("{} first_out decreases at rank {}", side, r));
                return;
            }
            for (auto e = first[r]; e < first[r + 1]; ++e) {
                if (head[e] <= r || head[e] >= n) bad(fmt::format("{} arc {} at rank {} does not go up", side, e, r));
                const auto u = unpack[e];
                if ((u & ContractionHierarchy::original_arc_flag) != 0) {
                    if ((u & ~ContractionHierarchy::original_arc_flag) >= g.arc_count())
                        bad(fmt::format("{} arc {} unpacks to a missing arc", side, e));
                } else if (u >= r) {
                    bad(fmt::format("{} shortcut {} at rank {} has a middle node ranked {}", side, e, r, u));
                }
                if (p.size() > 20) return;
            }
        }
    };
    check_side(c.forward_first_out, c.forward_head, c.forward_unpack, "forward");
    check_side(c.backward_first_out, c.backward_head, c.backward_unpack, "backward");
    return p;
}

// ---- ChQuery ----------------------------------------------------------------------------------

struct ChQuery::State {
    const Graph* g = nullptr;
    const ContractionHierarchy* c = nullptr;
    /// Everything a search keeps per node, in one cache line access (the searches jump around).
    struct Label {
        Weight dist = inf_weight;
        Weight aux = 0;
        NodeId parent = invalid_id;          // rank of the predecessor (invalid for seeds)
        std::uint32_t via_arc = invalid_id;  // CH arc index used to reach the node
        std::uint32_t stamp = 0;             // the rest is valid when == round
    };
    struct Side {
        std::vector<Label> label;
        std::vector<std::pair<Weight, NodeId>> heap;
        void init(std::uint32_t n) { label.assign(n, Label{}); }
    } fwd, bwd;
    std::uint32_t round = 1;
    Weight best = inf_weight;
    Weight best_aux = 0;
    NodeId meet = invalid_id;

    [[nodiscard]] Weight d(const Side& s, NodeId r) const {
        const Label& l = s.label[r];
        return l.stamp == round ? l.dist : inf_weight;
    }
    void set(Side& s, NodeId r, Weight w, Weight a, NodeId parent, std::uint32_t arc) {
        s.label[r] = {w, a, parent, arc, round};
        s.heap.emplace_back(w, r);
        std::push_heap(s.heap.begin(), s.heap.end(), std::greater<>());
    }

    // One settle step of a side: `up_*` are the arcs it relaxes, `down_*` the other side's
    // (used to stall nodes reached sub-optimally from above).
    void step(Side& s, const Side& other, std::span<const std::uint32_t> up_first, std::span<const NodeId> up_head,
              std::span<const Weight> up_w, std::span<const Weight> up_aux, std::span<const std::uint32_t> down_first,
              std::span<const NodeId> down_head, std::span<const Weight> down_w) {
        std::pop_heap(s.heap.begin(), s.heap.end(), std::greater<>());
        const auto [dx, x] = s.heap.back();
        s.heap.pop_back();
        if (dx != d(s, x)) return;
        if (const Weight o = d(other, x); o != inf_weight && dx + o < best) {
            best = dx + o;
            best_aux = s.label[x].aux + other.label[x].aux;
            meet = x;
        }
        for (auto e = down_first[x]; e < down_first[x + 1]; ++e) {
            const Weight dy = d(s, down_head[e]);
            if (dy != inf_weight && dy + down_w[e] < dx) return;  // stalled: x is not reached optimally
        }
        const Weight ax = s.label[x].aux;
        for (auto e = up_first[x]; e < up_first[x + 1]; ++e) {
            const NodeId y = up_head[e];
            const Weight nd = dx + up_w[e];
            if (nd < d(s, y)) set(s, y, nd, ax + up_aux[e], x, e);
        }
    }

    void unpack(std::uint32_t code, NodeId from, NodeId to, std::vector<ArcId>& out) const {
        if ((code & ContractionHierarchy::original_arc_flag) != 0) {
            out.push_back(code & ~ContractionHierarchy::original_arc_flag);
            return;
        }
        const NodeId mid = code;
        // from → mid is stored at mid (backward, head = from); mid → to at mid (forward, head = to).
        std::uint32_t first = invalid_id, second = invalid_id;
        for (auto e = c->backward_first_out[mid]; e < c->backward_first_out[mid + 1]; ++e)
            if (c->backward_head[e] == from) first = c->backward_unpack[e];
        for (auto e = c->forward_first_out[mid]; e < c->forward_first_out[mid + 1]; ++e)
            if (c->forward_head[e] == to) second = c->forward_unpack[e];
        if (first == invalid_id || second == invalid_id)
            throw Error(errc::internal, "CH: a shortcut cannot be unpacked (corrupt hierarchy)");
        unpack(first, from, mid, out);
        unpack(second, mid, to, out);
    }
};

ChQuery::ChQuery(const Graph& graph, const ContractionHierarchy& ch) : m_state(std::make_unique<State>()) {
    m_state->g = &graph;
    m_state->c = &ch;
    m_state->fwd.init(ch.node_count());
    m_state->bwd.init(ch.node_count());
}
ChQuery::~ChQuery() = default;
ChQuery::ChQuery(ChQuery&&) noexcept = default;
ChQuery& ChQuery::operator=(ChQuery&&) noexcept = default;

ChQuery& ChQuery::reset() {
    auto& s = *m_state;
    if (++s.round == 0) {  // wrapped: clear the stamps once every 4 billion queries
        for (auto* side : {&s.fwd, &s.bwd})
            for (State::Label& l : side->label) l.stamp = 0;
        s.round = 1;
    }
    s.fwd.heap.clear();
    s.bwd.heap.clear();
    s.best = inf_weight;
    s.best_aux = 0;
    s.meet = invalid_id;
    return *this;
}

ChQuery& ChQuery::add_source(NodeId node, Weight initial, Weight aux) {
    auto& s = *m_state;
    const NodeId r = s.c->rank[node];
    if (initial < s.d(s.fwd, r)) s.set(s.fwd, r, initial, aux, invalid_id, invalid_id);
    return *this;
}

ChQuery& ChQuery::add_target(NodeId node, Weight final_weight, Weight aux) {
    auto& s = *m_state;
    const NodeId r = s.c->rank[node];
    if (final_weight < s.d(s.bwd, r)) s.set(s.bwd, r, final_weight, aux, invalid_id, invalid_id);
    return *this;
}

ChQuery& ChQuery::run() {
    auto& s = *m_state;
    const auto& c = *s.c;
    for (;;) {
        const Weight kf = s.fwd.heap.empty() ? inf_weight : s.fwd.heap.front().first;
        const Weight kb = s.bwd.heap.empty() ? inf_weight : s.bwd.heap.front().first;
        if (std::min(kf, kb) >= s.best) break;  // also ends when both heaps are empty
        if (kf <= kb)
            s.step(s.fwd, s.bwd, c.forward_first_out, c.forward_head, c.forward_weight, c.forward_aux,
                   c.backward_first_out, c.backward_head, c.backward_weight);
        else
            s.step(s.bwd, s.fwd, c.backward_first_out, c.backward_head, c.backward_weight, c.backward_aux,
                   c.forward_first_out, c.forward_head, c.forward_weight);
    }
    return *this;
}

Weight ChQuery::distance() const noexcept { return m_state->best; }
Weight ChQuery::aux() const noexcept { return m_state->best_aux; }

NodeId ChQuery::path_source() const noexcept {
    const auto& s = *m_state;
    if (s.meet == invalid_id) return invalid_id;
    NodeId x = s.meet;
    while (s.fwd.label[x].parent != invalid_id) x = s.fwd.label[x].parent;
    return s.c->order[x];
}

NodeId ChQuery::path_target() const noexcept {
    const auto& s = *m_state;
    if (s.meet == invalid_id) return invalid_id;
    NodeId x = s.meet;
    while (s.bwd.label[x].parent != invalid_id) x = s.bwd.label[x].parent;
    return s.c->order[x];
}

std::vector<ArcId> ChQuery::arc_path() const {
    const auto& s = *m_state;
    const auto& c = *s.c;
    std::vector<ArcId> out;
    if (s.meet == invalid_id) return out;
    std::vector<std::pair<NodeId, std::uint32_t>> up;  // (tail rank, forward arc)
    for (NodeId x = s.meet; s.fwd.label[x].parent != invalid_id; x = s.fwd.label[x].parent) up.emplace_back(s.fwd.label[x].parent, s.fwd.label[x].via_arc);
    std::reverse(up.begin(), up.end());
    for (const auto& [tail, e] : up) s.unpack(c.forward_unpack[e], tail, c.forward_head[e], out);
    for (NodeId x = s.meet; s.bwd.label[x].parent != invalid_id; x = s.bwd.label[x].parent) {
        const NodeId down = s.bwd.label[x].parent;
        const std::uint32_t e = s.bwd.label[x].via_arc;  // stored at `down`, head x: arc x → down
        s.unpack(c.backward_unpack[e], x, down, out);
    }
    return out;
}

}  // namespace geoplex::routing
