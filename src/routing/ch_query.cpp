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
            const auto q0 = c.query_first[2 * r + side], q1 = c.query_first[2 * r + side + 1];
            if (q1 < q0 || q1 - q0 != first[r + 1] - first[r]) {
                bad(fmt::format("the query arcs of rank {} differ from its {} arcs", r, side == 0 ? "forward" : "backward"));
                continue;
            }
            for (auto i = 0U; i < q1 - q0; ++i) {
                const ChArc& a = c.query_arcs[q0 + i];
                const auto e = first[r] + i;
                if (a.head != head[e] || a.weight != weight[e])
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
    /// Everything the searches keep per node, both sides in one 32-byte block (the searches jump
    /// around, and settling x reads the other side's label of x): the node's query arc offsets
    /// (constant), so that settling a node reads its arc lists straight from the block its push
    /// already brought into the cache, and each side's label. A label is valid only when the
    /// side's `reached` bit of the node is set (below), so unreached nodes are never read.
    struct alignas(32) Node {
        std::uint32_t first = 0;  // query_first[2x]
        /// Lengths of the forward and backward lists; escape_count: read query_first instead.
        std::uint16_t count[2] = {0, 0};
        Weight dist[2] = {inf_weight, inf_weight};
        NodeId parent[2] = {invalid_id, invalid_id};  // predecessor rank (invalid for seeds)
        /// The other metric of a seed's initial piece (valid while parent is invalid). The other
        /// metric of a path is summed along the final path only (aux_of_path).
        Weight seed_aux[2] = {0, 0};
    };
    static_assert(sizeof(Node) == 32);
    static constexpr std::uint32_t escape_count = 0xFFFF;
    HugeArray<Node> node;
    /// Per side: one bit per node, set when the side's label of the node is valid in this
    /// query (1 bit instead of a 32-byte label to read: 120 KiB per side on 1 M nodes, which
    /// stays in L2, so checking a head that this query never reached costs no cache miss).
    struct Side {
        std::vector<std::uint64_t> reached;
        std::vector<NodeId> touched;  // nodes whose bit is set, to clear them in reset()
        /// Min-heap of (dist << 32 | rank), compared as one integer; lazy deletion.
        std::vector<std::uint64_t> heap;
    } side[2];
    Weight best = inf_weight;
    NodeId meet = invalid_id;

    void init(std::span<const std::uint32_t> query_first) {
        const auto n = static_cast<std::uint32_t>(query_first.size() / 2);
        node = HugeArray<Node>(n, Node{});
        for (std::uint32_t x = 0; x < n; ++x) {
            const auto f0 = query_first[2 * std::size_t{x}], f1 = query_first[2 * std::size_t{x} + 1],
                       f2 = query_first[2 * std::size_t{x} + 2];
            Node& v = node[x];
            v.first = f0;
            const bool fits = f1 - f0 < escape_count && f2 - f1 < escape_count;
            v.count[0] = static_cast<std::uint16_t>(fits ? f1 - f0 : escape_count);
            v.count[1] = static_cast<std::uint16_t>(fits ? f2 - f1 : escape_count);
        }
        for (auto& s : side) s.reached.assign(n / 64 + 1, 0);
    }

    [[nodiscard]] static bool has(const Side& s, NodeId r) noexcept {
        return ((s.reached[r >> 6U] >> (r & 63U)) & 1U) != 0;
    }
    [[nodiscard]] Weight d(unsigned u, NodeId r) const noexcept {
        return has(side[u], r) ? node[r].dist[u] : inf_weight;
    }
    /// Query arc indices [begin, end) of node r's list for side u (0 forward, 1 backward), and
    /// of both lists.
    [[nodiscard]] std::pair<std::uint32_t, std::uint32_t> list(const Node& v, NodeId r, unsigned u) const noexcept {
        if (v.count[0] == escape_count) return {c->query_first[2 * std::size_t{r} + u], c->query_first[2 * std::size_t{r} + u + 1]};
        const std::uint32_t b = v.first + (u == 0 ? 0U : v.count[0]);
        return {b, b + v.count[u]};
    }
    [[nodiscard]] std::uint32_t list_end(const Node& v, NodeId r) const noexcept {
        return v.count[0] == escape_count ? c->query_first[2 * std::size_t{r} + 2] : v.first + v.count[0] + v.count[1];
    }

    void push(Side& s, Weight w, NodeId r) {
        s.heap.push_back(std::uint64_t{w} << 32U | r);
        std::push_heap(s.heap.begin(), s.heap.end(), std::greater<>());
    }
    void set(unsigned u, NodeId r, Weight w, NodeId parent) {
        Side& s = side[u];
        auto& word = s.reached[r >> 6U];
        const std::uint64_t bit = std::uint64_t{1} << (r & 63U);
        if ((word & bit) == 0) {
            word |= bit;
            s.touched.push_back(r);
        }
        Node& v = node[r];
        v.dist[u] = w;
        v.parent[u] = parent;
        push(s, w, r);
    }

    // One settle step of side u (0 forward, 1 backward). At node x, x's list u holds the arcs it
    // relaxes and list 1 - u the other side's, checked to stall nodes reached sub-optimally from
    // above: only heads whose bit says reached are read.
    void step(unsigned u) {
        Side& s = side[u];
        std::pop_heap(s.heap.begin(), s.heap.end(), std::greater<>());
        const std::uint64_t top = s.heap.back();
        s.heap.pop_back();
        const auto dx = static_cast<Weight>(top >> 32U);
        const auto x = static_cast<NodeId>(top);
        const ChArc* arcs = c->query_arcs.data();
        if (!s.heap.empty()) {
            // The side's next candidate: start fetching its arcs now, so that those misses
            // overlap with this node's work (its block is in cache since its push).
            const Node& vy = node[static_cast<NodeId>(s.heap.front())];
            __builtin_prefetch(arcs + vy.first);
            __builtin_prefetch(reinterpret_cast<const char*>(arcs + vy.first) + 64);
        }
        const Node& vx = node[x];
        if (dx != vx.dist[u]) return;  // a stale heap entry (x was pushed again, lower)
        const auto [up_begin, up_end] = list(vx, x, u);
        // The relaxed heads' blocks are written below even when not reached yet: request them
        // all first rather than one after the other.
        if (has(side[1 - u], x)) {
            if (const Weight o = vx.dist[1 - u]; dx + o < best) {
                best = dx + o;
                meet = x;
            }
        }
        const std::uint32_t down_begin = u == 0 ? up_end : list(vx, x, 0).first;
        const std::uint32_t down_end = u == 0 ? list_end(vx, x) : up_begin;
        for (auto i = down_begin; i != down_end; ++i) {
            const ChArc& a = arcs[i];
            if (has(s, a.head) && node[a.head].dist[u] + a.weight < dx) return;  // stalled: x is not reached optimally
        }
        for (auto i = up_begin; i != up_end; ++i) {
            const ChArc& a = arcs[i];
            const Weight nd = dx + a.weight;
            // A label of best or more can neither improve the answer nor is needed to stall
            // (stalling is only a shortcut): skip it, and its cache miss.
            if (nd < best && (!has(s, a.head) || nd < node[a.head].dist[u])) set(u, a.head, nd, x);
        }
    }

    /// Index in the parent's side-u list of the arc that x's label came by: the first arc to x
    /// whose weight is the labels' difference (the one the relaxation took: it only replaces a
    /// label with a strictly smaller one); invalid_id if none (corrupt state).
    [[nodiscard]] std::uint32_t via_arc(unsigned u, NodeId x) const noexcept {
        const Node& vx = node[x];
        const NodeId p = vx.parent[u];
        const Node& vp = node[p];
        const auto [b, e] = list(vp, p, u);
        const Weight w = vx.dist[u] - vp.dist[u];
        for (auto i = b; i != e; ++i)
            if (c->query_arcs[i].head == x && c->query_arcs[i].weight == w) return i - b;
        return invalid_id;
    }
    /// CSR index (forward_* for u = 0, backward_* for u = 1) of that arc.
    [[nodiscard]] std::uint32_t via_csr(unsigned u, NodeId x) const {
        const std::uint32_t i = via_arc(u, x);
        if (i == invalid_id) throw Error(errc::internal, "CH: a search label has no arc (corrupt query state)");
        const NodeId p = node[x].parent[u];
        return (u == 0 ? c->forward_first_out[p] : c->backward_first_out[p]) + i;
    }
    /// The other metric of the best path: the seeds' plus the arcs' along both halves.
    [[nodiscard]] Weight aux_of_path() const noexcept {
        if (meet == invalid_id) return 0;
        Weight sum = 0;
        for (unsigned u = 0; u < 2; ++u) {
            const auto aux = u == 0 ? c->forward_aux : c->backward_aux;
            const auto first = u == 0 ? c->forward_first_out : c->backward_first_out;
            NodeId x = meet;
            for (NodeId p; (p = node[x].parent[u]) != invalid_id; x = p)
                if (const std::uint32_t i = via_arc(u, x); i != invalid_id) sum += aux[first[p] + i];
            sum += node[x].seed_aux[u];
        }
        return sum;
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

    /// The seed side u's path to the meeting node starts from.
    [[nodiscard]] NodeId path_end(unsigned u) const noexcept {
        if (meet == invalid_id) return invalid_id;
        NodeId x = meet;
        while (node[x].parent[u] != invalid_id) x = node[x].parent[u];
        return c->order[x];
    }
};

ChQuery::ChQuery(const Graph& graph, const ContractionHierarchy& ch) : m_state(std::make_unique<State>()) {
    m_state->g = &graph;
    m_state->c = &ch;
    m_state->init(ch.query_first);
}
ChQuery::~ChQuery() = default;
ChQuery::ChQuery(ChQuery&&) noexcept = default;
ChQuery& ChQuery::operator=(ChQuery&&) noexcept = default;

ChQuery& ChQuery::reset() {
    auto& s = *m_state;
    for (auto& side : s.side) {
        for (const NodeId r : side.touched) side.reached[r >> 6U] = 0;
        side.touched.clear();
        side.heap.clear();
    }
    s.best = inf_weight;
    s.meet = invalid_id;
    return *this;
}

ChQuery& ChQuery::add_source(NodeId node, Weight initial, Weight aux) {
    auto& s = *m_state;
    const NodeId r = s.c->rank[node];
    if (initial < s.d(0, r)) {
        s.set(0, r, initial, invalid_id);
        s.node[r].seed_aux[0] = aux;
    }
    return *this;
}

ChQuery& ChQuery::add_target(NodeId node, Weight final_weight, Weight aux) {
    auto& s = *m_state;
    const NodeId r = s.c->rank[node];
    if (final_weight < s.d(1, r)) {
        s.set(1, r, final_weight, invalid_id);
        s.node[r].seed_aux[1] = aux;
    }
    return *this;
}

ChQuery& ChQuery::run() {
    auto& s = *m_state;
    constexpr std::uint64_t none = ~std::uint64_t{0};
    for (;;) {
        const std::uint64_t kf = s.side[0].heap.empty() ? none : s.side[0].heap.front();
        const std::uint64_t kb = s.side[1].heap.empty() ? none : s.side[1].heap.front();
        const std::uint64_t k = std::min(kf, kb);
        if (k == none || static_cast<Weight>(k >> 32U) >= s.best) break;
        s.step((kf >> 32U) <= (kb >> 32U) ? 0 : 1);  // forward first on equal distances
    }
    return *this;
}

Weight ChQuery::distance() const noexcept { return m_state->best; }
Weight ChQuery::aux() const noexcept { return m_state->aux_of_path(); }
NodeId ChQuery::path_source() const noexcept { return m_state->path_end(0); }
NodeId ChQuery::path_target() const noexcept { return m_state->path_end(1); }

std::vector<ArcId> ChQuery::arc_path() const {
    const auto& s = *m_state;
    const auto& c = *s.c;
    std::vector<ArcId> out;
    if (s.meet == invalid_id) return out;
    std::vector<std::pair<NodeId, std::uint32_t>> up;  // (tail rank, forward arc)
    for (NodeId x = s.meet; s.node[x].parent[0] != invalid_id; x = s.node[x].parent[0])
        up.emplace_back(s.node[x].parent[0], s.via_csr(0, x));
    std::reverse(up.begin(), up.end());
    for (const auto& [tail, e] : up) s.unpack(c.forward_unpack[e], tail, c.forward_head[e], out);
    for (NodeId x = s.meet; s.node[x].parent[1] != invalid_id; x = s.node[x].parent[1]) {
        const NodeId down = s.node[x].parent[1];
        // stored at `down`, head x: arc x → down
        const std::uint32_t e = s.via_csr(1, x);
        s.unpack(c.backward_unpack[e], x, down, out);
    }
    return out;
}

}  // namespace geoplex::routing
