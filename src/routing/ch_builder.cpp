// Contraction hierarchy preprocessing: node order by lazy-updated priority (edge difference,
// contracted neighbours, level), witness searches bounded by a settled-node budget (a missed
// witness only adds a superfluous shortcut, never a wrong distance), output in rank order.

#include <algorithm>
#include <numeric>
#include <queue>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing::detail {

namespace {

struct DEdge {
    NodeId other;
    Weight w;
    Weight aux;
    std::uint32_t unpack;
};

struct Shortcut {
    NodeId from, to;
    Weight w, aux;
};

class Contractor {
public:
    explicit Contractor(std::uint32_t n)
        : m_out(n), m_in(n), m_contracted(n, false), m_level(n, 0), m_deleted(n, 0), m_dist(n, inf_weight),
          m_stamp(n, 0) {}

    static void insert(std::vector<DEdge>& list, const DEdge& e) {
        for (auto& x : list)
            if (x.other == e.other) {
                if (e.w < x.w) x = e;
                return;
            }
        list.push_back(e);
    }
    void add_arc(NodeId t, NodeId h, Weight w, Weight aux, std::uint32_t unpack) {
        if (t == h) return;
        insert(m_out[t], {h, w, aux, unpack});
        insert(m_in[h], {t, w, aux, unpack});
    }

    /// Shortcuts needed to contract v (all of them when `out` is given, else just counted).
    int shortcuts(NodeId v, std::uint32_t budget, std::vector<Shortcut>* out) {
        int count = 0;
        for (const DEdge& ie : m_in[v]) {
            const NodeId u = ie.other;
            Weight max_out = 0;
            bool any = false;
            for (const DEdge& oe : m_out[v])
                if (oe.other != u) {
                    any = true;
                    max_out = std::max(max_out, oe.w);
                }
            if (!any) continue;
            witness(u, v, ie.w + max_out, budget);
            for (const DEdge& oe : m_out[v]) {
                if (oe.other == u) continue;
                const Weight via = ie.w + oe.w;
                if (dist(oe.other) <= via) continue;
                ++count;
                if (out != nullptr) out->push_back({u, oe.other, via, ie.aux + oe.aux});
            }
        }
        return count;
    }

    int priority(NodeId v) {
        const int sc = shortcuts(v, 60, nullptr);
        const int removed = static_cast<int>(m_in[v].size() + m_out[v].size());
        return 4 * (sc - removed) + 2 * static_cast<int>(m_deleted[v]) + static_cast<int>(m_level[v]);
    }

    /// Contracts v: records its remaining arcs as CH arcs, adds shortcuts, detaches it.
    void contract(NodeId v, std::vector<Shortcut>& scratch) {
        scratch.clear();
        shortcuts(v, 1000, &scratch);
        up_out.push_back(m_out[v]);
        up_in.push_back(m_in[v]);
        order.push_back(v);
        m_contracted[v] = true;
        for (const Shortcut& s : scratch) add_arc(s.from, s.to, s.w, s.aux, v);
        for (const DEdge& e : m_out[v]) erase(m_in[e.other], v);
        for (const DEdge& e : m_in[v]) erase(m_out[e.other], v);
        m_neighbours.clear();
        for (const DEdge& e : m_out[v]) m_neighbours.push_back(e.other);
        for (const DEdge& e : m_in[v]) m_neighbours.push_back(e.other);
        std::sort(m_neighbours.begin(), m_neighbours.end());
        m_neighbours.erase(std::unique(m_neighbours.begin(), m_neighbours.end()), m_neighbours.end());
        for (const NodeId x : m_neighbours) {
            ++m_deleted[x];
            m_level[x] = std::max(m_level[x], m_level[v] + 1);
        }
        std::vector<DEdge>().swap(m_out[v]);
        std::vector<DEdge>().swap(m_in[v]);
    }
    [[nodiscard]] const std::vector<NodeId>& neighbours() const { return m_neighbours; }
    [[nodiscard]] bool contracted(NodeId v) const { return m_contracted[v]; }

    std::vector<std::vector<DEdge>> up_out, up_in;  // per contraction step
    std::vector<NodeId> order;

private:
    static void erase(std::vector<DEdge>& list, NodeId v) {
        list.erase(std::remove_if(list.begin(), list.end(), [v](const DEdge& e) { return e.other == v; }), list.end());
    }
    [[nodiscard]] Weight dist(NodeId x) const { return m_stamp[x] == m_round ? m_dist[x] : inf_weight; }

    void witness(NodeId source, NodeId skip, Weight limit, std::uint32_t budget) {
        ++m_round;
        using Item = std::pair<Weight, NodeId>;
        m_heap.clear();
        m_dist[source] = 0;
        m_stamp[source] = m_round;
        m_heap.emplace_back(0, source);
        std::uint32_t settled = 0;
        while (!m_heap.empty()) {
            std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<Item>());
            const auto [d, x] = m_heap.back();
            m_heap.pop_back();
            if (d != dist(x)) continue;
            if (d > limit || ++settled > budget) break;
            for (const DEdge& e : m_out[x]) {
                if (e.other == skip) continue;
                const Weight nd = d + e.w;
                if (nd < dist(e.other)) {
                    m_dist[e.other] = nd;
                    m_stamp[e.other] = m_round;
                    m_heap.emplace_back(nd, e.other);
                    std::push_heap(m_heap.begin(), m_heap.end(), std::greater<Item>());
                }
            }
        }
    }

