// Views over the mapped files, their consistency checks, and the bidirectional CH query
// (upward searches with stall-on-demand, timestamped scratch arrays so reset() is O(1)).

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>

#include <sys/mman.h>

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
    c.query_first = f.get<std::uint32_t>(s::query_first);
    c.query_arcs = f.get<ChArc>(s::query_arcs);
    const auto n = g.node_count();
    const bool ok = c.rank.size() == n && c.order.size() == n && c.forward_first_out.size() == n + std::size_t{1} &&
                    c.backward_first_out.size() == n + std::size_t{1} &&
                    c.forward_first_out.back() == c.forward_head.size() &&
                    c.backward_first_out.back() == c.backward_head.size() &&
                    c.forward_weight.size() == c.forward_head.size() && c.forward_aux.size() == c.forward_head.size() &&
                    c.forward_unpack.size() == c.forward_head.size() &&
                    c.backward_weight.size() == c.backward_head.size() &&
                    c.backward_aux.size() == c.backward_head.size() &&
                    c.backward_unpack.size() == c.backward_head.size() &&
                    c.query_first.size() == 2 * std::size_t{n} + 1 && c.query_first.back() == c.query_arcs.size() &&
                    c.query_arcs.size() == c.forward_head.size() + c.backward_head.size();
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
    if (!p.empty()) return p;
    // The query layout holds the same arcs, rank by rank (forward list, then backward list).
    if (c.query_first.size() != 2 * std::size_t{n} + 1 || c.query_first.front() != 0 ||
        c.query_first.back() != c.query_arcs.size()) {
        bad("the query arc index has the wrong size");
        return p;
    }
    for (NodeId r = 0; r < n && p.size() <= 20; ++r)
        for (int side = 0; side < 2; ++side) {
            const auto first = side == 0 ? c.forward_first_out : c.backward_first_out;
            const auto head = side == 0 ? c.forward_head : c.backward_head;
            const auto weight = side == 0 ? c.forward_weight : c.backward_weight;
            const auto aux = side == 0 ? c.forward_aux : c.backward_aux;
            const auto q0 = c.query_first[2 * r + side], q1 = c.query_first[2 * r + side + 1];
            if (q1 < q0 || q1 - q0 != first[r + 1] - first[r]) {
                bad(fmt::format("the query arcs of rank {} differ from its {} arcs", r, side == 0 ? "forward" : "backward"));
                continue;
            }
            for (auto i = 0U; i < q1 - q0; ++i) {
                const ChArc& a = c.query_arcs[q0 + i];
                const auto e = first[r] + i;
                if (a.head != head[e] || a.weight != weight[e] || a.aux != aux[e])
                    bad(fmt::format("query arc {} of rank {} differs from its {} arc", q0 + i, r,
                                    side == 0 ? "forward" : "backward"));
            }
        }
    return p;
}

// ---- ChQuery ----------------------------------------------------------------------------------

namespace {

/// A zero-initialised array of trivially copyable T on transparent huge pages where the kernel
/// allows them (madvise mode): the per-node search labels are hit at random over tens of MiB,
/// and with 4 KiB pages nearly every access also missed the TLB.
template <class T>
class HugeArray {
public:
    HugeArray() = default;
    HugeArray(std::size_t n, const T& value) : m_size(n) {
        constexpr std::size_t huge = std::size_t{1} << 21U;
        const std::size_t bytes = std::max(huge, (n * sizeof(T) + huge - 1) / huge * huge);
        void* p = std::aligned_alloc(huge, bytes);
        if (p == nullptr) throw std::bad_alloc();
        madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure only costs speed
        m_data.reset(static_cast<T*>(p));
        std::uninitialized_fill_n(m_data.get(), n, value);
    }
    [[nodiscard]] T& operator[](std::size_t i) noexcept { return m_data.get()[i]; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return m_data.get()[i]; }
    [[nodiscard]] T* begin() noexcept { return m_data.get(); }
    [[nodiscard]] T* end() noexcept { return m_data.get() + m_size; }

private:
    struct Free {
        void operator()(T* p) const noexcept { std::free(p); }
    };
    std::unique_ptr<T, Free> m_data;
    std::size_t m_size = 0;
};

}  // namespace

