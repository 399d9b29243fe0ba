// Contraction hierarchy preprocessing.
//
// Node order: a lazily updated priority queue (neighbours re-evaluated after each contraction,
// the popped node re-checked) keyed by shortcuts added per arc removed, original arcs stood for
// by the shortcuts per original arc removed, contracted neighbours and depth in the hierarchy. Witness searches are small Dijkstras on epoch-stamped
// scratch arrays, bounded by the largest via-weight, a hop limit and a settled-node budget, and
// they stop as soon as every target is settled. A missed witness only adds a superfluous
// shortcut, never a wrong distance, so the result stays exact whatever the bounds.
// Adjacency is a pair of small vectors per node; a contracted node's remaining arcs move into
// the output (they all go up the hierarchy). Initial priorities are computed on all cores.

#include <algorithm>
#include <numeric>
#include <queue>
#include <thread>

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
    std::uint32_t hops;  ///< original arcs this arc stands for
};

struct Shortcut {
    NodeId from, to;
    Weight w, aux;
    std::uint32_t hops;
};

using Adjacency = std::vector<std::vector<DEdge>>;

/// Search bounds: simulation (priorities) vs the actual contraction.
struct Bounds {
    std::uint32_t settled;
    std::uint32_t hops;
};
constexpr Bounds simulate_bounds{30, 4};
constexpr Bounds contract_bounds{1000, 64};

/// Reusable witness-search scratch (one per thread): epoch-stamped distances and target marks.
class Witness {
public:
    explicit Witness(std::uint32_t n) : m_label(n) {}

    /// Shortcuts needed to contract v; appended to `out` when given. Returns (count, hops).
    std::pair<std::uint32_t, std::uint32_t> shortcuts(const Adjacency& out_adj, const Adjacency& in_adj, NodeId v,
                                                      Bounds bounds, std::vector<Shortcut>* out) {
        std::uint32_t count = 0, hops = 0;
        const auto& outs = out_adj[v];
        for (const DEdge& ie : in_adj[v]) {
            const NodeId u = ie.other;
            next_round();
            Weight limit = 0;
            std::uint32_t targets = 0;
            for (const DEdge& oe : outs)
                if (oe.other != u) {
                    limit = std::max(limit, ie.w + oe.w);
                    if (m_label[oe.other].target != m_round) {
                        m_label[oe.other].target = m_round;
                        ++targets;
                    }
                }
            if (targets == 0) continue;
            search(out_adj, u, v, limit, targets, bounds);
            for (const DEdge& oe : outs) {
                if (oe.other == u) continue;
                const Weight via = ie.w + oe.w;
                if (dist(oe.other) <= via) continue;
                ++count;
                hops += ie.hops + oe.hops;
                if (out != nullptr) out->push_back({u, oe.other, via, ie.aux + oe.aux, ie.hops + oe.hops});
            }
        }
        return {count, hops};
    }

private:
    void next_round() {
        if (++m_round == 0) {
            std::fill(m_label.begin(), m_label.end(), Label{});
            m_round = 1;
        }
    }
    [[nodiscard]] Weight dist(NodeId x) const { return m_label[x].stamp == m_round ? m_label[x].dist : inf_weight; }

    void search(const Adjacency& out_adj, NodeId source, NodeId skip, Weight limit, std::uint32_t targets,
                Bounds bounds) {
        using Item = std::pair<Weight, NodeId>;
        m_heap.clear();
        m_label[source].dist = 0;
        m_label[source].hops = 0;
        m_label[source].stamp = m_round;
        m_heap.emplace_back(0, source);
        std::uint32_t settled = 0;
        while (!m_heap.empty()) {
            std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<Item>());
            const auto [d, x] = m_heap.back();
            m_heap.pop_back();
            Label& lx = m_label[x];
            if (d != lx.dist) continue;
            if (d > limit || ++settled > bounds.settled) break;
            if (lx.target == m_round) {
                lx.target = 0;  // settled: its distance is final
                if (--targets == 0) break;
            }
            if (lx.hops >= bounds.hops) continue;
            const std::uint32_t hops = lx.hops + 1;
            for (const DEdge& e : out_adj[x]) {
                if (e.other == skip) continue;
                const Weight nd = d + e.w;
                if (nd > limit) continue;
                Label& ly = m_label[e.other];
                if (ly.stamp != m_round || nd < ly.dist) {
                    ly.dist = nd;
                    ly.hops = hops;
                    ly.stamp = m_round;
                    m_heap.emplace_back(nd, e.other);
                    std::push_heap(m_heap.begin(), m_heap.end(), std::greater<Item>());
                }
            }
        }
    }

    /// Everything a search touches per node, in one cache line access.
    struct Label {
        Weight dist = inf_weight;
        std::uint32_t hops = 0;
        std::uint32_t stamp = 0;   ///< dist/hops valid when == round
        std::uint32_t target = 0;  ///< an unsettled target of this round when == round
    };
    std::vector<Label> m_label;
    std::uint32_t m_round = 0;
    std::vector<std::pair<Weight, NodeId>> m_heap;
};

class Contractor {
public:
    explicit Contractor(std::uint32_t n) : m_out(n), m_in(n), m_contracted(n, false), m_depth(n, 0), m_deleted(n, 0), m_witness(n) {
        up_out.reserve(n);
        up_in.reserve(n);
        order.reserve(n);
    }