    std::vector<std::vector<DEdge>> m_out, m_in;
    std::vector<bool> m_contracted;
    std::vector<std::uint32_t> m_level, m_deleted;
    std::vector<Weight> m_dist;
    std::vector<std::uint32_t> m_stamp;
    std::uint32_t m_round = 0;
    std::vector<std::pair<Weight, NodeId>> m_heap;
    std::vector<NodeId> m_neighbours;
};

}  // namespace

std::uint64_t build_ch_file(const Graph& g, Optimization opt, const std::filesystem::path& file,
                            const core::Callbacks& callbacks, std::string_view task) {
    const std::uint32_t n = g.node_count();
    const auto weights = g.weights(opt);
    const auto aux = g.weights(opt == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
    Contractor c(n);
    for (NodeId t = 0; t < n; ++t)
        for (auto a = g.first_out[t]; a < g.first_out[t + 1]; ++a)
            c.add_arc(t, g.head[a], weights[a], aux[a], ContractionHierarchy::original_arc_flag | a);

    using Item = std::pair<int, NodeId>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
    std::vector<int> prio(n);
    for (NodeId v = 0; v < n; ++v) {
        prio[v] = c.priority(v);
        queue.emplace(prio[v], v);
    }
    std::vector<Shortcut> scratch;
    std::uint32_t done = 0;
    const std::uint32_t report_every = std::max<std::uint32_t>(1, n / 100);
    while (!queue.empty()) {
        const auto [p, v] = queue.top();
        queue.pop();
        if (c.contracted(v) || p != prio[v]) continue;
        const int now = c.priority(v);
        if (now > p && !queue.empty() && now > queue.top().first) {
            prio[v] = now;
            queue.emplace(now, v);
            continue;
        }
        c.contract(v, scratch);
        for (const NodeId x : c.neighbours()) {
            prio[x] = c.priority(x);
            queue.emplace(prio[x], x);
        }
        if (++done % report_every == 0) {
            callbacks.report(task, done, n);
            callbacks.check_cancelled();
        }
    }
    if (c.order.size() != n) throw Error(errc::internal, "CH: not every node was contracted");

    std::vector<NodeId> rank(n);
    for (std::uint32_t r = 0; r < n; ++r) rank[c.order[r]] = r;
    auto to_unpack = [&](std::uint32_t u) {
        return (u & ContractionHierarchy::original_arc_flag) != 0 ? u : rank[u];
    };
    struct Csr {
        std::vector<std::uint32_t> first_out{0}, unpack;
        std::vector<NodeId> head;
        std::vector<Weight> weight, aux;
    } fwd, bwd;
    auto emit = [&](Csr& csr, std::vector<DEdge>& list) {
        for (auto& e : list) e.other = rank[e.other];
        std::sort(list.begin(), list.end(), [](const DEdge& x, const DEdge& y) { return x.other < y.other; });
        for (const auto& e : list) {
            csr.head.push_back(e.other);
            csr.weight.push_back(e.w);
            csr.aux.push_back(e.aux);
            csr.unpack.push_back(to_unpack(e.unpack));
        }
        csr.first_out.push_back(static_cast<std::uint32_t>(csr.head.size()));
    };
    for (std::uint32_t r = 0; r < n; ++r) {
        emit(fwd, c.up_out[r]);
        emit(bwd, c.up_in[r]);
    }
    nlohmann::ordered_json meta;
    meta["optimization"] = std::string(to_string(opt));
    meta["nodes"] = n;
    meta["forward_arcs"] = fwd.head.size();
    meta["backward_arcs"] = bwd.head.size();
    SectionWriter out(file, ch_magic, ch_format_version);
    out.add_text(ch_section::meta, meta.dump());
    out.add(ch_section::rank, rank);
    out.add(ch_section::order, c.order);
    out.add(ch_section::fwd_first_out, fwd.first_out);
    out.add(ch_section::fwd_head, fwd.head);
    out.add(ch_section::fwd_weight, fwd.weight);
    out.add(ch_section::fwd_aux, fwd.aux);
    out.add(ch_section::fwd_unpack, fwd.unpack);
    out.add(ch_section::bwd_first_out, bwd.first_out);
    out.add(ch_section::bwd_head, bwd.head);
    out.add(ch_section::bwd_weight, bwd.weight);
    out.add(ch_section::bwd_aux, bwd.aux);
    out.add(ch_section::bwd_unpack, bwd.unpack);
    out.finish();
    callbacks.report(task, n, n);
    return fwd.head.size() + bwd.head.size();
}

}  // namespace geoplex::routing::detail