struct ChQuery::State {
    const Graph* g = nullptr;
    const ContractionHierarchy* c = nullptr;
    /// Everything a search keeps per node, in one 32-byte block (the searches jump around): the
    /// search label and a copy of the node's query arc offsets, so that settling a node reads its
    /// arc lists straight from the label its push already brought into the cache.
    struct alignas(32) Label {
        Weight dist = inf_weight;
        Weight aux = 0;
        NodeId parent = invalid_id;          // id of the predecessor (invalid for seeds)
        std::uint32_t via_arc = invalid_id;  // index of the arc used in the parent's forward/backward list
        std::uint32_t stamp = 0;             // the above is valid when == round
        std::uint32_t first[3] = {0, 0, 0};  // query_first[2x], [2x + 1], [2x + 2] (constant)
    };
    static_assert(sizeof(Label) == 32);
    struct Side {
        HugeArray<Label> label;
        std::vector<std::pair<Weight, NodeId>> heap;
        void init(std::span<const std::uint32_t> query_first) {
            const auto n = static_cast<std::uint32_t>(query_first.size() / 2);
            label = HugeArray<Label>(n, Label{});
            for (std::uint32_t x = 0; x < n; ++x)
                for (std::uint32_t k = 0; k < 3; ++k) label[x].first[k] = query_first[2 * std::size_t{x} + k];
        }
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
        Label& l = s.label[r];
        l.dist = w;
        l.aux = a;
        l.parent = parent;
        l.via_arc = arc;
        l.stamp = round;
        s.heap.emplace_back(w, r);
        std::push_heap(s.heap.begin(), s.heap.end(), std::greater<>());
    }

    // One settle step of a side. At node x, query_arcs[first[up], first[up + 1]) are the arcs it
    // relaxes and [first[down], first[down + 1]) the other side's (up = 0 for the forward search,
    // down = 1 - up), checked to stall nodes reached sub-optimally from above.
    void step(Side& s, const Side& other, unsigned up) {
        std::pop_heap(s.heap.begin(), s.heap.end(), std::greater<>());
        const auto [dx, x] = s.heap.back();
        s.heap.pop_back();
        const ChArc* arcs = c->query_arcs.data();
        if (!s.heap.empty()) {
            // The side's next candidate: start fetching its arcs and the other side's label now,
            // so that those misses overlap with this node's work.
            const NodeId y = s.heap.front().second;
            const Label& ly = s.label[y];
            __builtin_prefetch(arcs + ly.first[0]);
            __builtin_prefetch(reinterpret_cast<const char*>(arcs + ly.first[0]) + 64);
            __builtin_prefetch(&other.label[y]);
        }
        const Label& lx = s.label[x];
        if (lx.stamp != round || dx != lx.dist) return;
        // Both lists' heads are read below, in loops whose data-dependent branches would issue
        // their label misses one after the other: request them all first.
        for (const ChArc* a = arcs + lx.first[0]; a != arcs + lx.first[2]; ++a) __builtin_prefetch(&s.label[a->head]);
        const Weight ax = lx.aux;
        if (const Weight o = d(other, x); o != inf_weight && dx + o < best) {
            best = dx + o;
            best_aux = ax + other.label[x].aux;
            meet = x;
        }
        const ChArc* up_begin = arcs + lx.first[up];
        const ChArc* up_end = arcs + lx.first[up + 1];
        const ChArc* down_begin = arcs + lx.first[1 - up];
        const ChArc* down_end = arcs + lx.first[2 - up];
        for (const ChArc* a = down_begin; a != down_end; ++a) {
            const Weight dy = d(s, a->head);
            if (dy != inf_weight && dy + a->weight < dx) return;  // stalled: x is not reached optimally
        }
        for (const ChArc* a = up_begin; a != up_end; ++a) {
            const Weight nd = dx + a->weight;
            if (nd < d(s, a->head)) set(s, a->head, nd, ax + a->aux, x, static_cast<std::uint32_t>(a - up_begin));
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
    m_state->fwd.init(ch.query_first);
    m_state->bwd.init(ch.query_first);
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
    for (;;) {
        const Weight kf = s.fwd.heap.empty() ? inf_weight : s.fwd.heap.front().first;
        const Weight kb = s.bwd.heap.empty() ? inf_weight : s.bwd.heap.front().first;
        if (std::min(kf, kb) >= s.best) break;  // also ends when both heaps are empty
        if (kf <= kb) s.step(s.fwd, s.bwd, 0);
        else s.step(s.bwd, s.fwd, 1);
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
    for (const auto& [tail, i] : up) {
        const std::uint32_t e = c.forward_first_out[tail] + i;
        s.unpack(c.forward_unpack[e], tail, c.forward_head[e], out);
    }
    for (NodeId x = s.meet; s.bwd.label[x].parent != invalid_id; x = s.bwd.label[x].parent) {
        const NodeId down = s.bwd.label[x].parent;
        // stored at `down`, head x: arc x → down
        const std::uint32_t e = c.backward_first_out[down] + s.bwd.label[x].via_arc;
        s.unpack(c.backward_unpack[e], x, down, out);
    }
    return out;
}

}  // namespace geoplex::routing