    static void insert(std::vector<DEdge>& list, const DEdge& e) {
        for (auto& x : list)
            if (x.other == e.other) {
                if (e.w < x.w) x = e;
                return;
            }
        list.push_back(e);
    }
    void add_arc(NodeId t, NodeId h, Weight w, Weight aux, std::uint32_t unpack, std::uint32_t hops) {
        if (t == h) return;
        insert(m_out[t], {h, w, aux, unpack, hops});
        insert(m_in[h], {t, w, aux, unpack, hops});
    }

    [[nodiscard]] float priority(NodeId v, Witness& w) const {
        const auto [added, added_hops] = w.shortcuts(m_out, m_in, v, simulate_bounds, nullptr);
        std::uint32_t removed = 0, removed_hops = 0;
        for (const auto* list : {&m_out[v], &m_in[v]})
            for (const DEdge& e : *list) {
                ++removed;
                removed_hops += e.hops;
            }
        const float edge_quotient = static_cast<float>(added) / static_cast<float>(std::max<std::uint32_t>(1, removed));
        const float hop_quotient =
            static_cast<float>(added_hops) / static_cast<float>(std::max<std::uint32_t>(1, removed_hops));
        return 8.0F * edge_quotient + 8.0F * hop_quotient + static_cast<float>(m_deleted[v]) +
               0.5F * static_cast<float>(m_depth[v]);
    }
    [[nodiscard]] float priority(NodeId v) { return priority(v, m_witness); }

    /// Priorities of every node, on `threads` threads (the searches only read the graph).
    [[nodiscard]] std::vector<float> initial_priorities(unsigned threads) const {
        const auto n = static_cast<std::uint32_t>(m_out.size());
        std::vector<float> prio(n);
        auto work = [&](unsigned t) {
            Witness w(n);
            for (NodeId v = t; v < n; v += threads) prio[v] = priority(v, w);
        };
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
        work(0);
        for (auto& th : pool) th.join();
        return prio;
    }

    /// Contracts v: adds its shortcuts, detaches it and records its remaining arcs as CH arcs.
    void contract(NodeId v) {
        m_scratch.clear();
        m_witness.shortcuts(m_out, m_in, v, contract_bounds, &m_scratch);
        order.push_back(v);
        m_contracted[v] = true;
        for (const DEdge& e : m_out[v]) erase(m_in[e.other], v);
        for (const DEdge& e : m_in[v]) erase(m_out[e.other], v);
        for (const Shortcut& s : m_scratch) add_arc(s.from, s.to, s.w, s.aux, v, s.hops);
        m_neighbours.clear();
        for (const DEdge& e : m_out[v]) m_neighbours.push_back(e.other);
        for (const DEdge& e : m_in[v]) m_neighbours.push_back(e.other);
        std::sort(m_neighbours.begin(), m_neighbours.end());
        m_neighbours.erase(std::unique(m_neighbours.begin(), m_neighbours.end()), m_neighbours.end());
        for (const NodeId x : m_neighbours) {
            m_depth[x] = std::max(m_depth[x], m_depth[v] + 1);
            ++m_deleted[x];
        }
        up_out.push_back(std::move(m_out[v]));
        up_in.push_back(std::move(m_in[v]));
        std::vector<DEdge>().swap(m_out[v]);
        std::vector<DEdge>().swap(m_in[v]);
    }
    [[nodiscard]] const std::vector<NodeId>& neighbours() const { return m_neighbours; }
    [[nodiscard]] bool contracted(NodeId v) const { return m_contracted[v]; }

    std::vector<std::vector<DEdge>> up_out, up_in;  // per contraction step
    std::vector<NodeId> order;

private:
    static void erase(std::vector<DEdge>& list, NodeId v) {
        for (std::size_t i = 0; i < list.size(); ++i)
            if (list[i].other == v) {
                list[i] = list.back();
                list.pop_back();
                return;
            }
    }

    Adjacency m_out, m_in;
    std::vector<bool> m_contracted;
    std::vector<std::uint32_t> m_depth, m_deleted;
    Witness m_witness;
    std::vector<Shortcut> m_scratch;
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
            c.add_arc(t, g.head[a], weights[a], aux[a], ContractionHierarchy::original_arc_flag | a, 1);

    std::vector<float> prio = c.initial_priorities(std::max(1U, std::min(8U, std::thread::hardware_concurrency())));
    using Item = std::pair<float, NodeId>;
    std::vector<Item> heap;
    heap.reserve(n);
    for (NodeId v = 0; v < n; ++v) heap.emplace_back(prio[v], v);
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue(std::greater<Item>(), std::move(heap));
    std::uint32_t done = 0;
    const std::uint32_t report_every = std::max<std::uint32_t>(1, n / 100);
    while (!queue.empty()) {
        const auto [p, v] = queue.top();
        queue.pop();
        if (c.contracted(v) || p != prio[v]) continue;
        // Lazy update: re-evaluate the popped node; contract it only if it is still the minimum.
        const float now = c.priority(v);
        if (now > p && !queue.empty() && now > queue.top().first) {
            prio[v] = now;
            queue.emplace(now, v);
            continue;
        }
        c.contract(v);
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
        std::vector<DEdge>().swap(list);  // keep the peak low: the lists move into the CSR
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
